//! "Rebuild from the provider" (the recovery screen and Settings → Backups): the Flanks
//! credentials the book lacks, each with the client its link named, and re-attaching them —
//! one to a client the advisor picks or creates, or every matched one — each then synced.
//! The work is `advisor_desk_core::book::rebuild`; a credential crosses IPC as its token's
//! hash only.

use advisor_desk_core::book::rebuild::{self, AttachTo, ProviderCredential, Reattached};
use advisor_desk_core::domain::Provider;
use advisor_desk_core::links::LinkProviderApi;
use advisor_desk_core::IpcError;
use std::sync::Arc;
use tauri::State;

use super::args::Arg;
use super::ACTOR;
use crate::error::CommandError;
use crate::state::AppState;

fn flanks(state: &AppState) -> Result<Option<Arc<dyn LinkProviderApi>>, CommandError> {
    Ok(state
        .providers()?
        .link_apis
        .into_iter()
        .find(|p| p.provider() == Provider::Flanks))
}

fn refused(e: rebuild::RebuildError) -> CommandError {
    CommandError(IpcError::from(&e))
}

pub async fn rebuild_list_in(state: &AppState) -> Result<Vec<ProviderCredential>, CommandError> {
    let api = flanks(state)?;
    rebuild::list_missing(state.store()?, api.as_deref())
        .await
        .map_err(refused)
}

/// Syncs what was attached, so its data is there when the list closes.
async fn synced(state: &AppState, done: Vec<Reattached>) -> Result<Vec<Reattached>, CommandError> {
    let engine = state.engine("rebuild")?;
    for r in &done {
        engine.sync_one(r.connection_id, &|_| {}).await;
    }
    Ok(done)
}

pub async fn rebuild_attach_in(
    state: &AppState,
    token_hash: &str,
    to: &AttachTo,
) -> Result<Vec<Reattached>, CommandError> {
    let api = flanks(state)?;
    let one = rebuild::reattach(
        state.store()?,
        state.secrets(),
        api.as_deref(),
        token_hash,
        to,
        ACTOR,
    )
    .await
    .map_err(refused)?;
    synced(state, vec![one]).await
}

pub async fn rebuild_attach_matched_in(
    state: &AppState,
    create_clients: bool,
) -> Result<Vec<Reattached>, CommandError> {
    let api = flanks(state)?;
    let done = rebuild::reattach_matched(
        state.store()?,
        state.secrets(),
        api.as_deref(),
        create_clients,
        ACTOR,
    )
    .await
    .map_err(refused)?;
    synced(state, done).await
}

#[tauri::command]
pub async fn rebuild_list(
    state: State<'_, AppState>,
) -> Result<Vec<ProviderCredential>, CommandError> {
    rebuild_list_in(&state).await
}

#[tauri::command]
pub async fn rebuild_attach(
    state: State<'_, AppState>,
    token_hash: Arg<String>,
    to: Arg<AttachTo>,
) -> Result<Vec<Reattached>, CommandError> {
    rebuild_attach_in(&state, &token_hash.0, &to.0).await
}

#[tauri::command]
pub async fn rebuild_attach_matched(
    state: State<'_, AppState>,
    create_clients: Arg<bool>,
) -> Result<Vec<Reattached>, CommandError> {
    rebuild_attach_matched_in(&state, create_clients.0).await
}

#[cfg(test)]
mod tests {
    use advisor_desk_core::book::rebuild::{Proposal, Unmatched};
    use advisor_desk_core::secrets::MemorySecretStore;
    use advisor_desk_core::settings::{set_provider_environment, ProviderEnvironment};
    use advisor_desk_core::sync::connections;
    use advisor_desk_core::Store;

    use super::*;

    fn state(dir: &std::path::Path) -> AppState {
        AppState::with_secrets(
            Store::open_in_memory().unwrap(),
            dir,
            Arc::new(MemorySecretStore::new()),
        )
    }

    /// The embedded sandbox's seeded credentials were made by no link of this app: listed as
    /// naming nobody; one attached to a new client is synced before the answer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lists_the_sandbox_credentials_and_attaches_one_synced() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(dir.path());
        let listed = rebuild_list_in(&state).await.unwrap();
        assert!(!listed.is_empty());
        assert!(listed.iter().all(|c| c.proposal
            == Proposal::Unmatched {
                reason: Unmatched::NoReference
            }));
        let to = AttachTo::NewClient {
            name: "Ana Ruiz".into(),
        };
        let done = rebuild_attach_in(&state, &listed[0].token_hash, &to)
            .await
            .unwrap();
        assert_eq!(done.len(), 1);
        assert!(done[0].created_client);
        let c = connections::get(state.store().unwrap(), done[0].connection_id).unwrap();
        assert!(c.last_attempt_at.is_some(), "synced before the answer");
        assert_eq!(
            rebuild_list_in(&state).await.unwrap().len(),
            listed.len() - 1
        );
        // Nothing matched in this book: "all matched" attaches nothing.
        assert!(rebuild_attach_matched_in(&state, true)
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_flanks_keys_it_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(dir.path());
        set_provider_environment(state.store().unwrap(), ProviderEnvironment::Production, "t")
            .unwrap();
        let e = rebuild_list_in(&state).await.unwrap_err();
        assert_eq!(e.0.code, "not_configured");
        assert!(e.0.message.contains("Settings"), "{}", e.0.message);
    }
}

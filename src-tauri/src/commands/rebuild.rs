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

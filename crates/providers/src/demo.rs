//! Sandbox mode: the app's zero-configuration default. The embedded sandbox's public test keys
//! build the gateways in memory (they never touch the keychain entries of the real services),
//! and an empty book can be filled with the sandbox's seeded clients: one client per holder
//! name, each seeded credential mapped to its first holder as a connection (token into the
//! keychain, only its reference and hash into SQLite). A joint credential (several holders)
//! creates every holder as a client; its accounts carry all owners' names.
//!
//! Also here: "test connection" for the Settings screen — one call to each provider's token
//! endpoint, answered with the classified result.

use std::collections::HashMap;
use std::sync::Arc;

use advisor_desk_core::clients::{ClientKind, NewClient};
use advisor_desk_core::domain::{Provider, ProviderFailure};
use advisor_desk_core::secrets::{Secret, SecretStore};
use advisor_desk_core::sync::{CallLog, NewConnection, ProviderGateway};
use advisor_desk_core::{CoreError, Store};
use serde::{Deserialize, Serialize};

use crate::{FlanksClient, FlanksConfig, FlanksGateway, FlinksClient, FlinksConfig, FlinksGateway};
use advisor_desk_core::clients;
use advisor_desk_core::settings;
use advisor_desk_core::sync::connections;

/// Setting set once a demo book was loaded, so it is never offered twice.
pub const DEMO_BOOK_SETTING: &str = "demo.book_loaded";

/// The sandbox's API keys: public test values, passed in memory (the caller takes them from
/// `advisor_desk_sandbox`'s constants).
#[derive(Clone)]
pub struct SandboxKeys {
    pub flanks_client_id: Secret,
    pub flanks_client_secret: Secret,
    pub flinks_customer_id: String,
    pub flinks_secret_key: Secret,
    pub flinks_api_key: Secret,
}

/// Provider configurations pointed at the sandbox at `base_url`.
pub fn sandbox_configs(base_url: &str, keys: &SandboxKeys) -> (FlanksConfig, FlinksConfig) {
    let flanks = FlanksConfig::new(
        keys.flanks_client_id.clone(),
        keys.flanks_client_secret.clone(),
    )
    .with_base_url(base_url);
    let mut flinks = FlinksConfig::new(
        keys.flinks_customer_id.clone(),
        keys.flinks_secret_key.clone(),
        keys.flinks_api_key.clone(),
    )
    .with_base_url(base_url);
    // The sandbox answers its async polls within seconds; the production cadence (10 s)
    // would make the demo feel broken.
    flinks.async_poll_interval = std::time::Duration::from_secs(1);
    (flanks, flinks)
}

/// Both gateways, pointed at the sandbox.
pub fn sandbox_gateways(
    base_url: &str,
    keys: &SandboxKeys,
    log: Arc<dyn CallLog>,
) -> Result<Vec<Arc<dyn ProviderGateway>>, CoreError> {
    let (flanks, flinks) = sandbox_configs(base_url, keys);
    let bad = |f: ProviderFailure| CoreError::invalid(f.to_string());
    let flanks = FlanksClient::new(flanks, log.clone()).map_err(bad)?;
    let flinks = FlinksClient::new(flinks, log).map_err(bad)?;
    Ok(vec![
        Arc::new(FlanksGateway::new(Arc::new(flanks))),
        Arc::new(FlinksGateway::new(Arc::new(flinks))),
    ])
}

/// One seeded credential as the sandbox's control plane lists it (`GET /_sandbox/book`).
#[derive(Debug, Deserialize)]
struct BookEntry {
    provider: String,
    token: String,
    holders: Vec<String>,
    bank: String,
}

/// What loading the demo book did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct DemoBook {
    pub clients_created: usize,
    /// The new connections, to be synced once.
    pub connection_ids: Vec<i64>,
}

fn institution_name(bank: &str) -> String {
    match bank {
        "testbank" => "TestBank".into(),
        "bbva" => "BBVA".into(),
        "ing" => "ING".into(),
        "FlinksCapital" => "Flinks Capital".into(),
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

/// Whether a demo book can be offered: sandbox mode decides the caller; here, an empty book
/// that never had a demo book.
pub fn demo_book_offered(store: &Store) -> Result<bool, CoreError> {
    Ok(
        settings::get(store, DEMO_BOOK_SETTING)?.is_none()
            && clients::list(store, true)?.is_empty(),
    )
}

/// Fills an empty book from the sandbox at `base_url`. Refused when the book is not empty.
pub async fn load_demo_book(
    store: &Store,
    secrets: &dyn SecretStore,
    base_url: &str,
    actor: &str,
) -> Result<DemoBook, CoreError> {
    if !demo_book_offered(store)? {
        return Err(CoreError::invalid(
            "the demo book is only loaded into an empty book, once",
        ));
    }
    // Fail before anything is written when the keychain cannot take the tokens.
    secrets.check()?;
    let url = format!("{}/_sandbox/book", base_url.trim_end_matches('/'));
    let unreachable =
        |e: reqwest::Error| CoreError::invalid(format!("the embedded sandbox did not answer: {e}"));
    let entries: Vec<BookEntry> = reqwest::Client::new()
        .get(&url)
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(unreachable)?
        .json()
        .await
        .map_err(unreachable)?;

    let mut out = DemoBook::default();
    let mut by_name: HashMap<String, i64> = HashMap::new();
    for entry in &entries {
        let provider = match Provider::parse(&entry.provider) {
            Some(p) => p,
            None => continue,
        };
        let mut owner = None;
        for holder in entry.holders.iter().filter(|h| !h.trim().is_empty()) {
            let id = match by_name.get(holder) {
                Some(id) => *id,
                None => {
                    let c = clients::add(
                        store,
                        &NewClient {
                            kind: Some(ClientKind::Person),
                            name: holder.clone(),
                            notes: Some("Demo client from the provider sandbox".into()),
                            ..Default::default()
                        },
                        actor,
                    )?;
                    out.clients_created += 1;
                    by_name.insert(holder.clone(), c.id);
                    c.id
                }
            };
            owner.get_or_insert(id);
        }
        let Some(client_id) = owner else { continue };
        let flow = match provider {
            Provider::Flanks => "flanks_link",
            Provider::Flinks => "flinks_connect",
        };
        let connection = connections::add(
            store,
            &NewConnection {
                client_id,
                provider,
                flow: flow.into(),
                institution_id: Some(entry.bank.clone()),
                institution_name: Some(institution_name(&entry.bank)),
            },
            &Secret::new(entry.token.clone()),
            secrets,
            actor,
        )?;
        out.connection_ids.push(connection.id);
    }
    settings::set(store, DEMO_BOOK_SETTING, "1")?;
    Ok(out)
}

/// The classified result of "test connection".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ProbeResult {
    /// The token endpoint accepted the keys.
    Ok,
    /// The provider answered with this classified failure (kind, its code and wording).
    Failed {
        kind: String,
        provider_code: Option<String>,
        provider_message: Option<String>,
        http_status: Option<u16>,
    },
}

fn failed(f: ProviderFailure) -> ProbeResult {
    ProbeResult::Failed {
        kind: f.kind.as_str().into(),
        provider_code: f.provider_code,
        provider_message: f.provider_message,
        http_status: f.http_status,
    }
}

/// Flanks: `POST /v0/token` (through a call that needs a token: the link list).
pub async fn probe_flanks(config: FlanksConfig, log: Arc<dyn CallLog>) -> ProbeResult {
    let mut config = config;
    config.http.max_attempts = 1;
    match FlanksClient::new(config, log) {
        Ok(client) => match client.list_links().await {
            Ok(_) => ProbeResult::Ok,
            Err(f) => failed(f),
        },
        Err(f) => failed(f),
    }
}

/// Flinks: `POST …/GenerateAuthorizeToken` with the secret key.
pub async fn probe_flinks(config: FlinksConfig, log: Arc<dyn CallLog>) -> ProbeResult {
    let mut config = config;
    config.http.max_attempts = 1;
    match FlinksClient::new(config, log) {
        Ok(client) => match client.generate_authorize_token().await {
            Ok(_) => ProbeResult::Ok,
            Err(f) => failed(f),
        },
        Err(f) => failed(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use advisor_desk_core::domain::ConnectionStatus;
    use advisor_desk_core::secrets::MemorySecretStore;
    use advisor_desk_core::sync::{CallBuffer, CancelToken, SyncEngine, SyncOptions};
    use advisor_desk_sandbox::{
        Sandbox, SandboxConfig, FLANKS_CLIENT_ID, FLANKS_CLIENT_SECRET, FLINKS_API_KEY,
        FLINKS_CUSTOMER_ID, FLINKS_SECRET_KEY,
    };

    fn keys() -> SandboxKeys {
        SandboxKeys {
            flanks_client_id: Secret::new(FLANKS_CLIENT_ID),
            flanks_client_secret: Secret::new(FLANKS_CLIENT_SECRET),
            flinks_customer_id: FLINKS_CUSTOMER_ID.into(),
            flinks_secret_key: Secret::new(FLINKS_SECRET_KEY),
            flinks_api_key: Secret::new(FLINKS_API_KEY),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_empty_book_becomes_the_sandbox_book_and_syncs_once() {
        let sandbox = Sandbox::start(SandboxConfig {
            flinks_processing_delay: std::time::Duration::from_millis(200),
            ..Default::default()
        })
        .unwrap();
        let base = sandbox.base_url();
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("db.sqlite3")).unwrap());
        let secrets = Arc::new(MemorySecretStore::new());
        assert!(demo_book_offered(&store).unwrap());

        let book = load_demo_book(&store, secrets.as_ref(), &base, "advisor")
            .await
            .unwrap();
        let seeded = sandbox.control().book().await.unwrap();
        assert_eq!(book.connection_ids.len(), seeded.len());
        let clients = clients::list(&store, false).unwrap();
        assert_eq!(book.clients_created, clients.len());
        // Every holder is a client, once; the joint credential's holders both are.
        let joint = seeded
            .iter()
            .find(|e| e.holders.len() > 1)
            .expect("a joint credential");
        for h in &joint.holders {
            assert_eq!(clients.iter().filter(|c| &c.name == h).count(), 1, "{h}");
        }
        // Tokens went to the keychain, SQLite holds no token.
        for e in &seeded {
            let dump: String = store
                .read(|c| {
                    Ok(c.query_row(
                        "SELECT group_concat(secret_ref || token_hash || ifnull(institution_id,'')) FROM connections",
                        [],
                        |r| r.get(0),
                    )?)
                })
                .unwrap();
            assert!(!dump.contains(&e.token));
        }
        for id in &book.connection_ids {
            let c = connections::get(&store, *id).unwrap();
            assert!(secrets.get(&c.secret_key().unwrap()).unwrap().is_some());
        }
        // Offered once only.
        assert!(!demo_book_offered(&store).unwrap());
        let again = load_demo_book(&store, secrets.as_ref(), &base, "advisor").await;
        assert!(again.is_err());

        // The first sync, through the same engine the app uses.
        let calls = Arc::new(CallBuffer::new());
        let engine = SyncEngine::new(
            store.clone(),
            secrets.clone(),
            sandbox_gateways(&base, &keys(), calls.clone()).unwrap(),
            calls,
            SyncOptions {
                status_poll_initial: std::time::Duration::from_millis(200),
                ..Default::default()
            },
        );
        let summary = engine
            .sync_many(
                book.connection_ids.clone(),
                Arc::new(|_| {}),
                CancelToken::new(),
            )
            .await;
        assert_eq!(summary.synced, seeded.len(), "{:?}", summary.outcomes);
        assert!(summary.rows_written > 0);
        for id in &book.connection_ids {
            assert_eq!(
                connections::get(&store, *id).unwrap().status,
                ConnectionStatus::Ready
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_book_with_clients_is_never_replaced() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let store = Store::open_in_memory().unwrap();
        clients::add(
            &store,
            &NewClient {
                name: "Ana".into(),
                ..Default::default()
            },
            "t",
        )
        .unwrap();
        let e = load_demo_book(&store, &MemorySecretStore::new(), &sandbox.base_url(), "a")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("empty book"), "{e}");
        assert_eq!(clients::list(&store, false).unwrap().len(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn test_connection_classifies_good_and_bad_keys() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let base = sandbox.base_url();
        let log = Arc::new(CallBuffer::new());
        let (flanks, flinks) = sandbox_configs(&base, &keys());
        assert_eq!(
            probe_flanks(flanks.clone(), log.clone()).await,
            ProbeResult::Ok
        );
        assert_eq!(
            probe_flinks(flinks.clone(), log.clone()).await,
            ProbeResult::Ok
        );
        let wrong =
            FlanksConfig::new(Secret::new("nope"), Secret::new("nope")).with_base_url(&base);
        match probe_flanks(wrong, log.clone()).await {
            ProbeResult::Failed {
                kind, http_status, ..
            } => {
                assert_eq!(kind, "unauthorized");
                assert_eq!(http_status, Some(403));
            }
            other => panic!("{other:?}"),
        }
        let mut wrong = flinks;
        wrong.secret_key = Secret::new("nope");
        assert!(matches!(
            probe_flinks(wrong, log.clone()).await,
            ProbeResult::Failed { .. }
        ));
        // Nothing listening: a network failure, not a key problem.
        let gone = FlanksConfig::new(Secret::new("a"), Secret::new("b"))
            .with_base_url("http://127.0.0.1:9");
        match probe_flanks(gone, log).await {
            ProbeResult::Failed { kind, .. } => assert_eq!(kind, "network"),
            other => panic!("{other:?}"),
        }
    }
}

//! What the commands share: the core's store, the keychain, the provider gateways of the
//! chosen environment (the embedded sandbox by default), the running sync and the inbox of
//! link results. Opening can fail (a database written by a newer version, an unreadable
//! folder); the window still opens and every command answers with that error, so the advisor
//! sees the reason instead of a window that never appears.
//!
//! Durability at start: a restore staged in Settings → Backups (or on the recovery screen) is
//! applied before the store opens; the store is opened checking only the book's tables
//! (`CheckScope::BookTables`) so the window is not held by a large file, and
//! [`AppState::check_health`] checks the whole file right after. Damage found then is treated
//! as damage found at open: every command that needs the store refuses with
//! `database_damaged` and the window shows the recovery screen.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use advisor_desk_core::book::{self, RestoreOutcome, StoreHealth};
use advisor_desk_core::links::{LinkProviderApi, LinkService};
use advisor_desk_core::secrets::{KeyringStore, MemorySecretStore, Secret, SecretStore};
use advisor_desk_core::settings::{provider_environment, ProviderEnvironment};
use advisor_desk_core::store::CheckScope;
use advisor_desk_core::sync::{
    CallBuffer, CallLog, CancelToken, ProviderGateway, SyncEngine, SyncOptions, SyncSummary,
};
use advisor_desk_core::{paths, CoreError, IpcError, Store};
use advisor_desk_providers::demo::{self, SandboxKeys};
use advisor_desk_providers::links::{
    configured_clients, flinks_oauth_window_redirect, link_providers, LinkPages,
};
use advisor_desk_providers::{
    FlanksClient, FlanksConfig, FlanksGateway, FlinksClient, FlinksConfig, FlinksGateway,
};
use advisor_desk_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use tokio::sync::watch;

use crate::book::Book;
use crate::error::CommandError;
use crate::firm::FirmMode;
use crate::links::LinkInbox;

/// File in the data folder naming the embedded sandbox's address while it runs (sandbox mode
/// only; not a secret: the sandbox listens on loopback and its keys are public test values).
pub const SANDBOX_URL_FILE: &str = "sandbox-url.txt";

/// The gateways of the environment in use.
#[derive(Clone)]
pub struct Providers {
    pub environment: ProviderEnvironment,
    /// `http://127.0.0.1:PORT` in sandbox mode.
    pub sandbox_url: Option<String>,
    pub gateways: Vec<Arc<dyn ProviderGateway>>,
    /// The link flows' provider side, over the same clients.
    pub link_apis: Vec<Arc<dyn LinkProviderApi>>,
    /// Providers without keys (production): their connections fail with this sentence.
    pub not_configured: Vec<String>,
}

pub struct AppState {
    store: Result<Arc<Store>, IpcError>,
    /// Set when the check after start found the open database damaged.
    damaged_later: OnceLock<IpcError>,
    health: Mutex<StoreHealth>,
    health_check_started: AtomicBool,
    /// What the restore applied at this start did, if one was staged.
    last_restore: Option<RestoreOutcome>,
    data_dir: PathBuf,
    secrets: Arc<dyn SecretStore>,
    calls: Arc<CallBuffer>,
    providers: RwLock<Option<Providers>>,
    sandbox: Mutex<Option<SandboxHandle>>,
    /// The sync in progress, if any (one at a time; a second request joins it).
    sync: Mutex<Option<RunningSync>>,
    pub links: LinkInbox,
    /// Firm mode: solo, or the session with the firm's database.
    pub firm: FirmMode,
}

pub fn sandbox_keys() -> SandboxKeys {
    use advisor_desk_sandbox as s;
    SandboxKeys {
        flanks_client_id: Secret::new(s::FLANKS_CLIENT_ID),
        flanks_client_secret: Secret::new(s::FLANKS_CLIENT_SECRET),
        flinks_customer_id: s::FLINKS_CUSTOMER_ID.into(),
        flinks_secret_key: Secret::new(s::FLINKS_SECRET_KEY),
        flinks_api_key: Secret::new(s::FLINKS_API_KEY),
    }
}

impl AppState {
    /// Opens (creating and migrating if needed) the database in `data_dir`; secrets go to
    /// the OS keychain.
    pub fn open(data_dir: &Path) -> AppState {
        AppState::open_with_secrets(data_dir, Arc::new(KeyringStore::from_env()))
    }

    /// [`AppState::open`] with the given keychain (command tests on real files): applies a
    /// staged restore, then opens the store checking the book's tables.
    pub fn open_with_secrets(data_dir: &Path, secrets: Arc<dyn SecretStore>) -> AppState {
        let db = paths::database_path(data_dir);
        let last_restore = book::apply_pending_restore(&db, secrets.as_ref());
        if let Some(error) = last_restore.as_ref().and_then(|o| o.error.as_ref()) {
            eprintln!("advisor-desk: the staged restore failed: {}", error.message);
        }
        let store = Store::open_checking(&db, CheckScope::BookTables)
            .map(Arc::new)
            .map_err(IpcError::from);
        if let Err(e) = &store {
            // The message names a path and a reason, never a secret.
            eprintln!("advisor-desk: the database did not open: {}", e.message);
        }
        let mut state = AppState::new(store, data_dir, secrets);
        state.last_restore = last_restore;
        state
    }

    /// A store without a data folder and an in-memory keychain (command tests).
    pub fn from_store(store: Store) -> AppState {
        AppState::new(
            Ok(Arc::new(store)),
            &std::env::temp_dir(),
            Arc::new(MemorySecretStore::new()),
        )
    }

    pub fn with_secrets(store: Store, data_dir: &Path, secrets: Arc<dyn SecretStore>) -> Self {
        AppState::new(Ok(Arc::new(store)), data_dir, secrets)
    }

    fn new(
        store: Result<Arc<Store>, IpcError>,
        data_dir: &Path,
        secrets: Arc<dyn SecretStore>,
    ) -> AppState {
        AppState {
            store,
            damaged_later: OnceLock::new(),
            health: Mutex::new(StoreHealth::checking(&paths::database_path(data_dir))),
            health_check_started: AtomicBool::new(false),
            last_restore: None,
            data_dir: data_dir.to_path_buf(),
            secrets,
            calls: Arc::new(CallBuffer::new()),
            providers: RwLock::new(None),
            sandbox: Mutex::new(None),
            sync: Mutex::new(None),
            links: LinkInbox::default(),
            firm: FirmMode::default(),
        }
    }

    pub fn store(&self) -> Result<&Store, CommandError> {
        if let Some(e) = self.damaged_later.get() {
            return Err(CommandError(e.clone()));
        }
        self.store
            .as_ref()
            .map(|s| &**s)
            .map_err(|e| CommandError(e.clone()))
    }

    /// The book the window shows: the firm's while in firm mode, else the solo store.
    pub fn book(&self) -> Result<Book<'_>, CommandError> {
        match self.firm.store()? {
            Some(firm) => Ok(Book::Firm(firm)),
            None => Ok(Book::Solo(self.store()?)),
        }
    }

    pub fn store_arc(&self) -> Result<Arc<Store>, CommandError> {
        self.store()?;
        self.store.clone().map_err(CommandError)
    }

    /// The database's health as last checked.
    pub fn health(&self) -> StoreHealth {
        self.health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// True the first time only: the caller then runs [`AppState::check_health`].
    pub fn claim_health_check(&self) -> bool {
        !self.health_check_started.swap(true, Ordering::SeqCst)
    }

    /// Checks what the open left for later — the whole file's `quick_check` beside the open
    /// store — or, when the store was refused, looks for the backup to offer. Slow on a large
    /// book: run it off the UI thread, once.
    pub fn check_health(&self) -> StoreHealth {
        let health = match &self.store {
            Ok(store) => match store.path() {
                Some(db) => self.check_open_file(db),
                None => StoreHealth::ok(&paths::database_path(&self.data_dir)),
            },
            Err(e) => StoreHealth::refused(&paths::database_path(&self.data_dir), e),
        };
        *self.health.lock().unwrap_or_else(|p| p.into_inner()) = health.clone();
        health
    }

    fn check_open_file(&self, db: &Path) -> StoreHealth {
        let (health, damage) = StoreHealth::of_open_file(db);
        if let Some(refusal) = damage {
            eprintln!("advisor-desk: the check after start found the database damaged: {refusal}");
            let _ = self.damaged_later.set(IpcError::from(&refusal));
        }
        health
    }

    /// What the restore applied at this start did, if one was staged.
    pub fn last_restore(&self) -> Option<&RestoreOutcome> {
        self.last_restore.as_ref()
    }

    pub fn secrets(&self) -> &dyn SecretStore {
        self.secrets.as_ref()
    }

    /// The keychain, to hand to work that outlives a borrow (the firm refresh's thread).
    pub fn secrets_arc(&self) -> Arc<dyn SecretStore> {
        self.secrets.clone()
    }

    /// The buffer this desktop's provider clients record their calls into.
    pub fn calls(&self) -> &Arc<CallBuffer> {
        &self.calls
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// (Re)builds the gateways for the saved environment. In sandbox mode the sandbox is
    /// started once, on the current tokio runtime, on 127.0.0.1:0. Must run inside a runtime.
    pub fn configure_providers(&self) -> Result<Providers, CommandError> {
        let store = self.store()?;
        let environment = provider_environment(store)?;
        let log: Arc<dyn CallLog> = self.calls.clone();
        let providers = match environment {
            ProviderEnvironment::Sandbox => {
                let url = self.sandbox_url()?;
                let (flanks, flinks) = demo::sandbox_configs(&url, &sandbox_keys());
                let mut pages = LinkPages::at_base(&url);
                pages.flinks_oauth_window_redirect = flinks_oauth_window_redirect(store)?;
                let (gateways, link_apis) = build(flanks, flinks, pages, log)?;
                Providers {
                    environment,
                    sandbox_url: Some(url),
                    gateways,
                    link_apis,
                    not_configured: Vec::new(),
                }
            }
            ProviderEnvironment::Production => {
                let _ = std::fs::remove_file(self.data_dir.join(SANDBOX_URL_FILE));
                // The providers crate's own configuration: keys from the keychain, base URLs
                // and link pages from settings (or their environment variables).
                let clients = configured_clients(store, self.secrets.as_ref(), log)?;
                let pages = LinkPages::from_settings(store)?;
                let mut not_configured = Vec::new();
                let mut gateways: Vec<Arc<dyn ProviderGateway>> = Vec::new();
                match &clients.flanks {
                    Some(c) => gateways.push(Arc::new(FlanksGateway::new(c.clone()))),
                    None => not_configured.push(
                        "flanks is not configured: its API keys are missing from the keychain"
                            .to_string(),
                    ),
                }
                match &clients.flinks {
                    Some(c) => gateways.push(Arc::new(FlinksGateway::new(c.clone()))),
                    None => not_configured.push(
                        "flinks is not configured: its API keys are missing from the keychain"
                            .to_string(),
                    ),
                }
                let link_apis = link_providers(clients.flanks, clients.flinks, &pages);
                Providers {
                    environment,
                    sandbox_url: None,
                    gateways,
                    link_apis,
                    not_configured,
                }
            }
        };
        *self.providers.write().unwrap_or_else(|p| p.into_inner()) = Some(providers.clone());
        Ok(providers)
    }

    /// The embedded sandbox's base URL, starting it on first use.
    fn sandbox_url(&self) -> Result<String, CommandError> {
        let mut slot = self.sandbox.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            let handle = Sandbox::start(SandboxConfig::default()).map_err(|e| {
                CommandError::from(CoreError::invalid(format!(
                    "the embedded provider sandbox did not start: {e}"
                )))
            })?;
            let url = handle.base_url();
            // For people and tests: where the sandbox (and its control plane) listens.
            if let Err(e) = std::fs::write(self.data_dir.join(SANDBOX_URL_FILE), &url) {
                eprintln!("advisor-desk: could not write {SANDBOX_URL_FILE}: {e}");
            }
            eprintln!("advisor-desk: embedded provider sandbox at {url}");
            *slot = Some(handle);
        }
        Ok(slot.as_ref().map(|h| h.base_url()).unwrap_or_default())
    }

    /// The current providers, configuring them on first use.
    pub fn providers(&self) -> Result<Providers, CommandError> {
        if let Some(p) = self
            .providers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Ok(p);
        }
        self.configure_providers()
    }

    /// The providers configured so far, without configuring (app_info).
    pub fn current_providers(&self) -> Option<Providers> {
        self.providers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The link flows over the current providers; successful links are synced at once.
    pub fn link_service(&self) -> Result<LinkService, CommandError> {
        let providers = self.providers()?;
        Ok(LinkService::new(
            self.store_arc()?,
            self.secrets.clone(),
            providers.link_apis,
            Some(self.engine("link")?),
        ))
    }

    /// A sync engine over the current providers.
    pub fn engine(&self, trigger: &str) -> Result<SyncEngine, CommandError> {
        let providers = self.providers()?;
        Ok(SyncEngine::new(
            self.store_arc()?,
            self.secrets.clone(),
            providers.gateways,
            self.calls.clone(),
            SyncOptions {
                trigger: trigger.into(),
                ..SyncOptions::default()
            },
        ))
    }

    /// Claims the single sync slot for `ids`; when a sync already runs, hands back its end to
    /// join (it covers every one of `ids`) or to wait for before trying again.
    /// `by_advisor`: the advisor asked (a click); a sync they join then ends as theirs.
    pub fn begin_sync(&self, ids: &[i64], by_advisor: bool) -> SyncSlot {
        let mut slot = self.sync.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(running) = slot.as_mut() {
            let end = running.finished.subscribe();
            return if ids.iter().all(|id| running.ids.contains(id)) {
                running.joined_by_advisor |= by_advisor;
                SyncSlot::Covered(end)
            } else {
                SyncSlot::Busy(end)
            };
        }
        let cancel = CancelToken::new();
        let (finished, _) = watch::channel(None);
        *slot = Some(RunningSync {
            ids: ids.iter().copied().collect(),
            joined_by_advisor: false,
            cancel: cancel.clone(),
            finished,
        });
        SyncSlot::Started(cancel)
    }

    /// Frees the slot and tells those who joined how the sync ended; true when the advisor
    /// joined it (its end is then shown as the end of their "Update all").
    pub fn end_sync(&self, summary: &SyncSummary) -> bool {
        match self.sync.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(running) => {
                running.finished.send_replace(Some(summary.clone()));
                running.joined_by_advisor
            }
            None => false,
        }
    }

    /// Cancels the running sync; false when none runs.
    pub fn cancel_sync(&self) -> bool {
        match self.sync.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(running) => {
                running.cancel.cancel();
                true
            }
            None => false,
        }
    }
}

/// The sync in progress: what it covers, its cancel flag and where its end is announced.
struct RunningSync {
    ids: std::collections::HashSet<i64>,
    /// The advisor's own request joined it (a click during the daily refresh).
    joined_by_advisor: bool,
    cancel: CancelToken,
    finished: watch::Sender<Option<SyncSummary>>,
}

/// What [`AppState::begin_sync`] hands out.
pub enum SyncSlot {
    /// This caller runs the sync (and ends it with [`AppState::end_sync`]).
    Started(CancelToken),
    /// A sync already runs and covers every connection asked for: its summary answers.
    Covered(watch::Receiver<Option<SyncSummary>>),
    /// A sync already runs without covering them all: wait for its end, then ask again.
    Busy(watch::Receiver<Option<SyncSummary>>),
}

type Built = (Vec<Arc<dyn ProviderGateway>>, Vec<Arc<dyn LinkProviderApi>>);

/// One HTTP client per provider, shared by its sync gateway and its link flows.
fn build(
    flanks: FlanksConfig,
    flinks: FlinksConfig,
    pages: LinkPages,
    log: Arc<dyn CallLog>,
) -> Result<Built, CommandError> {
    let bad = |f: advisor_desk_core::domain::ProviderFailure| {
        CommandError::from(CoreError::invalid(f.to_string()))
    };
    let flanks = Arc::new(FlanksClient::new(flanks, log.clone()).map_err(bad)?);
    let flinks = Arc::new(FlinksClient::new(flinks, log).map_err(bad)?);
    let gateways: Vec<Arc<dyn ProviderGateway>> = vec![
        Arc::new(FlanksGateway::new(flanks.clone())),
        Arc::new(FlinksGateway::new(flinks.clone())),
    ];
    Ok((gateways, link_providers(Some(flanks), Some(flinks), &pages)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use advisor_desk_core::secrets::SecretKey;
    use advisor_desk_core::settings::set_provider_environment;

    #[test]
    fn a_sync_request_joins_the_running_sync_only_when_it_is_covered() {
        let state = AppState::from_store(Store::open_in_memory().unwrap());
        let SyncSlot::Started(cancel) = state.begin_sync(&[1, 2, 3], false) else {
            panic!("the first request runs");
        };
        let SyncSlot::Covered(joined) = state.begin_sync(&[3, 1], true) else {
            panic!("a request the running sync covers joins it");
        };
        let SyncSlot::Busy(waiting) = state.begin_sync(&[1, 4], true) else {
            panic!("a request for another connection waits");
        };
        assert!(state.cancel_sync());
        assert!(cancel.is_cancelled());
        let summary = SyncSummary {
            total: 3,
            cancelled: 3,
            ..Default::default()
        };
        assert!(state.end_sync(&summary), "the advisor joined it");
        for end in [joined, waiting] {
            assert_eq!(end.borrow().as_ref().map(|s| s.cancelled), Some(3));
        }
        assert!(!state.cancel_sync(), "nothing runs any more");
        assert!(matches!(
            state.begin_sync(&[4], false),
            SyncSlot::Started(_)
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sandbox_mode_starts_the_sandbox_and_writes_its_address() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemorySecretStore::new());
        let state = AppState::with_secrets(
            Store::open_in_memory().unwrap(),
            dir.path(),
            secrets.clone(),
        );
        let p = state.configure_providers().unwrap();
        assert_eq!(p.environment, ProviderEnvironment::Sandbox);
        let url = p.sandbox_url.clone().unwrap();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(SANDBOX_URL_FILE)).unwrap(),
            url
        );
        assert_eq!((p.gateways.len(), p.link_apis.len()), (2, 2));
        // The sandbox answers, and its keys never went to the keychain.
        let book = reqwest_free_get(&format!("{url}/_sandbox/book")).await;
        assert!(book.starts_with('['), "{book}");
        assert!(secrets.is_empty());
        // Reconfiguring keeps the same sandbox.
        assert_eq!(state.configure_providers().unwrap().sandbox_url, Some(url));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn production_mode_uses_the_keychain_keys_and_names_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemorySecretStore::new());
        let state = AppState::with_secrets(
            Store::open_in_memory().unwrap(),
            dir.path(),
            secrets.clone(),
        );
        set_provider_environment(state.store().unwrap(), ProviderEnvironment::Production, "t")
            .unwrap();
        let p = state.configure_providers().unwrap();
        assert_eq!(p.sandbox_url, None);
        assert!(p.gateways.is_empty() && p.link_apis.is_empty());
        assert_eq!(p.not_configured.len(), 2);
        assert!(!dir.path().join(SANDBOX_URL_FILE).exists());
        for (f, v) in [("client_id", "id"), ("client_secret", "s")] {
            secrets
                .put(&SecretKey::provider_key("flanks", f), &Secret::new(v))
                .unwrap();
        }
        let p = state.configure_providers().unwrap();
        assert_eq!((p.gateways.len(), p.link_apis.len()), (1, 1));
        assert_eq!(p.not_configured.len(), 1);
    }

    /// A plain HTTP GET over a TCP socket (the app crate has no HTTP client of its own).
    async fn reqwest_free_get(url: &str) -> String {
        let url = url.to_string();
        tokio::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let rest = url.strip_prefix("http://").unwrap();
            let (host, path) = rest.split_once('/').unwrap();
            let mut s = std::net::TcpStream::connect(host).unwrap();
            s.write_all(format!("GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
                .unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out.split_once("\r\n\r\n").unwrap().1.to_string()
        })
        .await
        .unwrap()
    }
}

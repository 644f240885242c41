//! Shared set-up for the tests against the real sandbox over loopback HTTP.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::clients;
use advisor_desk_core::clients::NewClient;
use advisor_desk_core::domain::Provider;
use advisor_desk_core::secrets::{MemorySecretStore, Secret, SecretStore};
use advisor_desk_core::sync::connections;
use advisor_desk_core::sync::{
    CallBuffer, NewConnection, ProviderGateway, SyncEngine, SyncOptions,
};
use advisor_desk_core::Store;
use advisor_desk_providers::{
    FlanksClient, FlanksConfig, FlanksGateway, FlinksClient, FlinksConfig, FlinksGateway,
    HttpPolicy,
};
use advisor_desk_sandbox::{
    Sandbox, SandboxConfig, SandboxControl, SandboxHandle, FLANKS_CLIENT_ID, FLANKS_CLIENT_SECRET,
    FLINKS_API_KEY, FLINKS_CUSTOMER_ID, FLINKS_SECRET_KEY,
};

/// Short timeouts and backoffs so fault tests stay fast.
pub fn fast_policy() -> HttpPolicy {
    HttpPolicy {
        timeout: Duration::from_millis(800),
        connect_timeout: Duration::from_millis(500),
        max_attempts: 4,
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        max_retry_after_wait: Duration::from_secs(3),
        max_concurrency: 16,
        max_per_second: 0,
        ..HttpPolicy::default()
    }
}

pub fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        pending_delay: Duration::from_millis(300),
        flinks_processing_delay: Duration::from_millis(300),
        ..Default::default()
    }
}

pub struct World {
    pub sandbox: SandboxHandle,
    pub control: SandboxControl,
    pub calls: Arc<CallBuffer>,
    pub flanks: Arc<FlanksClient>,
    pub flinks: Arc<FlinksClient>,
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub secrets: Arc<MemorySecretStore>,
    pub client_id: i64,
}

pub fn flanks_config(base: &str, policy: HttpPolicy) -> FlanksConfig {
    let mut c = FlanksConfig::new(
        Secret::new(FLANKS_CLIENT_ID),
        Secret::new(FLANKS_CLIENT_SECRET),
    )
    .with_base_url(base);
    c.http = policy;
    c
}

pub fn flinks_config(base: &str, policy: HttpPolicy) -> FlinksConfig {
    let mut c = FlinksConfig::new(
        FLINKS_CUSTOMER_ID,
        Secret::new(FLINKS_SECRET_KEY),
        Secret::new(FLINKS_API_KEY),
    )
    .with_base_url(base);
    c.async_poll_interval = Duration::from_millis(100);
    c.async_deadline = Duration::from_secs(5);
    c.http = policy;
    c
}

pub async fn world_with(config: SandboxConfig, policy: HttpPolicy) -> World {
    let sandbox = Sandbox::start(config).expect("sandbox starts");
    let base = sandbox.base_url();
    let calls = Arc::new(CallBuffer::new());
    let flanks =
        Arc::new(FlanksClient::new(flanks_config(&base, policy.clone()), calls.clone()).unwrap());
    let flinks = Arc::new(FlinksClient::new(flinks_config(&base, policy), calls.clone()).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("advisor-desk.sqlite3")).unwrap());
    let client_id = clients::add(
        &store,
        &NewClient {
            name: "Sandbox Client".into(),
            ..Default::default()
        },
        "test",
    )
    .unwrap()
    .id;
    World {
        control: sandbox.control(),
        sandbox,
        calls,
        flanks,
        flinks,
        dir,
        store,
        secrets: Arc::new(MemorySecretStore::new()),
        client_id,
    }
}

pub async fn world() -> World {
    world_with(sandbox_config(), fast_policy()).await
}

impl World {
    pub fn engine(&self, options: SyncOptions) -> SyncEngine {
        let secrets: Arc<dyn SecretStore> = self.secrets.clone();
        SyncEngine::new(
            self.store.clone(),
            secrets,
            vec![
                Arc::new(FlanksGateway::new(self.flanks.clone())) as Arc<dyn ProviderGateway>,
                Arc::new(FlinksGateway::new(self.flinks.clone())),
            ],
            self.calls.clone(),
            options,
        )
    }

    pub fn connect(&self, provider: Provider, token: &str) -> i64 {
        let flow = match provider {
            Provider::Flanks => "flanks_link",
            Provider::Flinks => "flinks_connect",
        };
        connections::add(
            &self.store,
            &NewConnection {
                client_id: self.client_id,
                provider,
                flow: flow.into(),
                institution_id: None,
                institution_name: None,
            },
            &Secret::new(token),
            self.secrets.as_ref(),
            "test",
        )
        .unwrap()
        .id
    }

    /// Book entries of one provider: (token, holders).
    pub async fn book(&self, provider: &str) -> Vec<String> {
        self.control
            .book()
            .await
            .unwrap()
            .into_iter()
            .filter(|b| b.provider == provider)
            .map(|b| b.token)
            .collect()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.store
            .read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .unwrap()
    }

    pub async fn calls_to(&self, key: &str) -> u64 {
        self.control
            .stats()
            .await
            .unwrap()
            .get(key)
            .copied()
            .unwrap_or(0)
    }
}

pub fn fast_sync() -> SyncOptions {
    SyncOptions {
        concurrency: 8,
        status_poll_initial: Duration::from_millis(50),
        status_poll_max: Duration::from_millis(200),
        status_deadline: Duration::from_secs(5),
        trigger: "test".into(),
    }
}

/// Drives the sandbox's link page like a browser: returns the redirect's query pairs
/// (`code`, `delayed`, extras …).
pub async fn link_login(base: &str, password: &str, extra: &str) -> Vec<(String, String)> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let q = format!(
        "token={}&bank=testbank&{extra}",
        advisor_desk_sandbox::DEFAULT_LINK_TOKEN
    );
    let username = format!("user{}", fastrand_suffix());
    let resp = http
        .post(format!("{base}/link/login"))
        .form(&[
            ("q", q.as_str()),
            ("username", &username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no redirect from the link page: {}", resp.status()));
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    url_pairs(query)
}

fn fastrand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst) + std::process::id() as u64 * 1000
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{q}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

//! Alice's desktop for the firm link tests: her keychain (the real Secret Service), the firm
//! of `links_common`, the sandbox over loopback HTTP and the app's real link providers for it;
//! and a provider that stops the firm database's server right after a code's exchange.
#![allow(dead_code)] // each test binary uses its own part

use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::domain::{Provider, ProviderFailure};
use advisor_desk_core::firm::keychain::key_entry;
use advisor_desk_core::links::{
    CallbackSource, CodeExchange, LinkFlow, LinkOutcome, LinkProviderApi, LinkRequest, LinkStart,
    LinkTarget, ReauthNeed,
};
use advisor_desk_core::secrets::{KeyringStore, Secret, SecretStore};
use advisor_desk_core::sync::CallBuffer;
use advisor_desk_firm::links::{apply_pending, FirmLinkFlow};
use advisor_desk_firm::test_server::TestServer;
use advisor_desk_firm::FirmStore;
use advisor_desk_providers::links::{link_providers, LinkPages};
use advisor_desk_providers::{FlanksClient, FlanksConfig};
use advisor_desk_sandbox::{FLANKS_CLIENT_ID, FLANKS_CLIENT_SECRET};

use crate::links_common::*;
use crate::refresh_support::start_sandbox;

pub const WINDOW: CallbackSource = CallbackSource::EmbeddedWindow;

pub fn keychain(test: &str) -> KeyringStore {
    KeyringStore::new(format!(
        "app.advisordesk.test.firm-link-flow.{test}.{}",
        std::process::id()
    ))
}

/// The app's link providers for the sandbox at `base` (the Flanks client it configures).
pub fn sandbox_providers(base: &str) -> Vec<Arc<dyn LinkProviderApi>> {
    let mut config = FlanksConfig::new(
        Secret::new(FLANKS_CLIENT_ID),
        Secret::new(FLANKS_CLIENT_SECRET),
    )
    .with_base_url(base);
    config.http.max_attempts = 1;
    let flanks = Arc::new(FlanksClient::new(config, Arc::new(CallBuffer::new())).unwrap());
    link_providers(Some(flanks), None, &LinkPages::at_base(base))
}

/// The client completes Alice's link at the sandbox's Flanks page: the callback URL.
pub async fn client_completes(base: &str, start: &LinkStart, user: &str) -> String {
    assert!(start.url.starts_with(&format!("{base}/link?token=")));
    let location = flanks_link_redirect(base, &format!("{}&bank=testbank", start.url), user).await;
    assert!(
        location.starts_with("advisordesk://link/callback?code="),
        "{location}"
    );
    location
}

/// Alice's desktop: her keychain, the firm, and the sandbox on a runtime of its own.
pub struct Desktop {
    pub keychain: KeyringStore,
    pub firm: LinkFirm,
    pub runtime: tokio::runtime::Runtime,
    pub _sandbox: advisor_desk_sandbox::SandboxHandle,
    pub base: String,
}

impl Desktop {
    pub fn new(test: &str, server: &TestServer) -> Desktop {
        let keychain = keychain(test);
        let firm = LinkFirm::new(server, &keychain);
        let (runtime, sandbox) = start_sandbox(1);
        Desktop {
            base: sandbox.base_url(),
            keychain,
            firm,
            runtime,
            _sandbox: sandbox,
        }
    }

    pub fn flow<'a>(&'a self, providers: &'a [Arc<dyn LinkProviderApi>]) -> FirmLinkFlow<'a> {
        FirmLinkFlow {
            store: &self.firm.store,
            keychain: &self.keychain,
            firm: &self.firm.id,
            actor: "alice",
            providers,
            runtime: self.runtime.handle(),
        }
    }

    /// Alice connects her client: the session, and the callback the client's bank sends.
    pub fn connect(&self, flow: &FirmLinkFlow<'_>) -> (LinkStart, String) {
        self.connect_as(flow, "ana")
    }

    /// The same with the bank login `user`.
    pub fn connect_as(&self, flow: &FirmLinkFlow<'_>, user: &str) -> (LinkStart, String) {
        let start = flow
            .start_connect(ALICES_CLIENT, LinkFlow::FlanksLink)
            .unwrap();
        let callback = self
            .runtime
            .block_on(client_completes(&self.base, &start, user));
        (start, callback)
    }

    /// Alice's client connected as `user`, all the way: the new connection's id.
    pub fn connected(&self, flow: &FirmLinkFlow<'_>, user: &str) -> i64 {
        let (start, callback) = self.connect_as(flow, user);
        let outcome = flow
            .handle_callback(callback.as_bytes(), Some(start.session_id), WINDOW)
            .unwrap();
        match outcome {
            LinkOutcome::Connected { connection_id, .. } => connection_id,
            other => panic!("{other:?}"),
        }
    }
}

/// `flow` as another member of the firm: their desktop's pool, their role as the actor.
pub fn as_member<'a>(
    flow: &FirmLinkFlow<'a>,
    store: &'a FirmStore,
    actor: &'a str,
) -> FirmLinkFlow<'a> {
    FirmLinkFlow {
        store,
        actor,
        ..*flow
    }
}

pub fn forget_firm_key(keychain: &dyn SecretStore, firm: &LinkFirm) {
    keychain.delete(&key_entry(&firm.id, 1).unwrap()).unwrap();
}

/// The sandbox's Flanks link provider, with the firm database's server stopped right after
/// the provider exchanged the code: the moment a one-use code is gone and only the token
/// proves the client connected.
pub struct ServerStopsAfterExchange {
    pub inner: Arc<dyn LinkProviderApi>,
    pub server: Arc<TestServer>,
}

#[async_trait::async_trait]
impl LinkProviderApi for ServerStopsAfterExchange {
    fn provider(&self) -> Provider {
        self.inner.provider()
    }

    async fn link_url(&self, req: &LinkRequest<'_>) -> Result<LinkTarget, ProviderFailure> {
        self.inner.link_url(req).await
    }

    async fn exchange_code(&self, code: &Secret) -> Result<CodeExchange, ProviderFailure> {
        let exchanged = self.inner.exchange_code(code).await;
        self.server.stop().unwrap();
        exchanged
    }

    async fn reauth_need(&self, token: &Secret) -> Result<ReauthNeed, ProviderFailure> {
        self.inner.reauth_need(token).await
    }

    async fn delete_credential(
        &self,
        token: &Secret,
    ) -> Result<advisor_desk_core::links::DeleteResult, ProviderFailure> {
        self.inner.delete_credential(token).await
    }
}

/// The first pass after a restart may still meet the pool's dead connections; the app's
/// passes follow each reconnect the same way.
pub fn wait_applied(
    firm: &LinkFirm,
    keychain: &dyn SecretStore,
) -> advisor_desk_firm::links::Applied {
    for _ in 0..20 {
        let applied = apply_pending(&firm.store, keychain, &firm.id, "alice").unwrap();
        if applied.waiting.is_empty() {
            return applied;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("the kept result was never applied");
}

//! A local imitation of the Flanks (Spain) and Flinks (Canada) services: the APIs, the link
//! pages, the test institutions (TestBank, Flinks Capital), a seeded book of clients, and a
//! control plane under `/_sandbox/` for moving time, forcing states and injecting faults.
//!
//! ```no_run
//! # async fn demo() -> Result<(), advisor_desk_sandbox::SandboxError> {
//! let sandbox = advisor_desk_sandbox::Sandbox::start(Default::default())?;
//! let base = sandbox.base_url(); // http://127.0.0.1:PORT for every API and page
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod bank;
pub mod book;
pub mod checkdigits;
mod clock;
mod config;
pub mod control;
pub mod faults;
mod flanks;
mod flinks;
pub mod guesses;
mod html;
mod query;
mod rates;
pub mod rng;
mod server;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::watch;

pub use config::SandboxConfig;
pub use control::client::{ControlError, ForcedState, SandboxControl};
pub use control::secrets::{SecretEntry, SecretKind};
pub use control::BookEntry;
pub use faults::{FaultKind, FaultRule};

/// The sandbox Application's credentials (`POST /v0/token`).
pub const FLANKS_CLIENT_ID: &str = "sbx-flanks-client-advisor-desk";
pub const FLANKS_CLIENT_SECRET: &str = "sbx-secret-flanks-client-7f3c9e21d84b4a0f9c6e5b2a1d0c8f47";
/// The documented toolbox customer id.
pub const FLINKS_CUSTOMER_ID: &str = "43387ca6-0391-4c82-857d-70d95f087ecb";
/// `flinks-auth-key` for GenerateAuthorizeToken.
pub const FLINKS_SECRET_KEY: &str = "sbx-secret-flinks-auth-key-2c8e4f1a9b7d4e6c8a0f3b5d7e9c1a2b";
/// `x-api-key` for the data endpoints.
pub const FLINKS_API_KEY: &str = "sbx-secret-flinks-api-key-5e1d9c7b3a2f4e8d9c6b0a1f2e3d4c5b";
/// A link that exists from the start, redirecting to the app's custom scheme.
pub const DEFAULT_LINK_TOKEN: &str = "sbx-link-default-advisor-desk";
pub const DEFAULT_REDIRECT_URI: &str = "advisordesk://link/callback";

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot bind the sandbox to {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the sandbox must be started from inside a tokio runtime")]
    NoRuntime,
    #[error("waiting for Ctrl-C failed: {0}")]
    Signal(std::io::Error),
}

fn app(state: Arc<state::AppState>) -> Router {
    Router::new()
        .merge(flanks::router())
        .merge(flinks::router())
        .merge(control::router())
        .merge(rates::router())
        .merge(bank::router())
        .fallback(|| async {
            (StatusCode::NOT_FOUND, Json(json!({"error": "Not found"}))).into_response()
        })
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            faults::middleware,
        ))
        .with_state(state)
}

/// 405 in the provider's own error shape.
async fn method_not_allowed(uri: axum::http::Uri) -> axum::response::Response {
    let body = if uri.path().starts_with("/v3/") {
        json!({"HttpStatusCode": 405, "Message": "Method not allowed", "FlinksCode": "INVALID_REQUEST"})
    } else {
        json!({"error": "Method not allowed"})
    };
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

pub struct Sandbox;

impl Sandbox {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime.
    pub fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn start_on(
        config: SandboxConfig,
        addr: SocketAddr,
    ) -> Result<SandboxHandle, SandboxError> {
        let rt = tokio::runtime::Handle::try_current().map_err(|_| SandboxError::NoRuntime)?;
        let bind_err = |source| SandboxError::Bind {
            addr: addr.to_string(),
            source,
        };
        let bind = |at: SocketAddr| {
            let std_listener = std::net::TcpListener::bind(at).map_err(bind_err)?;
            std_listener.set_nonblocking(true).map_err(bind_err)?;
            let local = std_listener.local_addr().map_err(bind_err)?;
            Ok::<_, SandboxError>((std_listener, local))
        };
        let (provider_listener, local) = bind(addr)?;
        // The banks' own pages: same address, another port, so another origin.
        let (bank_listener, bank_local) = bind(SocketAddr::new(addr.ip(), 0))?;
        let _guard = rt.enter();
        let provider_listener =
            tokio::net::TcpListener::from_std(provider_listener).map_err(bind_err)?;
        let bank_listener = tokio::net::TcpListener::from_std(bank_listener).map_err(bind_err)?;
        let origins = state::Origins {
            provider: server::base_url(local),
            bank: server::base_url(bank_local),
        };
        let state = Arc::new(state::AppState::new(config, origins));
        let router = app(state);
        let (tx, rx) = watch::channel(false);
        let tasks = vec![
            rt.spawn(server::run(provider_listener, router.clone(), rx.clone())),
            rt.spawn(server::run(bank_listener, router, rx)),
        ];
        Ok(SandboxHandle {
            addr: local,
            bank_addr: bank_local,
            shutdown: tx,
            tasks,
        })
    }
}

pub struct SandboxHandle {
    addr: SocketAddr,
    bank_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT`: the base of the Flanks API, the link pages and the Flinks
    /// API; the Flinks widget is at `{base_url}/flinks-connect/v2/`.
    pub fn base_url(&self) -> String {
        server::base_url(self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:OTHER_PORT`: the banks' own pages (OAuth authorization, PSD2
    /// login), a different origin from [`Self::base_url`].
    pub fn bank_url(&self) -> String {
        server::base_url(self.bank_addr)
    }

    pub fn control(&self) -> SandboxControl {
        SandboxControl::new(self.base_url())
    }

    /// Stops accepting and closes every open connection.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Runs the sandbox on `addr` until Ctrl-C (the CLI's `sandbox serve`).
pub async fn serve(config: SandboxConfig, addr: SocketAddr) -> Result<(), SandboxError> {
    let handle = Sandbox::start_on(config, addr)?;
    let base = handle.base_url();
    println!("Advisor Desk sandbox listening on {base}");
    println!("  Flanks API + link:  {base}/v0/…  {base}/link?token={DEFAULT_LINK_TOKEN}");
    println!("  Flinks API:         {base}/v3/{FLINKS_CUSTOMER_ID}/BankingServices/…");
    println!("  Flinks Connect:     {base}/flinks-connect/v2/?demo=true");
    println!("  Banks' own pages:   {}/bank/…", handle.bank_url());
    println!("  Control plane:      {base}/_sandbox/book");
    tracing::info!(%base, "sandbox started");
    tokio::signal::ctrl_c()
        .await
        .map_err(SandboxError::Signal)?;
    handle.shutdown().await;
    Ok(())
}

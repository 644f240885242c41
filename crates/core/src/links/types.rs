//! The link service's public types: what starting a flow returns, how a flow ends
//! ([`LinkOutcome`]), what start-up recovery reports, the errors, the options, and the
//! exchange's step boundaries (for the crash test). No behaviour lives here: that is
//! `service.rs` (starting flows, callbacks, removal), `exchange.rs` (the write-ahead
//! exchange) and `recovery.rs` (resume, reconcile, poll).

use chrono::Duration;
use serde::Serialize;

use super::sessions::Delivery;
use super::wording::Wording;
use super::{LinkFlow, LinkPurpose};
use crate::domain::{ConnectionStatus, ProviderFailure};
use crate::error::{CoreError, IpcError};
use crate::secrets::SecretError;

/// A step boundary of the write-ahead exchange. Production passes [`NoObserver`]; the crash
/// test aborts the process at one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeBoundary {
    /// The callback was claimed; the code is only in memory.
    Claimed,
    /// The code is in the keychain; not yet exchanged.
    CodeSaved,
    /// The provider answered with the token; nothing of it is stored yet.
    Exchanged,
    /// The token is in the keychain; SQLite does not know the connection yet.
    TokenSaved,
    /// Connection row and completed session committed; the code entry is still there.
    Mapped,
    /// Everything done.
    CleanedUp,
}

pub trait ExchangeObserver: Send + Sync {
    fn at(&self, session_id: i64, boundary: ExchangeBoundary);
}

pub struct NoObserver;

impl ExchangeObserver for NoObserver {
    fn at(&self, _: i64, _: ExchangeBoundary) {}
}

#[derive(Debug, Clone)]
pub struct LinkOptions {
    /// Expiry of a link opened in the embedded window.
    pub window_ttl: Duration,
    /// Expiry of a link sent to the client ("Send link").
    pub send_link_ttl: Duration,
    /// How long a delayed code may keep answering 202 (seed 001: 72 h).
    pub delayed_limit: Duration,
    /// First wait before a delayed code is tried again; doubles up to `max_check`.
    pub first_check: Duration,
    pub max_check: Duration,
}

impl LinkOptions {
    /// How long a link stays valid where it is opened.
    pub fn ttl(&self, delivery: Delivery) -> Duration {
        match delivery {
            Delivery::Window => self.window_ttl,
            Delivery::Sent => self.send_link_ttl,
        }
    }
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            window_ttl: Duration::minutes(30),
            send_link_ttl: Duration::hours(24),
            delayed_limit: Duration::hours(72),
            first_check: Duration::minutes(5),
            max_check: Duration::hours(6),
        }
    }
}

#[derive(Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct LinkStart {
    pub session_id: i64,
    /// The provider URL to open in the link window (or to send to the client).
    pub url: String,
    pub expires_at: String,
    pub flow: LinkFlow,
    pub purpose: LinkPurpose,
}

/// The URL carries the one-time state (and, for a reauthorization, the provider's SCA or
/// reset token): logs get it without its query.
impl std::fmt::Debug for LinkStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = self.url.split('?').next().unwrap_or_default();
        f.debug_struct("LinkStart")
            .field("session_id", &self.session_id)
            .field("url", &format_args!("{shown}?<redacted>"))
            .field("expires_at", &self.expires_at)
            .field("flow", &self.flow)
            .field("purpose", &self.purpose)
            .finish()
    }
}

/// What an open link session is waiting for, for the app's list of pending connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PendingState {
    /// The client has not finished the provider's pages yet.
    WaitingForClient,
    /// A delayed code: "waiting for provider checks" (up to 72 h).
    WaitingForProviderChecks,
    /// A result arrived and is being stored (or will be resumed at start-up).
    Finishing,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct PendingLink {
    pub session_id: i64,
    pub client_id: i64,
    pub connection_id: Option<i64>,
    pub flow: LinkFlow,
    pub purpose: LinkPurpose,
    pub state: PendingState,
    pub expires_at: String,
    pub next_check_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReauthStart {
    Started {
        link: LinkStart,
    },
    /// The provider needs nothing from the client; the connection was re-synced.
    AlreadyHealthy {
        connection_id: i64,
        status: ConnectionStatus,
    },
    /// The provider is still collecting the first data: nothing to reauthorize yet.
    ProviderStillWorking {
        connection_id: i64,
    },
}

/// An existing provider credential that a duplicate could be mapped to.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct DuplicateCandidate {
    /// Opaque reference for [`LinkService::map_existing_credential`] (the token's hash).
    pub credential_ref: String,
    pub bank: Option<String>,
    /// Set when the credential already belongs to a client: it cannot be mapped again.
    pub mapped_to_client_id: Option<i64>,
    pub mapped_to_client_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LinkOutcome {
    Connected {
        session_id: i64,
        client_id: i64,
        connection_id: i64,
        /// The connection's status after its first sync.
        status: ConnectionStatus,
    },
    Reauthorized {
        session_id: i64,
        client_id: i64,
        connection_id: i64,
        status: ConnectionStatus,
    },
    /// A delayed code: "waiting for provider checks", tried again at `next_check_at`.
    Waiting {
        session_id: i64,
        next_check_at: String,
    },
    /// Connect v2: the client has not finished yet.
    InProgress {
        session_id: i64,
    },
    ProviderError {
        session_id: i64,
        code: String,
        #[serde(flatten)]
        wording: Wording,
    },
    /// The login is already connected: map the existing credential instead.
    Duplicate {
        session_id: i64,
        #[serde(flatten)]
        wording: Wording,
        candidates: Vec<DuplicateCandidate>,
    },
    Closed {
        session_id: i64,
    },
    /// Firm mode: the client connected, but the firm database could not be reached; the
    /// result is kept in this desktop's keychain and joins the firm's book once it is back.
    KeptForFirm {
        session_id: i64,
        client_id: i64,
    },
    Expired {
        session_id: i64,
        #[serde(flatten)]
        wording: Wording,
    },
    /// The callback was refused (and audited); nothing else happened.
    Refused {
        reason: String,
        message: String,
    },
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct Removal {
    pub connection_id: i64,
    /// False when the provider no longer knew the credential (or no token was left).
    pub deleted_at_provider: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoveryReport {
    /// Sessions finished (or moved on) by resuming their exchange.
    pub resumed: Vec<LinkOutcome>,
    /// Connections re-attached from the provider's credential list.
    pub recovered_connections: Vec<i64>,
    /// Sessions that could not be resumed now (provider unreachable…); tried again later.
    pub errors: Vec<IpcError>,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Keychain(#[from] SecretError),
    #[error("{0}")]
    Provider(ProviderFailure),
    #[error("{0} is not configured for connecting accounts")]
    NotConfigured(&'static str),
    #[error("{0}")]
    Invalid(String),
    /// Deleting a client stopped at a connection the provider could not delete.
    #[error("{0}")]
    DeletionStopped(String),
}

impl LinkError {
    pub fn code(&self) -> String {
        match self {
            LinkError::Core(e) => e.code().as_str().to_string(),
            LinkError::Keychain(e) => e.code().as_str().to_string(),
            LinkError::Provider(f) => format!("provider_{}", f.kind.as_str()),
            LinkError::NotConfigured(_) => "not_configured".into(),
            LinkError::Invalid(_) => "invalid_input".into(),
            LinkError::DeletionStopped(_) => "deletion_stopped".into(),
        }
    }
}

impl From<&LinkError> for IpcError {
    fn from(e: &LinkError) -> Self {
        IpcError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

pub type LinkResult<T> = Result<T, LinkError>;

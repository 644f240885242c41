//! Link sessions: the advisor starts a provider link flow for a client; the redirect that ends
//! it is accepted only for that open, unexpired session, once. [`LinkService`] is the façade
//! the app calls (connect, send link, reauthorize, callbacks, recovery, polling, removal).
//!
//! | file | job |
//! |---|---|
//! | `types.rs` | the public types: starts, outcomes, errors, options, exchange boundaries |
//! | `service.rs` | `LinkService`: starting flows, the callback handler, duplicates, removal |
//! | `sessions.rs` | starting a session and claiming its callback (once, open, unexpired) |
//! | `exchange.rs` | the exchange after the claim, a state machine over the ledger's steps |
//! | `ledger.rs` | the write-ahead ledger: step names, code entries, each step's write |
//! | `recovery.rs` | start-up resume, reconciliation with the providers, the poller |
//! | `reference.rs` | the references put in provider links (session, client) and read back |
//! | `client_deletion.rs` | deleting a client: provider → keychain → rows, resumable |
//! | `reauth_plan.rs` | what "Reauthorize" / "Renew now" opens for the provider's answer (solo and firm) |
//! | `flight.rs` | one worker per session in the process |
//! | `send.rs` | links sent to clients (one message per client), "Renew now" |
//! | `message.rs` | the message to the client in their language, and its `mailto:` |
//!
//! A connection's credential itself (hash, keychain name, row insert) is
//! [`crate::credentials`].

pub mod callback;
mod client_deletion;
mod exchange;
mod flight;
/// Moved to [`crate::credentials::upgrade`]; the old path still works.
pub use crate::credentials::upgrade as keychain_upgrade;
pub mod ledger;
pub mod message;
pub mod provider;
pub mod reauth_plan;
mod recovery;
pub mod reference;
mod send;
pub mod service;
pub mod sessions;
pub mod state;
pub mod types;
pub mod wording;

use serde::{Deserialize, Serialize};

use crate::domain::Provider;

pub use callback::{parse_callback, Callback, CallbackRejection, CallbackResult, CALLBACK_URL};
pub use client_deletion::ClientDeletion;
pub use message::{ClientMessage, MessageLink};
pub use provider::{
    CodeExchange, ConnectSessionState, DeleteResult, LinkProviderApi, LinkRequest, LinkTarget,
    PendingCode, ReauthNeed, RemoteCredential,
};
pub use reauth_plan::{Reauth, ReauthLink, ReauthPlan};
pub use reference::{client_link_ref, parse_link_ref, session_ref, ClientReference, LinkReference};
pub use send::{NotSent, SentLinks, MAX_BATCH};
pub use service::LinkService;
pub use sessions::{
    CallbackSource, ClaimError, ClaimedCallback, Delivery, LinkSession, NewLinkSession,
    StartedLinkSession,
};
pub use types::{
    DuplicateCandidate, ExchangeBoundary, ExchangeObserver, LinkError, LinkOptions, LinkOutcome,
    LinkStart, NoObserver, PendingLink, PendingState, ReauthStart, RecoveryReport, Removal,
};
pub use wording::Wording;

/// Which provider flow a link session uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum LinkFlow {
    /// Flanks legacy Link: `/link?token=…` → `?code=` → exchange.
    FlanksLink,
    /// Flanks Connect API v2: a session → `?session_id=` → list-sessions.
    FlanksConnectV2,
    /// Flinks Connect: widget → `?loginId=`.
    FlinksConnect,
}

impl LinkFlow {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkFlow::FlanksLink => "flanks_link",
            LinkFlow::FlanksConnectV2 => "flanks_connect_v2",
            LinkFlow::FlinksConnect => "flinks_connect",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "flanks_link" => Some(LinkFlow::FlanksLink),
            "flanks_connect_v2" => Some(LinkFlow::FlanksConnectV2),
            "flinks_connect" => Some(LinkFlow::FlinksConnect),
            _ => None,
        }
    }

    pub fn provider(self) -> Provider {
        match self {
            LinkFlow::FlanksLink | LinkFlow::FlanksConnectV2 => Provider::Flanks,
            LinkFlow::FlinksConnect => Provider::Flinks,
        }
    }
}

/// Why the link flow is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    /// Connect a new login.
    New,
    /// Pending SCA: the client answers only the SCA (`sca_token`).
    Sca,
    /// Blocked: the client re-enters user and password (`reset_token`).
    Reset,
    /// Flinks: the client answers MFA questions (`requestId`).
    Mfa,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::New => "new",
            LinkPurpose::Sca => "sca",
            LinkPurpose::Reset => "reset",
            LinkPurpose::Mfa => "mfa",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "new" => Some(LinkPurpose::New),
            "sca" => Some(LinkPurpose::Sca),
            "reset" => Some(LinkPurpose::Reset),
            "mfa" => Some(LinkPurpose::Mfa),
            _ => None,
        }
    }

    /// Reauthorizations act on an existing connection.
    pub fn needs_connection(self) -> bool {
        !matches!(self, LinkPurpose::New)
    }
}

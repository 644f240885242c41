//! What the connect / reauthorize flows need from a provider. Implemented over the HTTP
//! clients in `advisor-desk-providers` (core never depends on it); one value per provider.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{LinkFlow, LinkPurpose};
use crate::domain::{FailureKind, Provider, ProviderFailure};
use crate::secrets::Secret;

/// What the provider URL must carry. The UI never builds provider URLs.
pub struct LinkRequest<'a> {
    pub flow: LinkFlow,
    pub purpose: LinkPurpose,
    /// The one-time state (only its hash is stored).
    pub state: &'a str,
    /// Opaque reference to the link session (Flinks `tag`), see [`super::reference::session_ref`].
    pub session_ref: &'a str,
    /// The session's reference naming its client too (Flanks `external_id` and the `client_ref`
    /// extra), see [`super::reference::client_link_ref`].
    pub client_ref: &'a str,
    /// Flanks reauthorization: the bank and its `sca_token` / `reset_token`; Flinks credential
    /// step: the institution.
    pub bank: Option<&'a str>,
    pub reauth_token: Option<&'a Secret>,
    /// Flinks MFA reauthorization: the `RequestId` of the 203.
    pub request_id: Option<&'a str>,
}

/// The URL to open, and the provider's own session id when the flow has one (Connect v2).
pub struct LinkTarget {
    pub url: String,
    pub provider_session_id: Option<String>,
}

/// The result of exchanging a one-use Flanks code.
pub enum CodeExchange {
    Exchanged {
        token: Secret,
        extra: BTreeMap<String, String>,
    },
    /// 202: security checks; try again later (up to 72 h).
    Delayed,
    /// The provider no longer accepts the code (already exchanged, or unknown).
    Spent,
}

/// A code the provider issued that nobody exchanged yet.
pub struct PendingCode {
    pub code: Secret,
    pub extra: BTreeMap<String, String>,
}

/// A credential the provider holds for this company.
pub struct RemoteCredential {
    pub token: Secret,
    pub external_id: Option<String>,
    pub bank: Option<String>,
}

/// What a connection needs before it works again.
pub enum ReauthNeed {
    Healthy,
    /// The first extraction has not finished yet: nothing for the client to do.
    Pending,
    /// Flanks Pending SCA: an SCA-only link.
    Sca {
        token: Secret,
        bank: Option<String>,
    },
    /// Flanks Blocked: a user/password link that keeps the credentials_token.
    Reset {
        token: Secret,
        bank: Option<String>,
    },
    /// Flinks live Authorize answered 203: open Connect with this `requestId`.
    Mfa {
        request_id: String,
    },
    /// Flinks past the reconnect window (about four weeks after the last live connection):
    /// Connect's credential step for the connection's institution, where the client logs in
    /// again (the same bank login gives back the same loginId).
    Credentials,
}

/// A Connect v2 session as the provider reports it.
pub enum ConnectSessionState {
    /// The client has not finished (waiting or processing).
    InProgress,
    Finished {
        token: Secret,
    },
    Failed {
        code: String,
    },
    /// The provider does not know the session.
    Unknown,
}

pub enum DeleteResult {
    Deleted,
    /// The provider did not know the credential any more: nothing left to delete there.
    AlreadyGone,
}

fn unsupported(what: &str) -> ProviderFailure {
    ProviderFailure::new(FailureKind::Configuration)
        .with_message(format!("{what} is not supported by this provider"))
}

#[async_trait]
pub trait LinkProviderApi: Send + Sync {
    fn provider(&self) -> Provider;

    /// Builds the URL the client opens (creating a provider session when the flow has one).
    async fn link_url(&self, req: &LinkRequest<'_>) -> Result<LinkTarget, ProviderFailure>;

    /// Flanks legacy Link: exchanges a one-use code. Never retried blindly by the caller.
    async fn exchange_code(&self, _code: &Secret) -> Result<CodeExchange, ProviderFailure> {
        Err(unsupported("code exchange"))
    }

    /// Codes issued but never exchanged (mobile flow, redirects that never reached us).
    async fn unused_codes(&self) -> Result<Vec<PendingCode>, ProviderFailure> {
        Ok(Vec::new())
    }

    /// Every credential the provider holds (empty where the provider cannot list them).
    async fn credentials(&self) -> Result<Vec<RemoteCredential>, ProviderFailure> {
        Ok(Vec::new())
    }

    /// Whether the credential needs the client (Flanks status; Flinks live Authorize).
    async fn reauth_need(&self, token: &Secret) -> Result<ReauthNeed, ProviderFailure>;

    /// "Renew now" with the client present: what renews the consent before the bank asks
    /// (Flanks: an SCA token asked for with `force: "sca"`; Flinks: a live Authorize, as
    /// [`reauth_need`](Self::reauth_need)).
    async fn renew_consent(&self, token: &Secret) -> Result<ReauthNeed, ProviderFailure> {
        self.reauth_need(token).await
    }

    /// Flinks: when the login's data last moved (`Login.LastRefresh` of a cached Authorize),
    /// how a reconnection the client finished elsewhere is found; `None` where unknown.
    async fn last_live_refresh(
        &self,
        _token: &Secret,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, ProviderFailure> {
        Ok(None)
    }

    /// Connect v2: looks a session up by id.
    async fn connect_session(
        &self,
        _session_id: &str,
    ) -> Result<ConnectSessionState, ProviderFailure> {
        Err(unsupported("Connect v2 sessions"))
    }

    /// Deletes the credential at the provider (Flanks DELETE, Flinks DeleteCard).
    async fn delete_credential(&self, token: &Secret) -> Result<DeleteResult, ProviderFailure>;
}

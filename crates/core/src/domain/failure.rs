//! Every provider error, classified by who must act: the client (SCA, blocked password, MFA),
//! nobody yet (pending, rate limit, outage: retry later), or the advisor (API keys,
//! configuration). The provider's own code and wording are kept for display.

use serde::Serialize;

use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The client must be present: SCA, a new password, an MFA answer.
    Client,
    /// Nobody: wait and retry (see `retry_at`).
    Nobody,
    /// The advisor: API keys, configuration, a missing keychain entry.
    Advisor,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Client => "client",
            Actor::Nobody => "nobody",
            Actor::Advisor => "advisor",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Flanks Pending SCA / SCA_REQUIRED / SCA_ERROR.
    ScaRequired,
    /// Flanks Blocked / CREDENTIALS_ERROR; Flinks DISABLED_LOGIN.
    Blocked,
    /// Flinks 203 or INVALID_LOGIN / INVALID_SECURITY_RESPONSE on a live authorization.
    MfaRequired,
    InvalidLogin,
    /// First extraction not finished (Flanks pending, PROCESSING, Flinks OPERATION_PENDING).
    Pending,
    /// A link code whose token arrives later (delayed=true, 202 on exchange).
    Delayed,
    RateLimited,
    ProviderUnavailable,
    BankUnavailable,
    Timeout,
    Network,
    /// A body that could not be read (truncated, malformed).
    BadResponse,
    /// The provider refused our own API keys.
    Unauthorized,
    Configuration,
    /// The provider no longer knows this credential / login.
    Removed,
}

impl FailureKind {
    pub const ALL: [FailureKind; 15] = {
        use FailureKind::*;
        [
            ScaRequired,
            Blocked,
            MfaRequired,
            InvalidLogin,
            Pending,
            Delayed,
            RateLimited,
            ProviderUnavailable,
            BankUnavailable,
            Timeout,
            Network,
            BadResponse,
            Unauthorized,
            Configuration,
            Removed,
        ]
    };

    /// The kind [`as_str`](Self::as_str) named (a firm refresh's outcome row stores it).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn actor(self) -> Actor {
        use FailureKind::*;
        match self {
            ScaRequired | Blocked | MfaRequired | InvalidLogin => Actor::Client,
            Pending | Delayed | RateLimited | ProviderUnavailable | BankUnavailable | Timeout
            | Network | BadResponse => Actor::Nobody,
            Unauthorized | Configuration | Removed => Actor::Advisor,
        }
    }

    pub fn as_str(self) -> &'static str {
        use FailureKind::*;
        match self {
            ScaRequired => "sca_required",
            Blocked => "blocked",
            MfaRequired => "mfa_required",
            InvalidLogin => "invalid_login",
            Pending => "pending",
            Delayed => "delayed",
            RateLimited => "rate_limited",
            ProviderUnavailable => "provider_unavailable",
            BankUnavailable => "bank_unavailable",
            Timeout => "timeout",
            Network => "network",
            BadResponse => "bad_response",
            Unauthorized => "unauthorized",
            Configuration => "configuration",
            Removed => "removed",
        }
    }

    /// Worth retrying automatically, later.
    pub fn is_transient(self) -> bool {
        self.actor() == Actor::Nobody
    }

    fn describe(self) -> &'static str {
        use FailureKind::*;
        match self {
            ScaRequired => "the bank asks the client to confirm access again (SCA)",
            Blocked => {
                "the bank no longer accepts the stored login: the client must enter it again"
            }
            MfaRequired => "the bank asks the client a security question",
            InvalidLogin => "the bank rejected the client's login",
            Pending => "the provider has not finished collecting the data yet",
            Delayed => "the provider is running security checks; the connection arrives later",
            RateLimited => "the provider asked us to slow down",
            ProviderUnavailable => "the provider is unavailable",
            BankUnavailable => "the bank is unavailable",
            Timeout => "the provider did not answer in time",
            Network => "the provider could not be reached",
            BadResponse => "the provider sent an answer that could not be read",
            Unauthorized => "the provider refused the API keys: check them in Settings",
            Configuration => "the provider reports a configuration problem with this account",
            Removed => "the provider no longer knows this connection",
        }
    }
}

/// A classified provider failure. Holds no secret: only the provider's public code and
/// message, the endpoint name and the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[error("{}{}", kind.describe(), detail_suffix(.provider_code, .provider_message))]
pub struct ProviderFailure {
    pub kind: FailureKind,
    pub provider_code: Option<String>,
    pub provider_message: Option<String>,
    pub http_status: Option<u16>,
    pub endpoint: Option<String>,
    /// When to try again (`Retry-After`, or the engine's backoff).
    pub retry_at: Option<Timestamp>,
}

fn detail_suffix(code: &Option<String>, message: &Option<String>) -> String {
    match (code, message) {
        (Some(c), Some(m)) => format!(" (provider: {c}: {m})"),
        (Some(c), None) => format!(" (provider: {c})"),
        (None, Some(m)) => format!(" (provider: {m})"),
        (None, None) => String::new(),
    }
}

/// Provider wording is shown to people; keep it short and on one line.
const MAX_PROVIDER_TEXT: usize = 300;

impl ProviderFailure {
    pub fn new(kind: FailureKind) -> Self {
        ProviderFailure {
            kind,
            provider_code: None,
            provider_message: None,
            http_status: None,
            endpoint: None,
            retry_at: None,
        }
    }

    pub fn actor(&self) -> Actor {
        self.kind.actor()
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.provider_code = Some(clip(&code.into()));
        self
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        let m = clip(&message.into());
        self.provider_message = (!m.is_empty()).then_some(m);
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    pub fn with_retry_at(mut self, at: Option<Timestamp>) -> Self {
        self.retry_at = at;
        self
    }
}

fn clip(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    one_line.trim().chars().take(MAX_PROVIDER_TEXT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_follow_who_must_act() {
        assert_eq!(FailureKind::ScaRequired.actor(), Actor::Client);
        assert_eq!(FailureKind::RateLimited.actor(), Actor::Nobody);
        assert_eq!(FailureKind::Unauthorized.actor(), Actor::Advisor);
        assert!(FailureKind::Timeout.is_transient());
        assert!(!FailureKind::Blocked.is_transient());
    }

    #[test]
    fn message_keeps_provider_wording_on_one_line() {
        let f = ProviderFailure::new(FailureKind::BankUnavailable)
            .with_code("50001")
            .with_message("BANK_ERROR\nthe bank\tis down");
        let text = f.to_string();
        assert!(text.contains("the bank is unavailable"), "{text}");
        assert!(
            text.contains("50001: BANK_ERROR the bank is down"),
            "{text}"
        );
    }
}

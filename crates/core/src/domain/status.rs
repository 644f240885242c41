//! Connection states (seed 003 lifecycle plus our own transient and removed states) and what
//! a provider says about a credential before data is fetched.

use serde::{Deserialize, Serialize};

use super::{Actor, FailureKind};
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Created; the provider's first extraction has not finished.
    Pending,
    Ready,
    PendingSca,
    Blocked,
    MfaRequired,
    /// A delayed link code: the credential arrives within 72 h.
    Delayed,
    /// A transient failure; `next_retry_at` says when.
    RetryLater,
    /// The advisor must fix something (keys, configuration).
    NeedsAdvisor,
    Removed,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Pending => "pending",
            ConnectionStatus::Ready => "ready",
            ConnectionStatus::PendingSca => "pending_sca",
            ConnectionStatus::Blocked => "blocked",
            ConnectionStatus::MfaRequired => "mfa_required",
            ConnectionStatus::Delayed => "delayed",
            ConnectionStatus::RetryLater => "retry_later",
            ConnectionStatus::NeedsAdvisor => "needs_advisor",
            ConnectionStatus::Removed => "removed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => ConnectionStatus::Pending,
            "ready" => ConnectionStatus::Ready,
            "pending_sca" => ConnectionStatus::PendingSca,
            "blocked" => ConnectionStatus::Blocked,
            "mfa_required" => ConnectionStatus::MfaRequired,
            "delayed" => ConnectionStatus::Delayed,
            "retry_later" => ConnectionStatus::RetryLater,
            "needs_advisor" => ConnectionStatus::NeedsAdvisor,
            "removed" => ConnectionStatus::Removed,
            _ => return None,
        })
    }

    pub fn action_by(self) -> Actor {
        match self {
            ConnectionStatus::PendingSca
            | ConnectionStatus::Blocked
            | ConnectionStatus::MfaRequired => Actor::Client,
            ConnectionStatus::NeedsAdvisor | ConnectionStatus::Removed => Actor::Advisor,
            _ => Actor::Nobody,
        }
    }

    /// The state a failure leads to, given the state before. Transient failures never move
    /// a connection into a state that asks the client to act, and never clear one: they
    /// only say "retry later".
    pub fn after_failure(self, kind: FailureKind) -> ConnectionStatus {
        match kind {
            FailureKind::ScaRequired => ConnectionStatus::PendingSca,
            FailureKind::Blocked | FailureKind::InvalidLogin => ConnectionStatus::Blocked,
            FailureKind::MfaRequired => ConnectionStatus::MfaRequired,
            FailureKind::Removed => ConnectionStatus::Removed,
            FailureKind::Unauthorized | FailureKind::Configuration => {
                ConnectionStatus::NeedsAdvisor
            }
            FailureKind::Pending => match self {
                // Still waiting for the first extraction.
                ConnectionStatus::Pending => ConnectionStatus::Pending,
                other if other.action_by() == Actor::Client => other,
                _ => ConnectionStatus::RetryLater,
            },
            FailureKind::Delayed => ConnectionStatus::Delayed,
            _ => match self {
                // Unconfirmed: keep what we knew about a state the client must resolve.
                s if s.action_by() == Actor::Client => s,
                ConnectionStatus::Pending => ConnectionStatus::Pending,
                _ => ConnectionStatus::RetryLater,
            },
        }
    }
}

/// What the provider says about a credential right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteState {
    Ready,
    Pending,
    PendingSca,
    Blocked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteStatus {
    pub state: RemoteState,
    pub data_as_of: Option<Timestamp>,
    /// The institution the provider names for the credential, when it says.
    pub institution_id: Option<String>,
    /// Products the provider says it failed to extract (Flanks `errored.product`).
    pub errored_products: Vec<String>,
}

impl RemoteStatus {
    pub fn ready() -> Self {
        RemoteStatus {
            state: RemoteState::Ready,
            data_as_of: None,
            institution_id: None,
            errored_products: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_never_ask_the_client_and_never_hide_that_they_must() {
        use ConnectionStatus::*;
        for kind in [
            FailureKind::Timeout,
            FailureKind::RateLimited,
            FailureKind::ProviderUnavailable,
            FailureKind::BankUnavailable,
            FailureKind::BadResponse,
            FailureKind::Network,
        ] {
            assert_eq!(Ready.after_failure(kind), RetryLater);
            assert_eq!(RetryLater.after_failure(kind), RetryLater);
            assert_eq!(Pending.after_failure(kind), Pending);
            assert_eq!(PendingSca.after_failure(kind), PendingSca);
            assert_eq!(Blocked.after_failure(kind), Blocked);
            assert_ne!(Ready.after_failure(kind).action_by(), Actor::Client);
        }
        assert_eq!(Ready.after_failure(FailureKind::ScaRequired), PendingSca);
        assert_eq!(Ready.after_failure(FailureKind::Unauthorized), NeedsAdvisor);
    }

    #[test]
    fn every_status_round_trips_through_text() {
        use ConnectionStatus::*;
        for s in [
            Pending,
            Ready,
            PendingSca,
            Blocked,
            MfaRequired,
            Delayed,
            RetryLater,
            NeedsAdvisor,
            Removed,
        ] {
            assert_eq!(ConnectionStatus::parse(s.as_str()), Some(s));
        }
    }
}

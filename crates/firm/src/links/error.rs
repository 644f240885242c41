//! The firm link sessions' refusals. None holds a secret: a session is named by its id, a
//! refused callback by its code, never its URL.

use advisor_desk_core::domain::ProviderFailure;
use advisor_desk_core::firm::{LedgerError, PendingLink};
use advisor_desk_core::links::CallbackRejection;

use crate::secrets::FirmSecretsError;
use crate::FirmDbError;

#[derive(Debug, thiserror::Error)]
pub enum FirmLinkError {
    /// A callback that is not for an open, unexpired session of this flow, or a second one
    /// (audited, as in the solo book).
    #[error(transparent)]
    Refused(CallbackRejection),

    #[error("{0}")]
    Invalid(String),

    /// The provider refused or failed a step of the flow (the link, the code's exchange).
    #[error("{0}")]
    Provider(ProviderFailure),

    #[error("{0} is not configured for connecting accounts")]
    NotConfigured(&'static str),

    #[error("link session {0} does not exist or is not one of your clients'")]
    SessionNotFound(i64),

    #[error("connection {0} does not exist or is not one of your clients'")]
    ConnectionNotFound(i64),

    #[error("client {0} does not exist or is not one of yours")]
    ClientNotFound(i64),

    /// A client's deletion stopped at a provider's failure (what was removed before stays
    /// removed; nothing else was deleted). Says which connection, never a secret.
    #[error("{0}")]
    DeletionStopped(String),

    #[error("link session {session_id} already ended ({outcome}); its result was not mapped")]
    SessionEnded { session_id: i64, outcome: String },

    #[error("link session {session_id} is not at step {from}")]
    NotAtStep { session_id: i64, from: String },

    /// A kept result naming another client or provider than its session.
    #[error(
        "the link result kept for session {0} does not match that session's client or provider"
    )]
    ResultMismatch(i64),

    #[error("the firm database holds a link session with an unknown {0}")]
    Stored(&'static str),

    #[error(transparent)]
    Secrets(#[from] FirmSecretsError),

    #[error(transparent)]
    Database(#[from] FirmDbError),

    #[error(transparent)]
    Ledger(#[from] LedgerError),

    /// Neither the firm database nor the keychain took the result: the caller still holds it
    /// (in `link`) and must not drop it without telling the advisor.
    #[error(
        "the link result of session {} could not be saved: the firm database failed ({database}) \
         and the keychain failed ({keychain})",
        link.session_id
    )]
    NotKept {
        link: Box<PendingLink>,
        database: Box<FirmLinkError>,
        keychain: LedgerError,
    },
}

impl FirmLinkError {
    /// The stable machine code the UI and scripts switch on.
    pub fn code(&self) -> &'static str {
        match self {
            // Whether it came through a sealed secret's statement or another.
            _ if self.is_unreachable() => "firm_unreachable",
            FirmLinkError::Refused(rejection) => rejection.code(),
            FirmLinkError::Invalid(_) | FirmLinkError::ResultMismatch(_) => "invalid_input",
            // The app names the kind (`provider_<kind>`, as the solo flow) from the failure.
            FirmLinkError::Provider(_) => "provider_failure",
            FirmLinkError::NotConfigured(_) => "not_configured",
            FirmLinkError::SessionNotFound(_)
            | FirmLinkError::ConnectionNotFound(_)
            | FirmLinkError::ClientNotFound(_) => "not_found",
            FirmLinkError::DeletionStopped(_) => "deletion_stopped",
            FirmLinkError::SessionEnded { .. } => "link_session_ended",
            FirmLinkError::NotAtStep { .. } => "link_step_moved",
            FirmLinkError::Stored(_) => "firm_database",
            FirmLinkError::Secrets(e) => e.code(),
            FirmLinkError::Database(_) => "firm_database",
            FirmLinkError::Ledger(e) => e.code(),
            FirmLinkError::NotKept { .. } => "link_result_not_kept",
        }
    }

    /// The firm database could not be reached, restarted or cut the connection: the same
    /// work may succeed later. Everything else is final.
    pub fn is_unreachable(&self) -> bool {
        let database = match self {
            FirmLinkError::Database(e) => e,
            FirmLinkError::Secrets(FirmSecretsError::Database(e)) => e,
            _ => return false,
        };
        database.is_unreachable()
    }
}

impl From<postgres::Error> for FirmLinkError {
    fn from(error: postgres::Error) -> Self {
        FirmLinkError::Database(error.into())
    }
}

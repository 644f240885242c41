//! The refresh's typed errors. None carries a secret: connections are named by their book id.

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The lease was taken by another desktop (it expired first) or the connection is no longer
    /// due: this desktop's result must not be written.
    #[error(
        "the lease on connection {connection_id} in round {round_id} was lost to another desktop"
    )]
    LeaseLost { round_id: i64, connection_id: i64 },
    #[error("{0} is not a connection id (they are positive)")]
    InvalidConnectionId(i64),
    #[error("a lease must last between 1 second and 1 hour, not {0:?}")]
    InvalidLeaseDuration(std::time::Duration),
    #[error("refresh round {0} does not exist")]
    UnknownRound(i64),
    /// The caller's snapshot write failed; the outcome was not recorded either.
    #[error("writing the snapshot of connection {connection_id} failed: {message}")]
    SnapshotWrite { connection_id: i64, message: String },
    #[error("firm database error: {0}")]
    Database(#[from] postgres::Error),
    #[error("cannot reach the firm database: {0}")]
    Unreachable(String),
    /// A read around the round (the connections, the clients) failed.
    #[error(transparent)]
    Firm(#[from] crate::FirmDbError),
}

impl From<r2d2::Error> for RefreshError {
    fn from(error: r2d2::Error) -> Self {
        RefreshError::Unreachable(error.to_string())
    }
}

impl RefreshError {
    /// Worth trying again after a pause: the server was unreachable, restarted or cut the
    /// connection. Everything else (a lost lease, bad input, a constraint) is final.
    pub fn is_transient(&self) -> bool {
        match self {
            RefreshError::Unreachable(_) => true,
            RefreshError::Database(error) => is_transient_database_error(error),
            RefreshError::Firm(crate::FirmDbError::Unreachable(_)) => true,
            RefreshError::Firm(crate::FirmDbError::Database(error)) => {
                is_transient_database_error(error)
            }
            _ => false,
        }
    }
}

pub(crate) fn is_transient_database_error(error: &postgres::Error) -> bool {
    if error.is_closed() {
        return true;
    }
    match error.code() {
        // Class 08 (connection exception), 57P01–57P03 (shutdown, crash, starting up), and
        // 40001/40P01 (serialization failure, deadlock): the statement may succeed if repeated.
        Some(code) => {
            let code = code.code();
            code.starts_with("08")
                || matches!(code, "57P01" | "57P02" | "57P03" | "40001" | "40P01")
        }
        // No SQLSTATE: transient only when the failure was I/O (the connection dropped
        // mid-answer), not when it was ours (a parameter or a column of the wrong type).
        None => std::error::Error::source(error).is_some_and(|s| s.is::<std::io::Error>()),
    }
}

impl From<&RefreshError> for advisor_desk_core::IpcError {
    /// As the window shows it: an unreachable server is `firm_unreachable` (the banner's
    /// words), anything else `firm_database`; the message names no secret.
    fn from(e: &RefreshError) -> Self {
        use advisor_desk_core::ErrorCode;
        let code = match e {
            RefreshError::Firm(firm) => firm.code(),
            e if e.is_transient() => ErrorCode::FirmUnreachable,
            _ => ErrorCode::FirmDatabase,
        };
        advisor_desk_core::IpcError {
            code: code.as_str().to_string(),
            message: crate::session::without_credentials(&e.to_string()),
        }
    }
}

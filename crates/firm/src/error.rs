//! The firm store's typed errors. Messages never carry the connection password.

#[derive(Debug, thiserror::Error)]
pub enum FirmDbError {
    #[error("the firm database address is not valid: {0}")]
    InvalidUrl(String),
    #[error("the firm's CA certificate is not a valid PEM certificate: {0}")]
    InvalidCaCertificate(String),
    #[error("cannot reach the firm database: {0}")]
    Unreachable(String),
    #[error("firm database error: {0}")]
    Database(#[from] postgres::Error),
}

impl From<r2d2::Error> for FirmDbError {
    fn from(error: r2d2::Error) -> Self {
        FirmDbError::Unreachable(error.to_string())
    }
}

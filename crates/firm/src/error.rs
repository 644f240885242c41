//! The firm store's typed errors. Messages never carry the connection password.

#[derive(Debug, thiserror::Error)]
pub enum FirmDbError {
    #[error("the firm database address is not valid: {0}")]
    InvalidUrl(String),
    #[error("the firm's CA certificate is not a valid PEM certificate: {0}")]
    InvalidCaCertificate(String),
    #[error("cannot reach the firm database: {0}")]
    Unreachable(String),
    #[error("the firm database has schema version {found}, newer than this version of Advisor Desk knows ({supported}): update the app")]
    NewerSchema { found: i32, supported: i32 },
    #[error("the firm database has schema version {found}, older than {latest}: the firm's administrator must upgrade it")]
    SchemaNotMigrated { found: i32, latest: i32 },
    #[error("firm schema migration {version} failed: {detail}")]
    Migration { version: i32, detail: String },
    #[error("firm database error: {}", database_detail(.0))]
    Database(#[from] postgres::Error),
}

impl From<r2d2::Error> for FirmDbError {
    fn from(error: r2d2::Error) -> Self {
        FirmDbError::Unreachable(error.to_string())
    }
}

/// The server's own message (and detail) when there is one: `postgres::Error`'s Display says
/// only "db error".
pub fn database_detail(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_string(),
        },
        None => error.to_string(),
    }
}

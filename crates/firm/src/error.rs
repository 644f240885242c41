//! The firm store's typed errors. Messages never carry the connection password.

#[derive(Debug, thiserror::Error)]
pub enum FirmDbError {
    #[error("the firm database address is not valid: {0}")]
    InvalidUrl(String),
    #[error("the firm's CA certificate is not a valid PEM certificate: {0}")]
    InvalidCaCertificate(String),
    #[error("cannot reach the firm database: {0}")]
    Unreachable(String),
    #[error("the firm database refused the sign-in: {0}")]
    SignInRefused(String),
    #[error("the firm database has schema version {found}, newer than this version of Advisor Desk knows ({supported}): update the app")]
    NewerSchema { found: i32, supported: i32 },
    #[error("the firm database has schema version {found}, older than {latest}: the firm's administrator must upgrade it")]
    SchemaNotMigrated { found: i32, latest: i32 },
    #[error("firm schema migration {version} failed: {detail}")]
    Migration { version: i32, detail: String },
    /// A stored value this build cannot read (a flow, a purpose, a date it does not know).
    #[error("the firm database holds a value this version cannot read: {0}")]
    UnknownValue(String),
    #[error("firm database error: {}", database_detail(.0))]
    Database(#[from] postgres::Error),
}

impl From<r2d2::Error> for FirmDbError {
    fn from(error: r2d2::Error) -> Self {
        FirmDbError::Unreachable(error.to_string())
    }
}

impl FirmDbError {
    /// The firm database could not be reached, restarted or cut the connection: the same work
    /// may succeed later. Everything else is final.
    pub fn is_unreachable(&self) -> bool {
        match self {
            FirmDbError::Unreachable(_) => true,
            FirmDbError::Database(e) => crate::refresh::is_transient_database_error(e),
            _ => false,
        }
    }

    /// A failed connection attempt, with its whole chain of causes (a TLS handshake failure says
    /// which certificate check failed only in its source).
    pub(crate) fn from_connect(error: postgres::Error) -> Self {
        // SQLSTATE class 28: invalid authorization (wrong password, unknown role, pg_hba).
        let sign_in = error
            .code()
            .is_some_and(|code| code.code().starts_with("28"));
        let mut text = database_detail(&error);
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text = format!("{text}: {cause_text}");
            }
            source = cause.source();
        }
        if sign_in {
            FirmDbError::SignInRefused(text)
        } else {
            FirmDbError::Unreachable(text)
        }
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

//! Typed errors. Every error has a stable machine code (for the UI and scripts) and a
//! message written for a person. Messages never contain a secret: the variants that wrap
//! lower-level errors keep only their non-secret description.

use serde::Serialize;

use crate::secrets::SecretError;

/// Stable codes that the UI and the CLI's `--json` output switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    InvalidInput,
    SchemaTooNew,
    Database,
    DatabaseDamaged,
    BackupFailed,
    WrongPassphrase,
    BookFileDamaged,
    BookFileTooNew,
    Io,
    DiskFull,
    KeychainUnavailable,
    KeychainLocked,
    Keychain,
    /// Firm mode (crates/firm): the firm's PostgreSQL server cannot be reached.
    FirmUnreachable,
    /// The firm database refused this advisor's role or password.
    FirmSignInRefused,
    /// The firm database's schema is newer than this build knows.
    FirmSchemaTooNew,
    /// The firm database's schema is older: its administrator must migrate it.
    FirmSchemaNotMigrated,
    /// The saved firm settings (address, CA certificate) cannot be used.
    FirmSettingsInvalid,
    /// Any other refusal of the firm database.
    FirmDatabase,
    /// A firm command while this desktop is in solo mode.
    FirmNotJoined,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::SchemaTooNew => "schema_too_new",
            ErrorCode::Database => "database",
            ErrorCode::DatabaseDamaged => "database_damaged",
            ErrorCode::BackupFailed => "backup_failed",
            ErrorCode::WrongPassphrase => "wrong_passphrase",
            ErrorCode::BookFileDamaged => "book_file_damaged",
            ErrorCode::BookFileTooNew => "book_file_too_new",
            ErrorCode::Io => "io",
            ErrorCode::DiskFull => "disk_full",
            ErrorCode::KeychainUnavailable => "keychain_unavailable",
            ErrorCode::KeychainLocked => "keychain_locked",
            ErrorCode::Keychain => "keychain",
            ErrorCode::FirmUnreachable => "firm_unreachable",
            ErrorCode::FirmSignInRefused => "firm_sign_in_refused",
            ErrorCode::FirmSchemaTooNew => "firm_schema_too_new",
            ErrorCode::FirmSchemaNotMigrated => "firm_schema_not_migrated",
            ErrorCode::FirmSettingsInvalid => "firm_settings_invalid",
            ErrorCode::FirmDatabase => "firm_database",
            ErrorCode::FirmNotJoined => "firm_not_joined",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{what} {id} was not found")]
    NotFound { what: &'static str, id: String },

    #[error("{0}")]
    InvalidInput(String),

    #[error(
        "this database was written by a newer version of Advisor Desk (schema {found}, this \
         version understands up to {supported}); update the app — the file was not changed"
    )]
    SchemaTooNew { found: i64, supported: i64 },

    #[error("database error: {0}")]
    Database(#[source] rusqlite::Error),

    #[error("cannot open the database at {path}: {reason}")]
    DatabaseOpen { path: String, reason: String },

    /// The file is a database but the check at open (or a read) found it damaged: it is
    /// not used, and not changed.
    #[error(
        "the database at {path} is damaged ({problem}); it was not used and was left as it is — \
         restore the newest backup (advisor-desk-cli restore --latest)"
    )]
    DatabaseDamaged { path: String, problem: String },

    /// A backup copy did not pass its check; it was removed and the database is untouched.
    #[error("the backup {path} did not pass its check ({problem}); it was removed")]
    BackupUnverified { path: String, problem: String },

    #[error("the passphrase does not open this book file; nothing was imported")]
    WrongPassphrase,

    #[error(
        "the book file is damaged, truncated or was changed ({problem}); nothing was imported"
    )]
    BookFileDamaged { problem: String },

    #[error(
        "this book file was written by a newer version of Advisor Desk (format {found}, this \
         version reads up to {supported}); update the app — nothing was imported"
    )]
    BookFileTooNew { found: u32, supported: u32 },

    #[error("file error: {0}")]
    Io(#[source] std::io::Error),

    /// The disk ran out of space during a write (SQLite's or a file's): that write did not
    /// happen, and what was committed before is as it was. Made from the two errors by the
    /// `From` conversions below, so every `?` on a write classifies it.
    #[error(
        "the disk is full ({0}): this step saved nothing and the book is as it was — free some \
         space on the disk of the data folder and try again"
    )]
    DiskFull(String),

    #[error(transparent)]
    Secret(#[from] SecretError),

    /// The firm's PostgreSQL database failed a read (firm mode, through
    /// `store::book_reads::BookReads`): its message as text, because the core does not depend
    /// on the firm's driver. The firm store's messages never carry a password.
    #[error("firm database error: {0}")]
    FirmDatabase(String),

    /// The firm's database cannot be reached (stopped, restarted, the network gone): the same
    /// read may succeed later, and the app shows what it last loaded meanwhile.
    #[error("{0}")]
    FirmUnreachable(String),
}

impl CoreError {
    pub fn code(&self) -> ErrorCode {
        match self {
            CoreError::NotFound { .. } => ErrorCode::NotFound,
            CoreError::InvalidInput(_) => ErrorCode::InvalidInput,
            CoreError::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            CoreError::Database(_)
            | CoreError::DatabaseOpen { .. }
            | CoreError::FirmDatabase(_) => ErrorCode::Database,
            CoreError::FirmUnreachable(_) => ErrorCode::FirmUnreachable,
            CoreError::DatabaseDamaged { .. } => ErrorCode::DatabaseDamaged,
            CoreError::BackupUnverified { .. } => ErrorCode::BackupFailed,
            CoreError::WrongPassphrase => ErrorCode::WrongPassphrase,
            CoreError::BookFileDamaged { .. } => ErrorCode::BookFileDamaged,
            CoreError::BookFileTooNew { .. } => ErrorCode::BookFileTooNew,
            CoreError::Io(_) => ErrorCode::Io,
            CoreError::DiskFull(_) => ErrorCode::DiskFull,
            CoreError::Secret(e) => e.code(),
        }
    }

    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        CoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        CoreError::InvalidInput(msg.into())
    }
}

impl From<rusqlite::Error> for CoreError {
    fn from(e: rusqlite::Error) -> Self {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            return CoreError::DiskFull(e.to_string());
        }
        CoreError::Database(e)
    }
}

impl From<std::io::Error> for CoreError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::StorageFull {
            return CoreError::DiskFull(e.to_string());
        }
        CoreError::Io(e)
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// The shape every error takes when it crosses IPC or is printed as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

impl From<&CoreError> for IpcError {
    fn from(e: &CoreError) -> Self {
        IpcError {
            code: e.code().as_str().to_string(),
            message: e.to_string(),
        }
    }
}

impl From<CoreError> for IpcError {
    fn from(e: CoreError) -> Self {
        IpcError::from(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_its_own_error_whether_sqlite_or_a_file_met_it() {
        let file = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert_eq!(CoreError::from(file).code(), ErrorCode::DiskFull);
        let sqlite = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        let e = CoreError::from(sqlite);
        assert_eq!(e.code(), ErrorCode::DiskFull);
        assert!(e.to_string().contains("free some space"), "{e}");
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(CoreError::from(denied).code(), ErrorCode::Io);
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert_eq!(CoreError::from(busy).code(), ErrorCode::Database);
    }
}

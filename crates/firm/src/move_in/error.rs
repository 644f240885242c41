//! Why a move-in was refused. None holds a secret: a connection is named by its id, a keychain
//! entry by its name.

use advisor_desk_core::CoreError;

use crate::copy_in::CopyInError;
use crate::secrets::FirmSecretsError;
use crate::FirmDbError;

#[derive(Debug, thiserror::Error)]
pub enum MoveInError {
    /// The solo book was moved already (its marker names the firm); moving it again would
    /// copy an old state over the firm's newer one.
    #[error(
        "this book was already moved into the firm '{firm_name}' on {moved_at}; it is kept \
         here unchanged, and the firm's database is where it lives now"
    )]
    AlreadyMoved { firm_name: String, moved_at: String },

    /// The firm already took this book (its `moved_books` names the book's installation id)
    /// although the book carries no mark: the mark was lost, or this is a copy of the folder.
    #[error(
        "the firm already holds this book (installation {installation}): it was moved in \
         before; nothing was written"
    )]
    AlreadyInFirm { installation: String },

    /// The firm database already holds a row this book would bring under a unique key other
    /// than its id (ids are the firm's own): most often a connection to the same bank login,
    /// moved in with another advisor's book. Nothing was written.
    #[error(
        "the firm database already holds {table} rows this book would bring ({which}) — \
         for connections, the same bank login is already in the firm with another book; \
         nothing was written"
    )]
    RowsTaken { table: String, which: String },

    /// The advisor the moved clients are to be assigned to is not a member of the firm.
    #[error("'{0}' is not a member of the firm; nothing was written")]
    UnknownAdvisor(String),

    /// A connection's credentials are not in the solo keychain: it could not be used from the
    /// firm, so nothing is moved.
    #[error(
        "connection {connection_id} has no credentials in this computer's keychain \
         ({entry}); repair or remove it first — nothing was written to the firm database"
    )]
    CredentialsMissing { connection_id: i64, entry: String },

    /// A table's count in the firm database after the copy differs from the solo book's.
    #[error(
        "{table}: the solo book has {solo} rows but {firm} arrived in the firm database; \
         the move was rolled back and nothing was written"
    )]
    CountMismatch { table: String, solo: i64, firm: i64 },

    #[error(transparent)]
    Solo(#[from] CoreError),

    #[error(transparent)]
    Secrets(#[from] FirmSecretsError),

    #[error("moving the book's rows failed: {0}")]
    Copy(#[from] CopyInError),
}

impl MoveInError {
    /// The stable machine code the UI and scripts switch on.
    pub fn code(&self) -> &'static str {
        match self {
            MoveInError::AlreadyMoved { .. } => "book_already_moved",
            MoveInError::AlreadyInFirm { .. } => "book_already_moved",
            MoveInError::RowsTaken { .. } => "firm_rows_taken",
            MoveInError::UnknownAdvisor(_) => "not_found",
            MoveInError::CredentialsMissing { .. } => "credentials_missing",
            MoveInError::CountMismatch { .. } => "move_in_count_mismatch",
            MoveInError::Solo(e) => e.code().as_str(),
            MoveInError::Secrets(e) => e.code(),
            MoveInError::Copy(e) => e.code(),
        }
    }
}

impl From<FirmDbError> for MoveInError {
    fn from(error: FirmDbError) -> Self {
        MoveInError::Secrets(error.into())
    }
}

impl From<postgres::Error> for MoveInError {
    fn from(error: postgres::Error) -> Self {
        MoveInError::Secrets(error.into())
    }
}

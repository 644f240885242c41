//! The firm module's refusals. None holds a secret: a binding names a row, never its value.

use crate::encrypted_file::{FileError, MIN_PASSPHRASE_CHARS};
use crate::error::IpcError;
use crate::secrets::SecretError;

use super::seal::SecretBinding;

#[derive(Debug, thiserror::Error)]
pub enum FirmError {
    #[error("{0}")]
    InvalidInput(String),

    #[error("the operating system's random number generator failed ({0}); nothing was sealed")]
    RandomUnavailable(String),

    #[error(
        "firm key version {version} is not in this computer's keychain; ask the firm's \
         administrator for a new invite"
    )]
    KeyMissing { version: u32 },

    #[error("the keychain entry of firm key version {version} is not a firm key")]
    KeyDamaged { version: u32 },

    /// The sealed secret names another key version than the key offered to open it.
    #[error("this secret was sealed under firm key version {sealed}, not version {key}")]
    WrongKeyVersion { sealed: u32, key: u32 },

    /// The AEAD refused: another key, another row, column or firm, or a changed byte.
    #[error(
        "a sealed secret does not open: it was sealed for another row, column or firm, under \
         another key, or it was changed"
    )]
    SecretDoesNotOpen,

    #[error("a sealed secret is damaged ({0})")]
    SealedDamaged(&'static str),

    #[error(
        "a sealed secret was written by a newer version of Advisor Desk (format {found}, this \
         version reads up to {supported}); update the app"
    )]
    SealedTooNew { found: u8, supported: u8 },

    /// Rotation stopped at this secret; nothing was re-sealed.
    #[error("the key rotation stopped at {binding} ({source}); nothing was re-sealed")]
    RotationFailed {
        binding: SecretBinding,
        #[source]
        source: Box<FirmError>,
    },

    #[error("choose a passphrase of at least {MIN_PASSPHRASE_CHARS} characters")]
    PassphraseTooShort,

    #[error("the passphrase does not open this invite file; nothing was put in the keychain")]
    WrongPassphrase,

    #[error(
        "the invite file is damaged, truncated or was changed ({0}); nothing was put in the \
         keychain"
    )]
    InviteDamaged(String),

    #[error(
        "this invite file was written by a newer version of Advisor Desk (format {found}, this \
         version reads up to {supported}); update the app — nothing was put in the keychain"
    )]
    InviteTooNew { found: u32, supported: u32 },

    #[error("file error: {0}")]
    Io(#[source] std::io::Error),

    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl FirmError {
    /// The stable machine code the UI and scripts switch on.
    pub fn code(&self) -> &'static str {
        match self {
            FirmError::InvalidInput(_) | FirmError::PassphraseTooShort => "invalid_input",
            FirmError::RandomUnavailable(_) => "random_unavailable",
            FirmError::KeyMissing { .. } => "firm_key_missing",
            FirmError::KeyDamaged { .. } => "firm_key_damaged",
            FirmError::WrongKeyVersion { .. }
            | FirmError::SecretDoesNotOpen
            | FirmError::SealedDamaged(_) => "sealed_secret_refused",
            FirmError::SealedTooNew { .. } => "sealed_secret_too_new",
            FirmError::RotationFailed { .. } => "firm_key_rotation_failed",
            FirmError::WrongPassphrase => "wrong_passphrase",
            FirmError::InviteDamaged(_) => "invite_file_damaged",
            FirmError::InviteTooNew { .. } => "invite_file_too_new",
            FirmError::Io(e) if e.kind() == std::io::ErrorKind::StorageFull => "disk_full",
            FirmError::Io(_) => "io",
            FirmError::Secret(e) => e.code().as_str(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> FirmError {
        FirmError::InvalidInput(message.into())
    }
}

/// The invite's words for the shared file format's refusals.
impl From<FileError> for FirmError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::PassphraseTooShort => FirmError::PassphraseTooShort,
            FileError::Exists(_) => FirmError::InvalidInput(e.to_string()),
            FileError::WrongPassphrase => FirmError::WrongPassphrase,
            FileError::Damaged(problem) => FirmError::InviteDamaged(problem),
            FileError::Io(e) => FirmError::Io(e),
        }
    }
}

impl From<&FirmError> for IpcError {
    fn from(e: &FirmError) -> Self {
        IpcError {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

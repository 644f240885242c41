//! Exit codes scripts can rely on.

use std::process::ExitCode;

use advisor_desk_core::ErrorCode;

pub const FAILURE: u8 = 1;
// 2 is clap's usage error.
pub const NOT_FOUND: u8 = 3;
pub const INVALID_INPUT: u8 = 4;
pub const DATABASE: u8 = 5;
pub const KEYCHAIN: u8 = 6;
pub const UNHEALTHY: u8 = 7;
/// The database is damaged: it was not used; restore a backup.
pub const DAMAGED: u8 = 8;

pub fn for_error(code: ErrorCode) -> ExitCode {
    ExitCode::from(match code {
        ErrorCode::NotFound => NOT_FOUND,
        ErrorCode::InvalidInput
        | ErrorCode::WrongPassphrase
        | ErrorCode::BookFileDamaged
        | ErrorCode::BookFileTooNew => INVALID_INPUT,
        ErrorCode::SchemaTooNew | ErrorCode::Database | ErrorCode::BackupFailed => DATABASE,
        ErrorCode::KeychainUnavailable | ErrorCode::KeychainLocked | ErrorCode::Keychain => {
            KEYCHAIN
        }
        ErrorCode::DatabaseDamaged => DAMAGED,
        ErrorCode::Io | ErrorCode::DiskFull => FAILURE,
    })
}

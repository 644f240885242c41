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
/// The firm's database cannot be reached, or refused the sign-in.
pub const FIRM_UNREACHABLE: u8 = 9;
/// Refused because it was done already or would collide (a book moved in twice).
pub const CONFLICT: u8 = 10;

pub fn for_error(code: ErrorCode) -> ExitCode {
    ExitCode::from(code_for(code))
}

pub fn code_for(code: ErrorCode) -> u8 {
    match code {
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
        ErrorCode::FirmUnreachable | ErrorCode::FirmSignInRefused => FIRM_UNREACHABLE,
        ErrorCode::FirmSchemaTooNew
        | ErrorCode::FirmSchemaNotMigrated
        | ErrorCode::FirmDatabase => DATABASE,
        ErrorCode::FirmSettingsInvalid => INVALID_INPUT,
        ErrorCode::FirmNotJoined => NOT_FOUND,
        ErrorCode::Io | ErrorCode::DiskFull => FAILURE,
    }
}

//! Firm errors as the app shows them: a stable code from the core's `ErrorCode` and a message
//! with no secret — no password, no URL carrying credentials.

use advisor_desk_core::firm::FirmError;
use advisor_desk_core::secrets::SecretError;
use advisor_desk_core::{ErrorCode, IpcError};

use crate::secrets::FirmSecretsError;
use crate::FirmDbError;

impl FirmDbError {
    /// The stable machine code the UI and scripts switch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            FirmDbError::InvalidUrl(_) | FirmDbError::InvalidCaCertificate(_) => {
                ErrorCode::FirmSettingsInvalid
            }
            FirmDbError::Unreachable(_) => ErrorCode::FirmUnreachable,
            FirmDbError::SignInRefused(_) => ErrorCode::FirmSignInRefused,
            FirmDbError::NewerSchema { .. } => ErrorCode::FirmSchemaTooNew,
            FirmDbError::SchemaNotMigrated { .. } => ErrorCode::FirmSchemaNotMigrated,
            // A dropped connection mid-query is the server gone, not a refusal.
            FirmDbError::Database(e) if e.is_closed() || e.as_db_error().is_none() => {
                ErrorCode::FirmUnreachable
            }
            FirmDbError::Migration { .. }
            | FirmDbError::UnknownValue(_)
            | FirmDbError::Database(_) => ErrorCode::FirmDatabase,
        }
    }
}

impl From<&FirmDbError> for IpcError {
    fn from(e: &FirmDbError) -> Self {
        IpcError {
            code: e.code().as_str().to_string(),
            message: without_credentials(&e.to_string()),
        }
    }
}

impl From<&FirmSecretsError> for IpcError {
    fn from(e: &FirmSecretsError) -> Self {
        match e {
            FirmSecretsError::Database(db) => IpcError::from(db),
            other => IpcError {
                code: other.code().to_string(),
                message: without_credentials(&other.to_string()),
            },
        }
    }
}

/// Why firm mode could not start or go on, beyond the database's own refusals.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(
        "the password of your firm database role is not in this computer's keychain; join the \
         firm again with your invite file"
    )]
    PasswordMissing,
    #[error(transparent)]
    Keychain(#[from] SecretError),
    #[error(transparent)]
    Firm(#[from] FirmError),
    #[error(transparent)]
    Database(#[from] FirmDbError),
    #[error("the firm mode's threads could not be started: {0}")]
    Thread(String),
}

impl From<&SessionError> for IpcError {
    fn from(e: &SessionError) -> Self {
        match e {
            SessionError::PasswordMissing => IpcError {
                code: ErrorCode::FirmSignInRefused.as_str().into(),
                message: e.to_string(),
            },
            SessionError::Keychain(k) => IpcError {
                code: k.code().as_str().into(),
                message: k.to_string(),
            },
            SessionError::Firm(f) => IpcError::from(f),
            SessionError::Database(db) => IpcError::from(db),
            SessionError::Thread(_) => IpcError {
                code: ErrorCode::Io.as_str().into(),
                message: e.to_string(),
            },
        }
    }
}

/// Removes what could carry a credential from a driver's or server's message: the user and
/// password of a `scheme://user:password@host` URL, and the value of any `password=` pair.
pub fn without_credentials(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(after.len());
        match after[..authority_end].rfind('@') {
            Some(user_end) => {
                out.push_str("…@");
                rest = &after[user_end + 1..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    redact_password_pairs(&out)
}

fn redact_password_pairs(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(found) = lower[from..].find("password=") {
        let value_start = from + found + "password=".len();
        out.push_str(&text[from..value_start]);
        out.push('…');
        let value_end = text[value_start..]
            .find(|c: char| c.is_whitespace() || c == '&')
            .map_or(text.len(), |n| value_start + n);
        from = value_end;
    }
    out.push_str(&text[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_user_and_password_and_pairs_their_password() {
        let message = "cannot reach postgresql://ana:s3cret@db.firm:5432/book?sslmode=require \
                       (host=db password=hunter2 user=ana) or PASSWORD=x&y=1";
        let clean = without_credentials(message);
        assert!(!clean.contains("s3cret"), "{clean}");
        assert!(!clean.contains("hunter2"), "{clean}");
        assert!(!clean.contains("PASSWORD=x"), "{clean}");
        assert!(
            clean.contains("postgresql://…@db.firm:5432/book"),
            "{clean}"
        );
        assert!(clean.contains("user=ana"), "{clean}");
        assert_eq!(without_credentials("plain words"), "plain words");
        assert_eq!(
            without_credentials("see https://example.org/a@b"),
            "see https://example.org/a@b"
        );
    }

    #[test]
    fn each_database_refusal_has_its_stable_code() {
        let cases = [
            (FirmDbError::InvalidUrl("x".into()), "firm_settings_invalid"),
            (
                FirmDbError::InvalidCaCertificate("x".into()),
                "firm_settings_invalid",
            ),
            (FirmDbError::Unreachable("x".into()), "firm_unreachable"),
            (
                FirmDbError::SignInRefused("x".into()),
                "firm_sign_in_refused",
            ),
            (
                FirmDbError::NewerSchema {
                    found: 9,
                    supported: 2,
                },
                "firm_schema_too_new",
            ),
            (
                FirmDbError::SchemaNotMigrated {
                    found: 1,
                    latest: 2,
                },
                "firm_schema_not_migrated",
            ),
            (
                FirmDbError::Migration {
                    version: 1,
                    detail: "x".into(),
                },
                "firm_database",
            ),
        ];
        for (error, code) in cases {
            assert_eq!(IpcError::from(&error).code, code, "{error}");
        }
    }

    #[test]
    fn a_refusal_crossing_ipc_carries_no_password() {
        let error = FirmDbError::SignInRefused(
            "password authentication failed for postgresql://ana:s3cret@db/book".into(),
        );
        let ipc = IpcError::from(&error);
        assert_eq!(ipc.code, "firm_sign_in_refused");
        assert!(!ipc.message.contains("s3cret"), "{}", ipc.message);
        let missing = IpcError::from(&SessionError::PasswordMissing);
        assert_eq!(missing.code, "firm_sign_in_refused");
    }
}

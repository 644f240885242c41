//! A firm command's refusal: a stable `{code, message}` (never a password, a key or a URL
//! carrying credentials) and the exit code scripts switch on (`crate::exit`).

use std::process::ExitCode;

use advisor_desk_core::firm::FirmError;
use advisor_desk_core::{CoreError, IpcError};
use advisor_desk_firm::move_in::MoveInError;
use advisor_desk_firm::secrets::FirmSecretsError;
use advisor_desk_firm::FirmDbError;

use crate::exit;
use crate::{output, Context};

#[derive(Debug)]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub exit: u8,
}

impl Failure {
    pub fn new(code: &str, message: impl Into<String>, exit: u8) -> Failure {
        Failure {
            code: code.to_string(),
            message: message.into(),
            exit,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Failure {
        Failure::new("invalid_input", message, exit::INVALID_INPUT)
    }

    pub fn report(&self, ctx: &Context) -> ExitCode {
        let ipc = IpcError {
            code: self.code.clone(),
            message: self.message.clone(),
        };
        output::failure(ctx, &ipc, self.exit)
    }
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Failure {
        let exit = exit::code_for(e.code());
        Failure::new(e.code().as_str(), e.to_string(), exit)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        CoreError::from(e).into()
    }
}

impl From<FirmError> for Failure {
    fn from(e: FirmError) -> Failure {
        let code = e.code();
        let exit = match code {
            "invalid_input"
            | "wrong_passphrase"
            | "invite_file_damaged"
            | "invite_file_too_new" => exit::INVALID_INPUT,
            "keychain"
            | "keychain_locked"
            | "keychain_unavailable"
            | "firm_key_missing"
            | "firm_key_damaged" => exit::KEYCHAIN,
            _ => exit::FAILURE,
        };
        Failure::new(code, e.to_string(), exit)
    }
}

impl From<FirmDbError> for Failure {
    fn from(e: FirmDbError) -> Failure {
        // The same codes as the app's (`FirmDbError::code`), the message without credentials.
        let code = e.code();
        let message = advisor_desk_core::IpcError::from(&e).message;
        Failure::new(code.as_str(), message, exit::code_for(code))
    }
}

impl From<postgres::Error> for Failure {
    fn from(e: postgres::Error) -> Failure {
        FirmDbError::from(e).into()
    }
}

impl From<FirmSecretsError> for Failure {
    fn from(e: FirmSecretsError) -> Failure {
        match e {
            FirmSecretsError::Database(db) => db.into(),
            FirmSecretsError::Sealing(firm) => firm.into(),
            other => {
                let exit = match other.code() {
                    "not_found" => exit::NOT_FOUND,
                    "firm_key_not_current" => exit::KEYCHAIN,
                    _ => exit::DATABASE,
                };
                Failure::new(other.code(), other.to_string(), exit)
            }
        }
    }
}

impl From<MoveInError> for Failure {
    fn from(e: MoveInError) -> Failure {
        match e {
            MoveInError::Solo(core) => core.into(),
            MoveInError::Secrets(secrets) => secrets.into(),
            other => {
                let exit = match other.code() {
                    "book_already_moved" | "firm_rows_taken" => exit::CONFLICT,
                    "not_found" => exit::NOT_FOUND,
                    "credentials_missing" => exit::KEYCHAIN,
                    _ => exit::DATABASE,
                };
                Failure::new(other.code(), other.to_string(), exit)
            }
        }
    }
}

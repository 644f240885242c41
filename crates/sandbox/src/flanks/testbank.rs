//! TestBank's steering: the password (and the SCA answer) choose the outcome. Every bank
//! in the sandbox behaves like TestBank.

use crate::guesses::{PASSWORD_DELAYED, PASSWORD_SCA_UNSUPPORTED};
use crate::state::ScaKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    Ok,
    Delayed,
    DataErrorAccount,
    Sca(ScaKind),
    UnsupportedSca,
    /// A link error code (`INVALID_CREDENTIALS`, `INTERNAL_ERROR`, `USER_INTERACTION_NEEDED`).
    Fail(&'static str),
}

pub fn login(password: &str) -> LoginOutcome {
    if let Some(kind) = ScaKind::from_password(password) {
        return LoginOutcome::Sca(kind);
    }
    match password {
        "INVALID_CREDENTIALS" | "" => LoginOutcome::Fail("INVALID_CREDENTIALS"),
        "INTERNAL_ERROR" => LoginOutcome::Fail("INTERNAL_ERROR"),
        "USER_INTERACTION_NEEDED" => LoginOutcome::Fail("USER_INTERACTION_NEEDED"),
        "DATA_ERROR_PRODUCT_ACCOUNT" => LoginOutcome::DataErrorAccount,
        p if p == PASSWORD_DELAYED => LoginOutcome::Delayed,
        p if p == PASSWORD_SCA_UNSUPPORTED => LoginOutcome::UnsupportedSca,
        _ => LoginOutcome::Ok,
    }
}

/// `Err(code)` for the answers that fail; everything else passes.
pub fn sca_answer(answer: &str) -> Result<(), &'static str> {
    match answer.trim() {
        "INVALID_SCA" | "" => Err("INVALID_SCA"),
        "INTERNAL_ERROR" => Err("INTERNAL_ERROR"),
        "USER_INTERACTION_NEEDED" => Err("USER_INTERACTION_NEEDED"),
        _ => Ok(()),
    }
}

/// Connect v2 names for the link error codes.
pub fn v2_error(code: &str) -> &'static str {
    match code {
        "INVALID_CREDENTIALS" => "InvalidCredentials",
        "INVALID_SCA" => "InvalidChallengeResponse",
        "USER_INTERACTION_NEEDED" => "UserInteractionNeeded",
        "UNSUPPORTED" => "UnsupportedChallengeMethod",
        _ => "InternalError",
    }
}

pub fn human(code: &str) -> &'static str {
    match code {
        "INVALID_CREDENTIALS" => "The user or password is not correct.",
        "INVALID_SCA" => "The verification code is not correct.",
        "CREDENTIALS_ALREADY_EXIST" => "This bank login is already connected.",
        "USER_INTERACTION_NEEDED" => {
            "Your bank needs you to do something in its own app or website first."
        }
        "ABORTED_BY_USER" => "You cancelled the connection.",
        _ => "Something went wrong while connecting to your bank. Try again later.",
    }
}

//! What this data folder knows of its firm: the `FirmSettings` (no secret) kept as JSON in the
//! solo book's settings, and the role password in the keychain — together, a connection to the
//! firm database.

use advisor_desk_core::firm::keychain::password_entry;
use advisor_desk_core::firm::FirmSettings;
use advisor_desk_core::secrets::{Secret, SecretStore};
use advisor_desk_core::{settings, Store};
use advisor_desk_firm::session::member_config;
use advisor_desk_firm::{FirmDbConfig, FirmStore};

use super::failure::Failure;
use crate::exit;

/// The solo setting holding this data folder's [`FirmSettings`] as JSON.
pub const FIRM_SETTINGS: &str = "firm.settings";

pub fn saved(solo: &Store) -> Result<Option<FirmSettings>, Failure> {
    let Some(text) = settings::get(solo, FIRM_SETTINGS)? else {
        return Ok(None);
    };
    serde_json::from_str(&text).map(Some).map_err(|_| {
        Failure::new(
            "invalid_input",
            format!("the setting {FIRM_SETTINGS} is not valid; join the firm again"),
            exit::INVALID_INPUT,
        )
    })
}

/// The firm this data folder belongs to, or a refusal saying how to join one.
pub fn required(solo: &Store) -> Result<FirmSettings, Failure> {
    saved(solo)?.ok_or_else(|| {
        Failure::new(
            "not_found",
            "this data folder is not in a firm: join one with `firm join INVITE-FILE`, or \
             create one with `firm create`",
            exit::NOT_FOUND,
        )
    })
}

/// Refuses to make this data folder part of a second firm.
pub fn refuse_another_firm(solo: &Store, joining: Option<&str>) -> Result<(), Failure> {
    match saved(solo)? {
        Some(current) if Some(current.firm.as_str()) != joining => Err(Failure::new(
            "already_in_a_firm",
            format!(
                "this data folder is already in the firm '{}'; use another data folder",
                current.firm_name
            ),
            exit::CONFLICT,
        )),
        _ => Ok(()),
    }
}

pub fn save(solo: &Store, firm: &FirmSettings) -> Result<(), Failure> {
    let text = serde_json::to_string(firm)
        .map_err(|e| Failure::invalid(format!("cannot record the firm's settings: {e}")))?;
    settings::set(solo, FIRM_SETTINGS, &text)?;
    Ok(())
}

/// The pool's configuration: the address from the settings, the password handed in apart.
pub fn db_config(firm: &FirmSettings, password: &Secret) -> FirmDbConfig {
    member_config(firm, password, "advisor-desk-cli").with_pool_size(2)
}

/// The role password this desktop keeps for the firm.
pub fn password(keychain: &dyn SecretStore, firm: &FirmSettings) -> Result<Secret, Failure> {
    keychain
        .get(&password_entry(&firm.firm)?)
        .map_err(|e| Failure::from(advisor_desk_core::CoreError::from(e)))?
        .ok_or_else(|| {
            Failure::new(
                "firm_password_missing",
                "the firm database password is not in this computer's keychain; join the firm \
                 again with a new invite",
                exit::KEYCHAIN,
            )
        })
}

pub fn connect(keychain: &dyn SecretStore, firm: &FirmSettings) -> Result<FirmStore, Failure> {
    let password = password(keychain, firm)?;
    Ok(FirmStore::connect(&db_config(firm, &password))?)
}

//! What the firm database records about its own key, in `firm_settings` (readable by every
//! member, written by the admin): the firm id the associated data of every sealed secret binds,
//! and the version of the current firm key (the one new secrets are sealed under).

use advisor_desk_core::firm::{FirmId, FirmKey};
use postgres::{GenericClient, Transaction};

use super::error::FirmSecretsError;

pub const FIRM_ID_SETTING: &str = "firm_id";
pub const KEY_VERSION_SETTING: &str = "firm_key_version";

/// The firm's id, as its administrator recorded it when creating the firm.
pub fn firm_id(client: &mut impl GenericClient) -> Result<FirmId, FirmSecretsError> {
    let text = setting(client, FIRM_ID_SETTING, false)?;
    FirmId::new(text).map_err(|_| FirmSecretsError::SettingInvalid(FIRM_ID_SETTING))
}

/// The version of the current firm key.
pub fn current_key_version(client: &mut impl GenericClient) -> Result<u32, FirmSecretsError> {
    parse_version(&setting(client, KEY_VERSION_SETTING, false)?)
}

/// The current key version, its row locked until the transaction ends: a rotation holds it so
/// two administrators cannot rotate at once.
pub(crate) fn lock_key_version(tx: &mut Transaction<'_>) -> Result<u32, FirmSecretsError> {
    parse_version(&setting(tx, KEY_VERSION_SETTING, true)?)
}

pub(crate) fn record_key_version(
    tx: &mut Transaction<'_>,
    version: u32,
) -> Result<(), FirmSecretsError> {
    tx.execute(
        "UPDATE firm_settings SET value = $2 WHERE key = $1",
        &[&KEY_VERSION_SETTING, &version.to_string()],
    )?;
    Ok(())
}

/// The administrator creating the firm records its id and its first key's version (the key
/// itself goes only to the keychain). Refused when the firm is already set up.
pub fn set_up_firm(
    tx: &mut Transaction<'_>,
    firm: &FirmId,
    first_key: &FirmKey,
) -> Result<(), FirmSecretsError> {
    let version = first_key.version().to_string();
    tx.execute(
        "INSERT INTO firm_settings (key, value) VALUES ($1, $2), ($3, $4)",
        &[
            &FIRM_ID_SETTING,
            &firm.as_str(),
            &KEY_VERSION_SETTING,
            &version,
        ],
    )?;
    Ok(())
}

fn setting(
    client: &mut impl GenericClient,
    key: &'static str,
    for_update: bool,
) -> Result<String, FirmSecretsError> {
    let sql = if for_update {
        "SELECT value FROM firm_settings WHERE key = $1 FOR UPDATE"
    } else {
        "SELECT value FROM firm_settings WHERE key = $1"
    };
    let row = client
        .query_opt(sql, &[&key])?
        .ok_or(FirmSecretsError::SettingMissing(key))?;
    Ok(row.get(0))
}

fn parse_version(text: &str) -> Result<u32, FirmSecretsError> {
    text.parse::<u32>()
        .ok()
        .filter(|v| *v > 0 && i32::try_from(*v).is_ok())
        .ok_or(FirmSecretsError::SettingInvalid(KEY_VERSION_SETTING))
}

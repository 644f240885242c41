//! The secrets a solo book keeps in its keychain, sealed under the firm key into
//! `sealed_secrets` in the move-in's transaction: each connection's credentials token /
//! loginId (a missing one refuses the move — a connection the firm could not use is not a
//! connection moved), and the provider API keys when the firm has none yet.

use advisor_desk_core::firm::FirmKey;
use advisor_desk_core::secrets::{SecretKey, SecretStore};
use advisor_desk_core::settings::KEY_FIELDS;
use advisor_desk_core::sync::connections::Connection;
use postgres::Transaction;

use super::carried::{CarriedOver, Verdict};
use super::error::MoveInError;
use crate::copy_in::IdMap;
use crate::secrets::{self, FirmSecretsError, SecretPlace};

/// What happened to the solo keychain's provider API keys.
pub type ProviderKeys = CarriedOver;

/// Seals every connection's credentials, read by the keychain name its solo row holds, bound to
/// the connection's firm row (the sealing's associated data names the row: sealed under the
/// solo id, it would not open from the firm's).
pub(super) fn seal_credentials(
    tx: &mut Transaction<'_>,
    keychain: &dyn SecretStore,
    key: &FirmKey,
    connections: &[Connection],
    ids: &IdMap,
    progress: &mut dyn FnMut(usize),
) -> Result<(), MoveInError> {
    for (done, connection) in connections.iter().enumerate() {
        let missing = || MoveInError::CredentialsMissing {
            connection_id: connection.id,
            entry: connection.secret_ref.clone(),
        };
        let entry = SecretKey::new(connection.secret_ref.clone()).map_err(|_| missing())?;
        let token = keychain
            .get(&entry)
            .map_err(|e| MoveInError::Solo(e.into()))?
            .filter(|t| !t.is_empty())
            .ok_or_else(missing)?;
        let connection_id = ids.firm_id("connections", connection.id).ok_or_else(|| {
            MoveInError::CountMismatch {
                table: "connections".into(),
                solo: connections.len() as i64,
                firm: ids.firm_ids("connections").len() as i64,
            }
        })?;
        let place = SecretPlace::Credentials { connection_id };
        secrets::put(tx, key, place, &token)?;
        progress(done + 1);
    }
    Ok(())
}

/// Seals each provider API key of the solo keychain the firm does not have yet, when the
/// caller is the firm's administrator (firm-wide secrets are theirs to write).
pub(super) fn carry_provider_keys(
    tx: &mut Transaction<'_>,
    keychain: &dyn SecretStore,
    key: &FirmKey,
) -> Result<ProviderKeys, MoveInError> {
    let is_admin: bool = tx.query_one("SELECT firm_is_admin()", &[])?.get(0);
    let mut outcome = ProviderKeys::default();
    for (provider, field) in KEY_FIELDS {
        let Some(value) = keychain
            .get(&SecretKey::provider_key(provider, field))
            .map_err(|e| MoveInError::Solo(e.into()))?
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        let place = SecretPlace::ProviderKey { provider, field };
        let firm_has_one = match secrets::read(tx, place) {
            Ok(_) => true,
            Err(FirmSecretsError::NotStored(_)) => false,
            Err(other) => return Err(other.into()),
        };
        let verdict = Verdict::of(firm_has_one, is_admin);
        if let Verdict::Carry = verdict {
            secrets::put(tx, key, place, &value)?;
        }
        outcome.note(&verdict, format!("{provider}/{field}"));
    }
    Ok(outcome)
}

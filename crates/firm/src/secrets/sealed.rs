//! A secret's place in `sealed_secrets` and the three things done with it: `put` (seal under the
//! current firm key and upsert), `read` (the stored bytes, checked) and `open` (read, then open
//! with the key of its version from the keychain). They take the caller's client or
//! transaction, so a secret is written in the same transaction as the row it belongs to.

use advisor_desk_core::firm::{self, FirmId, FirmKey, SealedSecret, SecretBinding};
use advisor_desk_core::secrets::{Secret, SecretStore};
use postgres::{GenericClient, Transaction};

use super::error::{version_from_sql, version_to_sql, FirmSecretsError};
use super::settings::{current_key_version, firm_id};

/// Where a secret of the firm belongs; each maps to one `(bound_table, bound_row,
/// bound_column)` that its associated data binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretPlace<'a> {
    /// A connection's credentials token / loginId: `('connections', <id>, 'credentials')`,
    /// deleted with the connection and seen by whoever sees the connection.
    Credentials { connection_id: i64 },
    /// A provider API key (a firm setting, as `provider/<provider>/<field>` in the solo
    /// keychain): `('firm_settings', <provider>, <field>)`, read by every member, written by the
    /// admin.
    ProviderKey { provider: &'a str, field: &'a str },
}

impl SecretPlace<'_> {
    fn table(&self) -> &'static str {
        match self {
            SecretPlace::Credentials { .. } => "connections",
            SecretPlace::ProviderKey { .. } => "firm_settings",
        }
    }

    fn row(&self) -> String {
        match self {
            SecretPlace::Credentials { connection_id } => connection_id.to_string(),
            SecretPlace::ProviderKey { provider, .. } => provider.to_string(),
        }
    }

    fn column(&self) -> &str {
        match self {
            SecretPlace::Credentials { .. } => "credentials",
            SecretPlace::ProviderKey { field, .. } => field,
        }
    }

    fn connection_id(&self) -> Option<i64> {
        match self {
            SecretPlace::Credentials { connection_id } => Some(*connection_id),
            SecretPlace::ProviderKey { .. } => None,
        }
    }

    fn binding(&self, firm: &FirmId) -> Result<SecretBinding, FirmSecretsError> {
        Ok(SecretBinding::new(
            firm,
            self.table(),
            self.row(),
            self.column(),
        )?)
    }
}

/// Seals `secret` under `key` for `place` and stores it (replacing what was there), in the
/// caller's transaction. `key` must be the firm's current key.
pub fn put(
    tx: &mut Transaction<'_>,
    key: &FirmKey,
    place: SecretPlace<'_>,
    secret: &Secret,
) -> Result<(), FirmSecretsError> {
    let firm = firm_id(tx)?;
    let binding = place.binding(&firm)?;
    let sealed = firm::seal(key, secret, &binding)?;
    tx.execute(
        "INSERT INTO sealed_secrets
             (connection_id, bound_table, bound_row, bound_column, key_version, sealed)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (bound_table, bound_row, bound_column) DO UPDATE
             SET key_version = EXCLUDED.key_version, sealed = EXCLUDED.sealed, sealed_at = now()",
        &[
            &place.connection_id(),
            &binding.table(),
            &binding.row(),
            &binding.column(),
            &version_to_sql(key.version())?,
            &sealed.to_bytes(),
        ],
    )?;
    // Checked after the write, not before: a rotation locks `sealed_secrets` against writers,
    // so an insert racing one waits for it and then sees its new version here (and rolls
    // back), or lands first and is re-sealed by it.
    let current = current_key_version(tx)?;
    if key.version() != current {
        return Err(FirmSecretsError::KeyNotCurrent {
            offered: key.version(),
            current,
        });
    }
    Ok(())
}

/// The sealed secret stored for `place` (as the caller's role may see it), its stored key
/// version checked against its bytes.
pub fn read(
    client: &mut impl GenericClient,
    place: SecretPlace<'_>,
) -> Result<SealedSecret, FirmSecretsError> {
    let binding = place.binding(&firm_id(client)?)?;
    read_at(client, &binding)
}

/// The secret stored for `place`, opened with the firm key of its version from `keychain`.
pub fn open(
    client: &mut impl GenericClient,
    keychain: &dyn SecretStore,
    place: SecretPlace<'_>,
) -> Result<Secret, FirmSecretsError> {
    let firm = firm_id(client)?;
    let binding = place.binding(&firm)?;
    let sealed = read_at(client, &binding)?;
    let key = FirmKey::load(keychain, &firm, sealed.key_version())?;
    Ok(firm::open(&key, &sealed, &binding)?)
}

fn read_at(
    client: &mut impl GenericClient,
    binding: &SecretBinding,
) -> Result<SealedSecret, FirmSecretsError> {
    let row = client
        .query_opt(
            "SELECT key_version, sealed FROM sealed_secrets
              WHERE bound_table = $1 AND bound_row = $2 AND bound_column = $3",
            &[&binding.table(), &binding.row(), &binding.column()],
        )?
        .ok_or_else(|| FirmSecretsError::NotStored(binding.to_string()))?;
    checked(binding, row.get(0), row.get(1))
}

/// Every sealed secret the caller sees, each with the binding it was sealed for, locked until
/// the transaction ends (a rotation re-seals them).
pub(crate) fn all_for_update(
    tx: &mut Transaction<'_>,
    firm: &FirmId,
) -> Result<Vec<(SecretBinding, SealedSecret)>, FirmSecretsError> {
    let rows = tx.query(
        "SELECT bound_table, bound_row, bound_column, key_version, sealed FROM sealed_secrets
          ORDER BY id FOR UPDATE",
        &[],
    )?;
    rows.iter()
        .map(|row| {
            let binding = SecretBinding::new(firm, row.get(0), row.get::<_, &str>(1), row.get(2))?;
            let sealed = checked(&binding, row.get(3), row.get(4))?;
            Ok((binding, sealed))
        })
        .collect()
}

/// Writes a re-sealed secret back to its row.
pub(crate) fn replace(
    tx: &mut Transaction<'_>,
    binding: &SecretBinding,
    sealed: &SealedSecret,
) -> Result<(), FirmSecretsError> {
    let updated = tx.execute(
        "UPDATE sealed_secrets SET key_version = $4, sealed = $5, sealed_at = now()
          WHERE bound_table = $1 AND bound_row = $2 AND bound_column = $3",
        &[
            &binding.table(),
            &binding.row(),
            &binding.column(),
            &version_to_sql(sealed.key_version())?,
            &sealed.to_bytes(),
        ],
    )?;
    if updated != 1 {
        return Err(FirmSecretsError::RowVanished(binding.to_string()));
    }
    Ok(())
}

fn checked(
    binding: &SecretBinding,
    row_version: i32,
    bytes: Vec<u8>,
) -> Result<SealedSecret, FirmSecretsError> {
    let row = version_from_sql(row_version)?;
    let sealed = SealedSecret::from_bytes(&bytes)?;
    if sealed.key_version() != row {
        return Err(FirmSecretsError::VersionMismatch {
            place: binding.to_string(),
            sealed: sealed.key_version(),
            row,
        });
    }
    Ok(sealed)
}

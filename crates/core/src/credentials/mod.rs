//! A connection's credential (a Flanks credentials_token or a Flinks loginId), in one place:
//! its hash, its keychain name, putting and deleting its keychain entry, and the one insert
//! of the connection row that points at it. Links (a finished exchange, reconciliation, a
//! mapped duplicate) and sync (`sync::connections::add`) both go through here.
//!
//! The token itself lives only in the keychain under `connection/<installation>/<hash>`;
//! SQLite keeps that name (`secret_ref`) and the token's SHA-256 (`token_hash`, UNIQUE, so a
//! credential is never mapped twice). Names of builds before the installation namespace are
//! moved once, at start-up, by [`upgrade`].

pub mod upgrade;

use sha2::{Digest, Sha256};

pub use upgrade::{upgrade_keychain_names, KeychainUpgrade, INSTALLATIONS_ENTRY};

use crate::domain::Provider;
use crate::error::Result;
use crate::secrets::{Secret, SecretKey, SecretStore};
use crate::store::audit::{append, NewAuditEntry};
use crate::store::queries::{connections, Tx};
use crate::store::Store;
use crate::sync::Connection;
use crate::time::Timestamp;

/// The token's SHA-256, hex: what SQLite knows of a credential.
pub fn token_hash(token: &Secret) -> String {
    hex::encode(Sha256::digest(token.expose().as_bytes()))
}

/// The keychain name of a connection's token: this installation's namespace, then the
/// token's hash, so writing it twice (a resumed exchange) lands on the same entry and two
/// data folders holding the same token never share (or delete) one entry.
pub fn secret_ref_for(installation: &str, token_hash: &str) -> String {
    format!(
        "connection/{installation}/{}",
        &token_hash[..32.min(token_hash.len())]
    )
}

/// The name builds before the installation namespace used (read and moved by [`upgrade`],
/// never written).
pub fn legacy_secret_ref_for(token_hash: &str) -> String {
    format!("connection/{}", &token_hash[..32.min(token_hash.len())])
}

/// This installation's keychain key for the token with this hash.
pub fn token_key(store: &Store, token_hash: &str) -> Result<SecretKey> {
    Ok(SecretKey::new(secret_ref_for(
        &store.installation_id()?,
        token_hash,
    ))?)
}

/// Puts the token in the keychain under this installation's name (before any row names it)
/// and returns its hash. Writing the same token again lands on the same entry.
pub fn put_token(store: &Store, secrets: &dyn SecretStore, token: &Secret) -> Result<String> {
    let hash = token_hash(token);
    secrets.put(&token_key(store, &hash)?, token)?;
    Ok(hash)
}

/// The token under this installation's name, if the keychain holds it.
pub fn saved_token(
    store: &Store,
    secrets: &dyn SecretStore,
    token_hash: &str,
) -> Result<Option<Secret>> {
    Ok(secrets.get(&token_key(store, token_hash)?)?)
}

/// Deletes the keychain entry of the token with this hash (nothing if there is none).
pub fn delete_token(store: &Store, secrets: &dyn SecretStore, token_hash: &str) -> Result<()> {
    secrets.delete(&token_key(store, token_hash)?)?;
    Ok(())
}

/// A connection's token, read by the name its row holds (`None` when the entry is gone).
pub fn token_of(secrets: &dyn SecretStore, connection: &Connection) -> Result<Option<Secret>> {
    Ok(secrets.get(&connection.secret_key()?)?)
}

/// Deletes a connection's keychain entry by the name its row holds.
pub fn delete_entry(secrets: &dyn SecretStore, secret_ref: &str) -> Result<()> {
    secrets.delete(&SecretKey::new(secret_ref)?)?;
    Ok(())
}

/// What the connection row of a new credential records.
#[derive(Clone, Copy)]
pub struct NewConnectionRow<'a> {
    pub client_id: i64,
    pub provider: Provider,
    /// `flanks_link`, `flanks_connect_v2` or `flinks_connect`.
    pub flow: &'a str,
    pub token_hash: &'a str,
    pub institution_id: Option<&'a str>,
    pub institution_name: Option<&'a str>,
}

/// The audit entry written with the row.
#[derive(Clone, Copy)]
pub struct RowAudit<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub detail: &'a str,
}

/// The one insert of a connection row (status `pending`, pointing at this installation's
/// keychain name), with its audit entry, inside the caller's transaction. `None` when the
/// token is already a connection: a credential is never mapped twice. The token must be in
/// the keychain before this commits (a row never points at a missing token).
pub fn insert_connection_row(
    tx: &Tx<'_>,
    installation: &str,
    row: &NewConnectionRow<'_>,
    audit: RowAudit<'_>,
    now: Timestamp,
) -> Result<Option<i64>> {
    let secret_ref = secret_ref_for(installation, row.token_hash);
    let Some(connection_id) = connections::write::insert(tx, row, &secret_ref, now)? else {
        return Ok(None);
    };
    append(
        tx,
        &NewAuditEntry {
            actor: audit.actor,
            client_id: Some(row.client_id),
            connection_id: Some(connection_id),
            action: audit.action,
            detail: audit.detail,
        },
    )?;
    Ok(Some(connection_id))
}

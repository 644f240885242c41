//! A connection as the link actions on it (reauthorize, remove, the holder check) find it: the
//! row the member may see, and its credentials opened from `sealed_secrets` with the firm key
//! in this desktop's keychain.

use advisor_desk_core::secrets::{Secret, SecretStore};
use advisor_desk_core::sync::Connection;
use advisor_desk_core::time::Timestamp;
use postgres::Transaction;

use super::audit::{append, Entry};
use super::error::FirmLinkError;
use crate::queries::connections;
use crate::secrets::{self, FirmSecretsError, SecretPlace};
use crate::FirmStore;

/// The connection, refused as not found when it is not one the member may see.
pub(super) fn visible(store: &FirmStore, connection_id: i64) -> Result<Connection, FirmLinkError> {
    store
        .read(|db| connections::read::by_id(db, connection_id))?
        .ok_or(FirmLinkError::ConnectionNotFound(connection_id))
}

/// The connection's credentials token / loginId; `None` when nothing is stored for it any more.
pub(super) fn credentials(
    store: &FirmStore,
    keychain: &dyn SecretStore,
    connection_id: i64,
) -> Result<Option<Secret>, FirmLinkError> {
    let place = SecretPlace::Credentials { connection_id };
    match store.read(|db| Ok(secrets::open(db, keychain, place)))? {
        Ok(token) => Ok(Some(token)),
        Err(FirmSecretsError::NotStored(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A renewal that needed no link (a Flinks live connection answered without MFA), audited.
pub(super) fn record_consent_renewed(
    tx: &mut Transaction<'_>,
    connection: &Connection,
    actor: &str,
    now: Timestamp,
) -> Result<(), FirmLinkError> {
    set_consent_renewed(tx, connection.id, now)?;
    append(
        tx,
        &Entry {
            actor,
            client_id: Some(connection.client_id),
            connection_id: Some(connection.id),
            action: "connection.consent_renewed",
            detail: connection.provider.as_str(),
        },
    )
}

/// The bank's consent counts as renewed from `now` (the forecast's start).
pub(super) fn set_consent_renewed(
    tx: &mut Transaction<'_>,
    connection_id: i64,
    now: Timestamp,
) -> Result<(), FirmLinkError> {
    tx.execute(
        "UPDATE connections SET consent_renewed_at = $2, updated_at = $2 WHERE id = $1",
        &[&connection_id, &now],
    )?;
    Ok(())
}

//! Connections: one provider credential (Flanks credentials_token / Flinks loginId) mapped to a
//! client. The token itself lives in the [`SecretStore`]; the row keeps only the keychain
//! reference and the token's SHA-256.

use serde::Serialize;

use crate::credentials::{self, NewConnectionRow, RowAudit};
use crate::domain::holders::HolderCheckState;
use crate::domain::{Actor, ConnectionStatus, Provider};
use crate::error::{CoreError, Result};
use crate::reads::consent::ConsentForecast;
use crate::reads::outlook::SentLink;
use crate::secrets::{Secret, SecretKey, SecretStore};
use crate::store::queries::connections;
use crate::store::{audit, Store};
use crate::time::{self, Timestamp};

/// A connection that has not synced successfully for this long is shown as stale.
pub const STALE_AFTER: chrono::Duration = chrono::Duration::hours(36);

#[derive(Debug, Clone)]
pub struct NewConnection {
    pub client_id: i64,
    pub provider: Provider,
    /// `flanks_link`, `flanks_connect_v2` or `flinks_connect`.
    pub flow: String,
    pub institution_id: Option<String>,
    pub institution_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS), ts(rename = "ConnectionRow"))]
pub struct Connection {
    pub id: i64,
    pub client_id: i64,
    pub provider: Provider,
    pub flow: String,
    pub institution_id: Option<String>,
    pub institution_name: Option<String>,
    pub status: ConnectionStatus,
    pub action_by: Actor,
    pub provider_code: Option<String>,
    pub provider_message: Option<String>,
    pub last_attempt_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub data_as_of: Option<Timestamp>,
    pub next_retry_at: Option<Timestamp>,
    pub consecutive_failures: u32,
    #[serde(skip)]
    pub secret_ref: String,
    pub created_at: Timestamp,
    /// When the client last completed SCA or a live connection after its creation (see
    /// `reads::consent`); `None`: not since the connection was created.
    pub consent_renewed_at: Option<Timestamp>,
    /// The holder check ("is it the right person?"): `Pending` holds the data back until the
    /// advisor confirms (see `sync::holder_check`).
    pub holder_check: HolderCheckState,
    /// The holder names the bank returned, as the check compared them (empty before it).
    pub holder_names: Vec<String>,
}

/// A connection as the UI shows it: the stored row plus what is derived from it. Built by
/// [`crate::reads::outlook::Outlook`], which reads the book's rules once per read model.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct ConnectionView {
    #[serde(flatten)]
    pub connection: Connection,
    pub stale: bool,
    /// Flinks data that has not moved for the frozen period (`flinks.frozen_after_days`):
    /// needs the client present to refresh.
    pub frozen: bool,
    /// When the bank will probably ask for SCA again (Flanks) or how long ago the client was
    /// last present (Flinks); days counted in UTC. `None` when the bank is asking already before
    /// the forecast date (a date to come beside "the bank is asking now" would contradict it).
    pub consent: Option<ConsentForecast>,
    /// The newest link sent to the client for this connection, while it still needs them.
    pub sent_link: Option<SentLink>,
}

impl Connection {
    pub fn secret_key(&self) -> Result<SecretKey> {
        Ok(SecretKey::new(self.secret_ref.clone())?)
    }
}

/// The token's hash now lives with the rest of a credential (see [`crate::credentials`]).
pub use crate::credentials::token_hash;

const FLOWS: [&str; 3] = ["flanks_link", "flanks_connect_v2", "flinks_connect"];

/// Stores the token in the keychain, then the connection row (and its audit entry).
/// Adding the same token twice is refused.
pub fn add(
    store: &Store,
    new: &NewConnection,
    token: &Secret,
    secrets: &dyn SecretStore,
    actor: &str,
) -> Result<Connection> {
    if token.expose().trim().is_empty() {
        return Err(CoreError::invalid("a connection needs a provider token"));
    }
    if !FLOWS.contains(&new.flow.as_str()) {
        return Err(CoreError::invalid(format!(
            "unknown connection flow \"{}\"",
            new.flow
        )));
    }
    let installation = store.installation_id()?;
    let hash = credentials::put_token(store, secrets, token)?;
    let row = NewConnectionRow {
        client_id: new.client_id,
        provider: new.provider,
        flow: &new.flow,
        token_hash: &hash,
        institution_id: new.institution_id.as_deref(),
        institution_name: new.institution_name.as_deref(),
    };
    let audit = RowAudit {
        actor,
        action: "connection.added",
        detail: new.provider.as_str(),
    };
    let id = store.write(|tx| {
        credentials::insert_connection_row(tx, &installation, &row, audit, time::now())?
            .ok_or_else(|| CoreError::invalid("this connection already exists"))
    })?;
    get(store, id)
}

pub fn get(store: &Store, id: i64) -> Result<Connection> {
    store
        .read(|c| connections::read::by_id(c, id))?
        .ok_or_else(|| CoreError::not_found("connection", id))
}

/// All connections, or one client's, in id order.
pub fn list(store: &Store, client_id: Option<i64>) -> Result<Vec<Connection>> {
    store.read(|c| connections::read::list(c, client_id))
}

/// The connection (id, client) holding this token hash, if any.
pub fn by_token_hash(store: &Store, token_hash: &str) -> Result<Option<(i64, i64)>> {
    store.read(|c| connections::read::by_token_hash(c, token_hash))
}

pub fn stored_token_hash(store: &Store, connection_id: i64) -> Result<String> {
    store
        .read(|c| connections::read::token_hash(c, connection_id))?
        .ok_or_else(|| CoreError::not_found("connection", connection_id))
}

/// Deletes a connection, its cached data and its keychain entry.
pub fn delete(store: &Store, id: i64, secrets: &dyn SecretStore, actor: &str) -> Result<()> {
    let conn = get(store, id)?;
    store.write(|tx| {
        connections::write::delete(tx, id)?;
        audit::append(
            tx,
            &audit::NewAuditEntry {
                actor,
                client_id: Some(conn.client_id),
                connection_id: Some(id),
                action: "connection.deleted",
                detail: conn.provider.as_str(),
            },
        )
    })?;
    credentials::delete_entry(secrets, &conn.secret_ref)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemorySecretStore;
    use crate::sync::Freshness;

    fn client(store: &Store) -> i64 {
        crate::test_support::client(store, "Ana")
    }

    #[test]
    fn token_goes_to_the_keychain_and_only_its_hash_to_sqlite() {
        let store = Store::open_in_memory().unwrap();
        let secrets = MemorySecretStore::new();
        let cid = client(&store);
        let new = NewConnection {
            client_id: cid,
            provider: Provider::Flanks,
            flow: "flanks_link".into(),
            institution_id: Some("testbank".into()),
            institution_name: None,
        };
        let token = Secret::new("ct-very-secret-token");
        let c = add(&store, &new, &token, &secrets, "test").unwrap();
        assert_eq!(c.status, ConnectionStatus::Pending);
        assert!(c.is_stale(time::now(), Freshness::default()));
        assert_eq!(
            secrets.get(&c.secret_key().unwrap()).unwrap(),
            Some(token.clone())
        );
        let dumped: String = store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT group_concat(secret_ref || token_hash) FROM connections",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert!(!dumped.contains("very-secret"));
        let again = add(&store, &new, &token, &secrets, "test").unwrap_err();
        assert!(again.to_string().contains("already exists"));
        assert_eq!(list(&store, Some(cid)).unwrap().len(), 1);

        delete(&store, c.id, &secrets, "test").unwrap();
        assert!(secrets.is_empty());
        assert!(list(&store, None).unwrap().is_empty());
    }

    #[test]
    fn bad_flow_and_empty_token_are_refused() {
        let store = Store::open_in_memory().unwrap();
        let secrets = MemorySecretStore::new();
        let cid = client(&store);
        let mut new = NewConnection {
            client_id: cid,
            provider: Provider::Flinks,
            flow: "carrier_pigeon".into(),
            institution_id: None,
            institution_name: None,
        };
        let e = add(&store, &new, &Secret::new("x"), &secrets, "t").unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidInput);
        new.flow = "flinks_connect".into();
        let e = add(&store, &new, &Secret::new("  "), &secrets, "t").unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidInput);
    }
}

//! Connections: one provider credential (Flanks credentials_token / Flinks loginId) mapped to a
//! client. The token itself lives in the [`SecretStore`]; the row keeps only the keychain
//! reference and the token's SHA-256.

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::{Actor, ConnectionStatus, Provider};
use crate::error::{CoreError, Result};
use crate::secrets::{Secret, SecretKey, SecretStore};
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
}

/// A connection as the UI shows it: the stored row plus what is derived from it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct ConnectionView {
    #[serde(flatten)]
    pub connection: Connection,
    pub stale: bool,
}

impl Connection {
    pub fn view(self, now: Timestamp) -> ConnectionView {
        let stale = self.is_stale(now);
        ConnectionView {
            connection: self,
            stale,
        }
    }

    /// Derived, never stored: stale when it never succeeded, when its last success is old, or
    /// when the last attempt failed after it.
    pub fn is_stale(&self, now: Timestamp) -> bool {
        match self.last_success_at {
            None => true,
            Some(ok) => now - ok > STALE_AFTER || self.last_attempt_at.is_some_and(|at| at > ok),
        }
    }

    pub fn secret_key(&self) -> Result<SecretKey> {
        Ok(SecretKey::new(self.secret_ref.clone())?)
    }
}

pub fn token_hash(token: &Secret) -> String {
    hex::encode(Sha256::digest(token.expose().as_bytes()))
}

const FLOWS: [&str; 3] = ["flanks_link", "flanks_connect_v2", "flinks_connect"];

const COLUMNS: &str = "id, client_id, provider, flow, institution_id, institution_name, status, \
     action_by, provider_code, provider_message, last_attempt_at, last_success_at, data_as_of, \
     next_retry_at, consecutive_failures, secret_ref, created_at";

fn ts(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(r.get::<_, Option<String>>(i)?
        .as_deref()
        .and_then(time::from_db))
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Connection> {
    let provider: String = r.get(2)?;
    let status: String = r.get(6)?;
    let action: String = r.get(7)?;
    Ok(Connection {
        id: r.get(0)?,
        client_id: r.get(1)?,
        provider: Provider::parse(&provider).unwrap_or(Provider::Flanks),
        flow: r.get(3)?,
        institution_id: r.get(4)?,
        institution_name: r.get(5)?,
        status: ConnectionStatus::parse(&status).unwrap_or(ConnectionStatus::Pending),
        action_by: match action.as_str() {
            "client" => Actor::Client,
            "advisor" => Actor::Advisor,
            _ => Actor::Nobody,
        },
        provider_code: r.get(8)?,
        provider_message: r.get(9)?,
        last_attempt_at: ts(r, 10)?,
        last_success_at: ts(r, 11)?,
        data_as_of: ts(r, 12)?,
        next_retry_at: ts(r, 13)?,
        consecutive_failures: r.get(14)?,
        secret_ref: r.get(15)?,
        created_at: ts(r, 16)?.unwrap_or_default(),
    })
}

impl Store {
    /// Stores the token in the keychain, then the connection row (and its audit entry).
    /// Adding the same token twice is refused.
    pub fn add_connection(
        &self,
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
        let hash = token_hash(token);
        let secret_ref = crate::links::ledger::secret_ref_for(&self.installation_id()?, &hash);
        secrets.put(&SecretKey::new(secret_ref.clone())?, token)?;
        let now = time::to_db(time::now());
        let id = self.write(|tx| {
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM connections WHERE token_hash = ?1)",
                [&hash],
                |r| r.get(0),
            )?;
            if exists {
                return Err(CoreError::invalid("this connection already exists"));
            }
            tx.execute(
                "INSERT INTO connections (client_id, provider, flow, institution_id,
                     institution_name, status, secret_ref, token_hash, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?8, ?8)",
                params![
                    new.client_id,
                    new.provider.as_str(),
                    new.flow,
                    new.institution_id,
                    new.institution_name,
                    secret_ref,
                    hash,
                    now
                ],
            )?;
            let id = tx.last_insert_rowid();
            audit::append(
                tx,
                &audit::NewAuditEntry {
                    actor,
                    client_id: Some(new.client_id),
                    connection_id: Some(id),
                    action: "connection.added",
                    detail: new.provider.as_str(),
                },
            )?;
            Ok(id)
        })?;
        self.connection(id)
    }

    pub fn connection(&self, id: i64) -> Result<Connection> {
        self.read(|c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM connections WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()?
            .ok_or_else(|| CoreError::not_found("connection", id))
        })
    }

    /// All connections, or one client's, in id order.
    pub fn connections(&self, client_id: Option<i64>) -> Result<Vec<Connection>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM connections WHERE ?1 IS NULL OR client_id = ?1 ORDER BY id"
            ))?;
            let rows = stmt
                .query_map([client_id], from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Deletes a connection, its cached data and its keychain entry.
    pub fn delete_connection(&self, id: i64, secrets: &dyn SecretStore, actor: &str) -> Result<()> {
        let conn = self.connection(id)?;
        self.write(|tx| {
            tx.execute("DELETE FROM connections WHERE id = ?1", [id])?;
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
        secrets.delete(&conn.secret_key()?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::NewClient;
    use crate::secrets::MemorySecretStore;

    pub(crate) fn client(store: &Store) -> i64 {
        store
            .add_client(
                &NewClient {
                    name: "Ana".into(),
                    ..Default::default()
                },
                "test",
            )
            .unwrap()
            .id
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
        let c = store
            .add_connection(&new, &token, &secrets, "test")
            .unwrap();
        assert_eq!(c.status, ConnectionStatus::Pending);
        assert!(c.is_stale(time::now()));
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
        let again = store
            .add_connection(&new, &token, &secrets, "test")
            .unwrap_err();
        assert!(again.to_string().contains("already exists"));
        assert_eq!(store.connections(Some(cid)).unwrap().len(), 1);

        store.delete_connection(c.id, &secrets, "test").unwrap();
        assert!(secrets.is_empty());
        assert!(store.connections(None).unwrap().is_empty());
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
        let e = store
            .add_connection(&new, &Secret::new("x"), &secrets, "t")
            .unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidInput);
        new.flow = "flinks_connect".into();
        let e = store
            .add_connection(&new, &Secret::new("  "), &secrets, "t")
            .unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidInput);
    }
}

//! The `connections` table: one provider credential mapped to a client, with its sync state.
//! The row holds the keychain name of the token and its hash, never the token.

use rusqlite::Row;

use super::timestamp_at;
use crate::domain::holders::HolderCheckState;
use crate::domain::{Actor, ConnectionStatus, Provider};
use crate::sync::connections::Connection;

const COLUMNS: &str = "id, client_id, provider, flow, institution_id, institution_name, status, \
     action_by, provider_code, provider_message, last_attempt_at, last_success_at, data_as_of, \
     next_retry_at, consecutive_failures, secret_ref, created_at, consent_renewed_at, holder_check, \
     holder_names";

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
        last_attempt_at: timestamp_at(r, 10)?,
        last_success_at: timestamp_at(r, 11)?,
        data_as_of: timestamp_at(r, 12)?,
        next_retry_at: timestamp_at(r, 13)?,
        consecutive_failures: r.get(14)?,
        secret_ref: r.get(15)?,
        created_at: timestamp_at(r, 16)?.unwrap_or_default(),
        consent_renewed_at: timestamp_at(r, 17)?,
        // A state this build does not know holds the data back rather than showing it.
        holder_check: HolderCheckState::parse(&r.get::<_, String>(18)?)
            .unwrap_or(HolderCheckState::Pending),
        holder_names: r
            .get::<_, Option<String>>(19)?
            .map(|s| s.split('\u{1f}').map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

pub mod read {
    use rusqlite::OptionalExtension;

    use super::super::{Clients, Db};
    use super::{from_row, COLUMNS};
    use crate::error::Result;
    use crate::sync::connections::Connection;

    pub fn by_id(db: &Db, id: i64) -> Result<Option<Connection>> {
        Ok(db
            .query_row(
                &format!("SELECT {COLUMNS} FROM connections WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()?)
    }

    /// All connections, or one client's, in id order.
    pub fn list(db: &Db, client_id: Option<i64>) -> Result<Vec<Connection>> {
        let mut stmt = db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM connections WHERE ?1 IS NULL OR client_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt
            .query_map([client_id], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The connections of a set of clients (a household's members), in id order.
    pub fn of_clients(db: &Db, set: Clients<'_>) -> Result<Vec<Connection>> {
        let mut stmt = db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM connections
             WHERE client_id IN (SELECT value FROM json_each(?1)) ORDER BY id"
        ))?;
        let rows = stmt
            .query_map([set.param()], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The connection (id, client) holding this token hash, if any.
    pub fn by_token_hash(db: &Db, token_hash: &str) -> Result<Option<(i64, i64)>> {
        Ok(db
            .query_row(
                "SELECT id, client_id FROM connections WHERE token_hash = ?1",
                [token_hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn token_hash(db: &Db, id: i64) -> Result<Option<String>> {
        Ok(db
            .query_row(
                "SELECT token_hash FROM connections WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn client_of(db: &Db, id: i64) -> Result<Option<i64>> {
        Ok(db
            .query_row(
                "SELECT client_id FROM connections WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn count_for_client(db: &Db, client_id: i64) -> Result<i64> {
        Ok(db.query_row(
            "SELECT count(*) FROM connections WHERE client_id = ?1",
            [client_id],
            |r| r.get(0),
        )?)
    }

    /// (id, secret_ref, token_hash) of the rows whose keychain name is not in this
    /// installation's namespace, in id order.
    pub fn outside_namespace(db: &Db, installation: &str) -> Result<Vec<(i64, String, String)>> {
        let mut stmt = db.prepare(
            "SELECT id, secret_ref, token_hash FROM connections
             WHERE secret_ref NOT LIKE 'connection/' || ?1 || '/%' ORDER BY id",
        )?;
        let rows = stmt
            .query_map([installation], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

pub mod write {
    use rusqlite::params;

    use super::super::Tx;
    use crate::credentials::NewConnectionRow;
    use crate::domain::holders::HolderCheckState;
    use crate::domain::{ConnectionStatus, ProviderFailure};
    use crate::error::Result;
    use crate::time::{self, Timestamp};

    /// A new row, status `pending`; `None` when the token hash is already a connection.
    pub fn insert(
        tx: &Tx<'_>,
        row: &NewConnectionRow<'_>,
        secret_ref: &str,
        now: Timestamp,
    ) -> Result<Option<i64>> {
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO connections (client_id, provider, flow, institution_id,
                 institution_name, status, secret_ref, token_hash, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?8, ?8)",
            params![
                row.client_id,
                row.provider.as_str(),
                row.flow,
                row.institution_id,
                row.institution_name,
                secret_ref,
                row.token_hash,
                time::to_db(now)
            ],
        )?;
        Ok((inserted == 1).then(|| tx.last_insert_rowid()))
    }

    /// Deletes the row (its cached data goes with it by foreign key); the number deleted.
    pub fn delete(tx: &Tx<'_>, id: i64) -> Result<usize> {
        Ok(tx.execute("DELETE FROM connections WHERE id = ?1", [id])?)
    }

    /// The holder check's result for the row, and the holder names it compared; the number
    /// of rows changed (0 when the row is not in state `from`, so a decision is taken once).
    pub fn set_holder_check(
        tx: &Tx<'_>,
        id: i64,
        from: HolderCheckState,
        to: HolderCheckState,
        holder_names: &[String],
    ) -> Result<usize> {
        let names = (!holder_names.is_empty()).then(|| holder_names.join("\u{1f}"));
        Ok(tx.execute(
            "UPDATE connections SET holder_check = ?3, holder_names = coalesce(?4, holder_names)
             WHERE id = ?1 AND holder_check = ?2",
            params![id, from.as_str(), to.as_str(), names],
        )?)
    }

    /// Points the row at another keychain name, if it still names `old`.
    pub fn move_secret_ref(tx: &Tx<'_>, id: i64, old: &str, new: &str) -> Result<()> {
        tx.execute(
            "UPDATE connections SET secret_ref = ?3 WHERE id = ?1 AND secret_ref = ?2",
            params![id, old, new],
        )?;
        Ok(())
    }

    /// The client was present and completed SCA (or a live connection) for this connection.
    pub fn record_consent_renewed(tx: &Tx<'_>, id: i64, now: Timestamp) -> Result<()> {
        tx.execute(
            "UPDATE connections SET consent_renewed_at = ?2, updated_at = ?2 WHERE id = ?1",
            params![id, time::to_db(now)],
        )?;
        Ok(())
    }

    /// A successful sync: ready, nothing to act on, failures reset.
    pub fn record_success(
        tx: &Tx<'_>,
        id: i64,
        now: Timestamp,
        data_as_of: Option<Timestamp>,
        institution_name: Option<&str>,
    ) -> Result<()> {
        tx.execute(
            "UPDATE connections SET status = 'ready', action_by = 'nobody',
                 provider_code = NULL, provider_message = NULL, last_attempt_at = ?2,
                 last_success_at = ?2, data_as_of = coalesce(?3, data_as_of),
                 next_retry_at = NULL, consecutive_failures = 0,
                 institution_name = coalesce(institution_name, ?4), updated_at = ?2
             WHERE id = ?1",
            params![
                id,
                time::to_db(now),
                data_as_of.map(time::to_db),
                institution_name
            ],
        )?;
        Ok(())
    }

    /// A failed sync: the status it leads to, who must act, the provider's code and wording.
    pub fn record_failure(
        tx: &Tx<'_>,
        id: i64,
        status: ConnectionStatus,
        failure: &ProviderFailure,
        consecutive_failures: u32,
        now: Timestamp,
    ) -> Result<()> {
        tx.execute(
            "UPDATE connections SET status = ?2, action_by = ?3, provider_code = ?4,
                 provider_message = ?5, last_attempt_at = ?6, next_retry_at = ?7,
                 consecutive_failures = ?8, updated_at = ?6
             WHERE id = ?1",
            params![
                id,
                status.as_str(),
                status.action_by().as_str(),
                failure
                    .provider_code
                    .as_deref()
                    .unwrap_or(failure.kind.as_str()),
                failure.to_string(),
                time::to_db(now),
                failure.retry_at.map(time::to_db),
                consecutive_failures
            ],
        )?;
        Ok(())
    }
}

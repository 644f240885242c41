//! The `link_sessions` table: one provider link flow the advisor started, its one-time state
//! (only the hash), and the write-ahead progress of its exchange (`exchange_step`, see
//! `links::ledger::step`). Every step change is a compare-and-set.

use rusqlite::Row;

use crate::links::sessions::Delivery;
use crate::links::{LinkFlow, LinkPurpose, LinkSession};

const COLUMNS: &str = "id, client_id, connection_id, flow, purpose, provider_session_id, \
     created_at, expires_at, completed_at, outcome, outcome_detail, exchange_step, token_hash, \
     next_check_at, check_attempts, institution, delivery";

fn from_row(r: &Row<'_>) -> rusqlite::Result<LinkSession> {
    let flow: String = r.get(3)?;
    let purpose: String = r.get(4)?;
    let delivery: String = r.get(16)?;
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown {what}").into(),
        )
    };
    Ok(LinkSession {
        id: r.get(0)?,
        client_id: r.get(1)?,
        connection_id: r.get(2)?,
        flow: LinkFlow::parse(&flow).ok_or_else(|| bad(3, "flow"))?,
        purpose: LinkPurpose::parse(&purpose).ok_or_else(|| bad(4, "purpose"))?,
        provider_session_id: r.get(5)?,
        created_at: r.get(6)?,
        expires_at: r.get(7)?,
        completed_at: r.get(8)?,
        outcome: r.get(9)?,
        outcome_detail: r.get(10)?,
        exchange_step: r.get(11)?,
        token_hash: r.get(12)?,
        next_check_at: r.get(13)?,
        check_attempts: r.get(14)?,
        institution: r.get(15)?,
        delivery: Delivery::parse(&delivery).ok_or_else(|| bad(16, "delivery"))?,
    })
}

/// A session of a client that may still hold keychain entries (see client deletion).
pub struct SessionLeftovers {
    pub id: i64,
    pub provider: crate::domain::Provider,
    /// A token an interrupted exchange saved and no connection maps.
    pub unmapped_token_hash: Option<String>,
}

pub mod read {
    use rusqlite::OptionalExtension;

    use super::super::Db;
    use super::{from_row, SessionLeftovers, COLUMNS};
    use crate::domain::Provider;
    use crate::error::Result;
    use crate::links::LinkSession;

    pub fn by_id(db: &Db, id: i64) -> Result<Option<LinkSession>> {
        Ok(db
            .query_row(
                &format!("SELECT {COLUMNS} FROM link_sessions WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()?)
    }

    /// The session whose one-time state hashes to this value (open or not).
    pub fn by_state_hash(db: &Db, state_hash: &str) -> Result<Option<LinkSession>> {
        Ok(db
            .query_row(
                &format!("SELECT {COLUMNS} FROM link_sessions WHERE state_hash = ?1"),
                [state_hash],
                from_row,
            )
            .optional()?)
    }

    pub fn id_by_state_hash(db: &Db, state_hash: &str) -> Result<Option<i64>> {
        Ok(db
            .query_row(
                "SELECT id FROM link_sessions WHERE state_hash = ?1",
                [state_hash],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Sessions still waiting for a result, in id order.
    pub fn open(db: &Db) -> Result<Vec<LinkSession>> {
        let mut stmt = db.prepare(&format!(
            "SELECT {COLUMNS} FROM link_sessions WHERE completed_at IS NULL ORDER BY id"
        ))?;
        let rows = stmt
            .query_map([], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Per connection, its newest session when that one was sent to the client (a later
    /// window reauthorization supersedes a sent link), in connection order.
    pub fn newest_sent_per_connection(db: &Db) -> Result<Vec<LinkSession>> {
        // Cached: every page's connections read it.
        let mut stmt = db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM link_sessions s
             WHERE s.delivery = 'sent' AND s.connection_id IS NOT NULL
               AND s.id = (SELECT max(t.id) FROM link_sessions t
                           WHERE t.connection_id = s.connection_id)
             ORDER BY s.connection_id"
        ))?;
        let rows = stmt
            .query_map([], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Sessions whose exchange may have left a keychain entry: open ones, and finished ones
    /// whose exchange is not `done`, in id order.
    pub fn not_cleaned(db: &Db) -> Result<Vec<LinkSession>> {
        let mut stmt = db.prepare(&format!(
            "SELECT {COLUMNS} FROM link_sessions
             WHERE completed_at IS NULL OR coalesce(exchange_step, 'done') <> 'done'
             ORDER BY id"
        ))?;
        let rows = stmt
            .query_map([], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Completed sessions whose code entry may still be in the keychain.
    pub fn mapped_not_cleaned(db: &Db) -> Result<Vec<i64>> {
        let mut stmt =
            db.prepare("SELECT id FROM link_sessions WHERE exchange_step = 'mapped' ORDER BY id")?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    }

    /// The client's sessions whose exchange may have left a keychain entry.
    pub fn leftovers_of_client(db: &Db, client_id: i64) -> Result<Vec<SessionLeftovers>> {
        let mut stmt = db.prepare(
            "SELECT s.id, s.provider,
                 CASE WHEN s.token_hash IS NOT NULL AND s.connection_id IS NULL
                       AND NOT EXISTS (SELECT 1 FROM connections k WHERE k.token_hash = s.token_hash)
                      THEN s.token_hash END
             FROM link_sessions s
             WHERE s.client_id = ?1
               AND (s.completed_at IS NULL OR coalesce(s.exchange_step, 'done') <> 'done')
             ORDER BY s.id",
        )?;
        let rows = stmt
            .query_map([client_id], |r| {
                let provider: String = r.get(1)?;
                Ok(SessionLeftovers {
                    id: r.get(0)?,
                    provider: Provider::parse(&provider).unwrap_or(Provider::Flanks),
                    unmapped_token_hash: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

pub mod write {
    use rusqlite::params;

    use super::super::Tx;
    use crate::error::Result;
    use crate::links::NewLinkSession;
    use crate::time::{self, Timestamp};

    /// A new open session; its id.
    pub fn insert(
        tx: &Tx<'_>,
        state_hash: &str,
        new: &NewLinkSession,
        now: Timestamp,
    ) -> Result<i64> {
        tx.execute(
            "INSERT INTO link_sessions (state_hash, client_id, connection_id, provider, flow,
                 purpose, created_at, expires_at, delivery)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                state_hash,
                new.client_id,
                new.connection_id,
                new.flow.provider().as_str(),
                new.flow.as_str(),
                new.purpose.as_str(),
                time::to_db(now),
                time::to_db(now + new.ttl),
                new.delivery.as_str(),
            ],
        )?;
        Ok(tx.last_insert_rowid())
    }

    /// Moves an open session's exchange from `from` (`None`: not started) to `to`; false
    /// when another worker moved it first.
    pub fn advance(tx: &Tx<'_>, id: i64, from: Option<&str>, to: &str) -> Result<bool> {
        let changed = tx.execute(
            "UPDATE link_sessions SET exchange_step = ?3
             WHERE id = ?1 AND exchange_step IS ?2 AND completed_at IS NULL",
            params![id, from, to],
        )?;
        Ok(changed == 1)
    }

    /// `from` → `token_saved`, recording the token's hash (and the institution, when known);
    /// false when the session was not at `from`.
    pub fn record_token_saved(
        tx: &Tx<'_>,
        id: i64,
        from: &str,
        token_saved: &str,
        token_hash: &str,
        institution: Option<&str>,
    ) -> Result<bool> {
        let changed = tx.execute(
            "UPDATE link_sessions SET exchange_step = ?3, token_hash = ?4,
                 institution = coalesce(?5, institution)
             WHERE id = ?1 AND exchange_step = ?2 AND completed_at IS NULL",
            params![id, from, token_saved, token_hash, institution],
        )?;
        Ok(changed == 1)
    }

    pub fn set_provider_session(tx: &Tx<'_>, id: i64, provider_session_id: &str) -> Result<()> {
        tx.execute(
            "UPDATE link_sessions SET provider_session_id = ?2 WHERE id = ?1",
            params![id, provider_session_id],
        )?;
        Ok(())
    }

    pub fn set_institution(tx: &Tx<'_>, id: i64, institution: &str) -> Result<()> {
        tx.execute(
            "UPDATE link_sessions SET institution = ?2 WHERE id = ?1",
            params![id, institution],
        )?;
        Ok(())
    }

    pub fn schedule_check(tx: &Tx<'_>, id: i64, at: Timestamp, attempts: u32) -> Result<()> {
        tx.execute(
            "UPDATE link_sessions SET next_check_at = ?2, check_attempts = ?3 WHERE id = ?1",
            params![id, time::to_db(at), attempts],
        )?;
        Ok(())
    }

    /// How an open session ends. `connection_id` and `step` are kept when `None`.
    pub struct Ending<'a> {
        pub outcome: &'a str,
        pub detail: Option<&'a str>,
        pub connection_id: Option<i64>,
        pub step: Option<&'a str>,
    }

    /// Completes an open session; false when it was not open.
    pub fn finish(tx: &Tx<'_>, id: i64, ending: &Ending<'_>, now: Timestamp) -> Result<bool> {
        let changed = tx.execute(
            "UPDATE link_sessions SET completed_at = ?2, outcome = ?3, outcome_detail = ?4,
                 connection_id = coalesce(?5, connection_id),
                 exchange_step = coalesce(?6, exchange_step)
             WHERE id = ?1 AND completed_at IS NULL",
            params![
                id,
                time::to_db(now),
                ending.outcome,
                ending.detail,
                ending.connection_id,
                ending.step
            ],
        )?;
        Ok(changed == 1)
    }

    /// Ends the connection's other open sessions that nobody has claimed (no exchange
    /// started) as `superseded`, once one of its links has been completed: the client may
    /// have been sent several, and only one result is news. Returns their ids.
    pub fn supersede_unclaimed(
        tx: &Tx<'_>,
        connection_id: i64,
        completed: i64,
        now: Timestamp,
    ) -> Result<Vec<i64>> {
        let mut stmt = tx.prepare(
            "UPDATE link_sessions SET completed_at = ?3, outcome = 'superseded',
                 outcome_detail = 'another link for this connection was completed'
             WHERE connection_id = ?1 AND id <> ?2 AND completed_at IS NULL
               AND exchange_step IS NULL
             RETURNING id",
        )?;
        let ids = stmt
            .query_map(params![connection_id, completed, time::to_db(now)], |r| {
                r.get(0)
            })?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    }

    /// `mapped` → `done`: the code entry is gone too.
    pub fn mark_cleaned(tx: &Tx<'_>, id: i64) -> Result<()> {
        tx.execute(
            "UPDATE link_sessions SET exchange_step = 'done'
             WHERE id = ?1 AND exchange_step = 'mapped'",
            [id],
        )?;
        Ok(())
    }
}

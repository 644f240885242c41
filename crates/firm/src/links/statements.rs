//! The `link_sessions` statements on the firm database: the same as the core's
//! `store::queries::link_sessions` that the solo exchange uses, returning the core's
//! `LinkSession`. Every step change is a compare-and-set. The firm schema has no `delivery`
//! column yet, so every firm session is opened in the app's window (`sessions::start` refuses
//! a sent one).

use advisor_desk_core::links::{Delivery, LinkFlow, LinkPurpose, LinkSession};
use advisor_desk_core::time::{self, Timestamp};
use postgres::Row;

use super::error::FirmLinkError;

const COLUMNS: &str = "id, client_id, connection_id, flow, purpose, provider_session_id, \
     created_at, expires_at, completed_at, outcome, outcome_detail, exchange_step, token_hash, \
     next_check_at, check_attempts, institution";

fn from_row(r: &Row) -> Result<LinkSession, FirmLinkError> {
    let flow: &str = r.get(3);
    let purpose: &str = r.get(4);
    let text = |i: usize| r.get::<_, Option<Timestamp>>(i).map(time::to_db);
    Ok(LinkSession {
        id: r.get(0),
        client_id: r.get(1),
        connection_id: r.get(2),
        flow: LinkFlow::parse(flow).ok_or(FirmLinkError::Stored("flow"))?,
        purpose: LinkPurpose::parse(purpose).ok_or(FirmLinkError::Stored("purpose"))?,
        provider_session_id: r.get(5),
        created_at: time::to_db(r.get(6)),
        expires_at: time::to_db(r.get(7)),
        completed_at: text(8),
        outcome: r.get(9),
        outcome_detail: r.get(10),
        exchange_step: r.get(11),
        token_hash: r.get(12),
        next_check_at: text(13),
        check_attempts: u32::try_from(r.get::<_, i32>(14)).unwrap_or(0),
        institution: r.get(15),
        delivery: Delivery::Window,
    })
}

pub mod read {
    use advisor_desk_core::links::LinkSession;
    use postgres::GenericClient;

    use super::{from_row, COLUMNS};
    use crate::links::error::FirmLinkError;

    /// A session the member may see.
    pub fn by_id(
        db: &mut impl GenericClient,
        id: i64,
    ) -> Result<Option<LinkSession>, FirmLinkError> {
        let sql = format!("SELECT {COLUMNS} FROM link_sessions WHERE id = $1");
        db.query_opt(&sql, &[&id])?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// The same, its row locked until the transaction ends (a mapping, a claim).
    pub fn by_id_for_update(
        db: &mut impl GenericClient,
        id: i64,
    ) -> Result<Option<LinkSession>, FirmLinkError> {
        let sql = format!("SELECT {COLUMNS} FROM link_sessions WHERE id = $1 FOR UPDATE");
        db.query_opt(&sql, &[&id])?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// The session whose one-time state hashes to `state_hash`, its row locked.
    pub fn by_state_hash_for_update(
        db: &mut impl GenericClient,
        state_hash: &str,
    ) -> Result<Option<LinkSession>, FirmLinkError> {
        let sql = format!("SELECT {COLUMNS} FROM link_sessions WHERE state_hash = $1 FOR UPDATE");
        db.query_opt(&sql, &[&state_hash])?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// Sessions still waiting for a result, oldest first.
    pub fn open(db: &mut impl GenericClient) -> Result<Vec<LinkSession>, FirmLinkError> {
        let sql =
            format!("SELECT {COLUMNS} FROM link_sessions WHERE completed_at IS NULL ORDER BY id");
        db.query(&sql, &[])?.iter().map(from_row).collect()
    }
}

pub mod write {
    use advisor_desk_core::links::NewLinkSession;
    use advisor_desk_core::time::Timestamp;
    use postgres::Transaction;

    use crate::links::error::FirmLinkError;

    /// A new open session (only the state's hash is stored); its id.
    pub fn insert(
        tx: &mut Transaction<'_>,
        state_hash: &str,
        new: &NewLinkSession,
        now: Timestamp,
    ) -> Result<i64, FirmLinkError> {
        let row = tx.query_one(
            "INSERT INTO link_sessions
                 (state_hash, client_id, connection_id, provider, flow, purpose, created_at,
                  expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             RETURNING id",
            &[
                &state_hash,
                &new.client_id,
                &new.connection_id,
                &new.flow.provider().as_str(),
                &new.flow.as_str(),
                &new.purpose.as_str(),
                &now,
                &(now + new.ttl),
            ],
        )?;
        Ok(row.get(0))
    }

    /// `from` → `to` on an open session (`from` None: not started). False when another
    /// worker moved it first or it ended.
    pub fn advance(
        tx: &mut Transaction<'_>,
        id: i64,
        from: Option<&str>,
        to: &str,
    ) -> Result<bool, FirmLinkError> {
        let changed = tx.execute(
            "UPDATE link_sessions SET exchange_step = $3
              WHERE id = $1 AND exchange_step IS NOT DISTINCT FROM $2 AND completed_at IS NULL",
            &[&id, &from, &to],
        )?;
        Ok(changed == 1)
    }

    /// `from` → `to`, recording the token's hash (never the token) and the institution.
    pub fn record_token_saved(
        tx: &mut Transaction<'_>,
        id: i64,
        from: &str,
        to: &str,
        token_hash: &str,
        institution: Option<&str>,
    ) -> Result<bool, FirmLinkError> {
        let changed = tx.execute(
            "UPDATE link_sessions
                SET exchange_step = $3, token_hash = $4, institution = coalesce($5, institution)
              WHERE id = $1 AND exchange_step = $2 AND completed_at IS NULL",
            &[&id, &from, &to, &token_hash, &institution],
        )?;
        Ok(changed == 1)
    }

    /// The provider's own session id (Flanks Connect v2), recorded once the link exists.
    pub fn set_provider_session(
        tx: &mut Transaction<'_>,
        id: i64,
        provider_session_id: &str,
    ) -> Result<(), FirmLinkError> {
        tx.execute(
            "UPDATE link_sessions SET provider_session_id = $2 WHERE id = $1",
            &[&id, &provider_session_id],
        )?;
        Ok(())
    }

    /// The bank a reauthorization's link opens at (the solo ledger's `set_session_institution`).
    pub fn set_institution(
        tx: &mut Transaction<'_>,
        id: i64,
        institution: &str,
    ) -> Result<(), FirmLinkError> {
        tx.execute(
            "UPDATE link_sessions SET institution = $2 WHERE id = $1",
            &[&id, &institution],
        )?;
        Ok(())
    }

    /// Open sessions of `connection_id` other than `completed` that no callback claimed: a
    /// completed reauthorization leaves them nothing to do. Their ids.
    pub fn supersede_unclaimed(
        tx: &mut Transaction<'_>,
        connection_id: i64,
        completed: i64,
        now: Timestamp,
    ) -> Result<Vec<i64>, FirmLinkError> {
        let rows = tx.query(
            "UPDATE link_sessions SET completed_at = $3, outcome = 'superseded',
                 outcome_detail = 'another link for this connection was completed'
              WHERE connection_id = $1 AND id <> $2 AND completed_at IS NULL
                AND exchange_step IS NULL
             RETURNING id",
            &[&connection_id, &completed, &now],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// How a session ends.
    pub struct Ending<'a> {
        pub outcome: &'a str,
        pub detail: Option<&'a str>,
        pub connection_id: Option<i64>,
        pub step: Option<&'a str>,
        pub token_hash: Option<&'a str>,
    }

    /// Ends an open session; false when it had already ended.
    pub fn finish(
        tx: &mut Transaction<'_>,
        id: i64,
        ending: &Ending<'_>,
        now: Timestamp,
    ) -> Result<bool, FirmLinkError> {
        let changed = tx.execute(
            "UPDATE link_sessions SET completed_at = $2, outcome = $3, outcome_detail = $4,
                 connection_id = coalesce($5, connection_id),
                 exchange_step = coalesce($6, exchange_step),
                 token_hash = coalesce($7, token_hash)
              WHERE id = $1 AND completed_at IS NULL",
            &[
                &id,
                &now,
                &ending.outcome,
                &ending.detail,
                &ending.connection_id,
                &ending.step,
                &ending.token_hash,
            ],
        )?;
        Ok(changed == 1)
    }
}

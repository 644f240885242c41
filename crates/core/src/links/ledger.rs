//! The write-ahead ledger of a link exchange in SQLite: each step is one compare-and-set, and
//! the mapping (connection row + session completed) is one transaction, so a crash between
//! any two steps leaves a state that [`super::recovery`] can finish.

use rusqlite::{params, OptionalExtension, Transaction};

use super::sessions::LinkSession;
use super::state;
use crate::domain::Provider;
use crate::error::{CoreError, Result};
use crate::store::audit::{append, NewAuditEntry};
use crate::store::Store;
use crate::time::{self, Timestamp};

/// Exchange steps, in order. `claimed` is written by the callback claim itself.
pub mod step {
    pub const CLAIMED: &str = "claimed";
    /// The one-use code (or loginId) is in the keychain under `link/<installation>/<id>/code`.
    pub const CODE_SAVED: &str = "code_saved";
    /// The token is in the keychain under `connection/<installation>/<hash>`; its hash is in
    /// the session.
    pub const TOKEN_SAVED: &str = "token_saved";
    /// Connection row written and session completed (one transaction); the code entry may
    /// still be in the keychain.
    pub const MAPPED: &str = "mapped";
    /// The code entry is gone too.
    pub const DONE: &str = "done";
}

/// The keychain name of a connection's token: this installation's namespace, then the
/// token's hash, so writing it twice (a resumed exchange) lands on the same entry and two
/// data folders holding the same token never share (or delete) one entry. Same scheme as
/// `Store::add_connection`.
pub fn secret_ref_for(installation: &str, token_hash: &str) -> String {
    format!(
        "connection/{installation}/{}",
        &token_hash[..32.min(token_hash.len())]
    )
}

/// The name builds before the installation namespace used (read and migrated, never written).
pub fn legacy_secret_ref_for(token_hash: &str) -> String {
    format!("connection/{}", &token_hash[..32.min(token_hash.len())])
}

/// The keychain name of a session's one-use code (or Flinks loginId).
pub fn code_ref_for(installation: &str, session_id: i64) -> String {
    format!("link/{installation}/{session_id}/code")
}

/// The code name builds before the installation namespace used (still read and deleted, so
/// an exchange interrupted by the upgrade finishes).
pub fn legacy_code_ref_for(session_id: i64) -> String {
    format!("link/{session_id}/code")
}

/// How a new credential ended up in SQLite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapped {
    Created {
        connection_id: i64,
    },
    /// The token was already a connection (same login connected before).
    Exists {
        connection_id: i64,
        client_id: i64,
    },
}

#[derive(Clone, Copy)]
pub struct NewMapping<'a> {
    pub provider: Provider,
    pub flow: &'a str,
    pub token_hash: &'a str,
    pub institution: Option<&'a str>,
}

/// Inserts the connection row of a new credential (status `pending`) with its audit entry.
/// `None` when the token is already a connection: a credential is never mapped twice.
fn insert_connection(
    tx: &rusqlite::Connection,
    client_id: i64,
    new: &NewMapping<'_>,
    secret_ref: &str,
    audit: (&str, &str, &str),
    now: Timestamp,
) -> Result<Option<i64>> {
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO connections (client_id, provider, flow, institution_id,
             status, secret_ref, token_hash, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?7)",
        params![
            client_id,
            new.provider.as_str(),
            new.flow,
            new.institution,
            secret_ref,
            new.token_hash,
            time::to_db(now)
        ],
    )?;
    if inserted == 0 {
        return Ok(None);
    }
    let connection_id = tx.last_insert_rowid();
    let (actor, action, detail) = audit;
    append(
        tx,
        &NewAuditEntry {
            actor,
            client_id: Some(client_id),
            connection_id: Some(connection_id),
            action,
            detail,
        },
    )?;
    Ok(Some(connection_id))
}

/// How a session ends, written with the rest of its transaction.
struct Finish<'a> {
    outcome: &'a str,
    detail: Option<&'a str>,
    connection_id: Option<i64>,
    step: Option<&'a str>,
}

fn finish_in(
    tx: &Transaction<'_>,
    session: &LinkSession,
    f: Finish<'_>,
    actor: &str,
    now: Timestamp,
) -> Result<()> {
    let Finish {
        outcome,
        detail,
        connection_id,
        step,
    } = f;
    let changed = tx.execute(
        "UPDATE link_sessions SET completed_at = ?2, outcome = ?3, outcome_detail = ?4,
             connection_id = coalesce(?5, connection_id), exchange_step = coalesce(?6, exchange_step)
         WHERE id = ?1 AND completed_at IS NULL",
        params![
            session.id,
            time::to_db(now),
            outcome,
            detail,
            connection_id,
            step
        ],
    )?;
    if changed != 1 {
        return Err(CoreError::invalid(format!(
            "link session {} is not open",
            session.id
        )));
    }
    append(
        tx,
        &NewAuditEntry {
            actor,
            client_id: Some(session.client_id),
            connection_id: connection_id.or(session.connection_id),
            action: "link.finished",
            detail: outcome,
        },
    )
}

impl Store {
    /// This installation's id, which provider link references carry (see
    /// [`Store::installation_id`]).
    pub fn link_installation_id(&self) -> Result<String> {
        self.installation_id()
    }

    /// Connect v2: remembers the provider's session id of a started link session.
    pub fn set_provider_session(&self, session_id: i64, provider_session_id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE link_sessions SET provider_session_id = ?2 WHERE id = ?1",
                params![session_id, provider_session_id],
            )?;
            Ok(())
        })
    }

    /// `from` → `token_saved`, recording the token's hash (and the institution, when known).
    pub fn record_token_saved(
        &self,
        session_id: i64,
        from: &str,
        token_hash: &str,
        institution: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE link_sessions SET exchange_step = ?3, token_hash = ?4,
                     institution = coalesce(?5, institution)
                 WHERE id = ?1 AND exchange_step = ?2 AND completed_at IS NULL",
                params![session_id, from, step::TOKEN_SAVED, token_hash, institution],
            )?;
            if changed == 1 {
                Ok(())
            } else {
                Err(CoreError::invalid(format!(
                    "link session {session_id} is not at step {from}"
                )))
            }
        })
    }

    pub fn set_session_institution(&self, session_id: i64, institution: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE link_sessions SET institution = ?2 WHERE id = ?1",
                params![session_id, institution],
            )?;
            Ok(())
        })
    }

    /// When the poller should look at the session again.
    pub fn schedule_check(&self, session_id: i64, at: Timestamp, attempts: u32) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE link_sessions SET next_check_at = ?2, check_attempts = ?3 WHERE id = ?1",
                params![session_id, time::to_db(at), attempts],
            )?;
            Ok(())
        })
    }

    /// The new connection row and the completed session, in one transaction. A token that is
    /// already a connection is not inserted again (token_hash is UNIQUE): the session ends
    /// `duplicate` and the existing connection is reported.
    pub fn map_new_connection(
        &self,
        session: &LinkSession,
        new: &NewMapping<'_>,
        actor: &str,
        now: Timestamp,
    ) -> Result<Mapped> {
        let secret_ref = secret_ref_for(&self.installation_id()?, new.token_hash);
        self.write(|tx| {
            let existing: Option<(i64, i64)> = tx
                .query_row(
                    "SELECT id, client_id FROM connections WHERE token_hash = ?1",
                    [new.token_hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((connection_id, client_id)) = existing {
                let finish = Finish {
                    outcome: "duplicate",
                    detail: None,
                    connection_id: None,
                    step: Some(step::MAPPED),
                };
                finish_in(tx, session, finish, actor, now)?;
                return Ok(Mapped::Exists {
                    connection_id,
                    client_id,
                });
            }
            let detail = format!("{} via link session {}", new.provider.as_str(), session.id);
            let audit = (actor, "connection.added", detail.as_str());
            // Not a connection yet: checked just above, in the same write transaction.
            let connection_id =
                insert_connection(tx, session.client_id, new, &secret_ref, audit, now)?
                    .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            let finish = Finish {
                outcome: "connected",
                detail: None,
                connection_id: Some(connection_id),
                step: Some(step::MAPPED),
            };
            finish_in(tx, session, finish, actor, now)?;
            Ok(Mapped::Created { connection_id })
        })
    }

    /// Ends a session, optionally moving its exchange step in the same transaction.
    pub fn finish_session_at_step(
        &self,
        session: &LinkSession,
        outcome: &str,
        detail: Option<&str>,
        step: Option<&str>,
        actor: &str,
        now: Timestamp,
    ) -> Result<()> {
        let finish = Finish {
            outcome,
            detail,
            connection_id: None,
            step,
        };
        self.write(|tx| finish_in(tx, session, finish, actor, now))
    }

    /// Completed sessions whose code entry may still be in the keychain.
    pub fn sessions_to_clean(&self) -> Result<Vec<i64>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id FROM link_sessions WHERE exchange_step = 'mapped' ORDER BY id",
            )?;
            let ids = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(ids)
        })
    }

    pub fn mark_cleaned(&self, session_id: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE link_sessions SET exchange_step = 'done'
                 WHERE id = ?1 AND exchange_step = 'mapped'",
                [session_id],
            )?;
            Ok(())
        })
    }

    /// The connection (id, client) holding this token hash, if any.
    pub fn connection_by_token_hash(&self, token_hash: &str) -> Result<Option<(i64, i64)>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT id, client_id FROM connections WHERE token_hash = ?1",
                [token_hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })
    }

    pub fn connection_token_hash(&self, connection_id: i64) -> Result<String> {
        self.read(|c| {
            c.query_row(
                "SELECT token_hash FROM connections WHERE id = ?1",
                [connection_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| CoreError::not_found("connection", connection_id))
        })
    }

    /// Any session (open or not) whose one-time state hashes to this value.
    pub fn session_by_state(&self, state_value: &str) -> Result<Option<i64>> {
        if !state::is_well_formed(state_value) {
            return Ok(None);
        }
        self.read(|c| {
            Ok(c.query_row(
                "SELECT id FROM link_sessions WHERE state_hash = ?1",
                [state::hash(state_value)],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    /// Reconciliation: a credential the provider holds but SQLite lost, re-attached to an
    /// existing, non-archived client. Returns the new connection, or `None` when the client
    /// does not exist or the token is already a connection (never twice).
    pub fn attach_recovered_credential(
        &self,
        client_id: i64,
        new: &NewMapping<'_>,
        actor: &str,
        now: Timestamp,
    ) -> Result<Option<i64>> {
        let secret_ref = secret_ref_for(&self.installation_id()?, new.token_hash);
        self.write(|tx| {
            let client_ok: Option<bool> = tx
                .query_row(
                    "SELECT archived FROM clients WHERE id = ?1",
                    [client_id],
                    |r| r.get(0),
                )
                .optional()?;
            if client_ok != Some(false) {
                return Ok(None);
            }
            let audit = (actor, "connection.recovered", new.provider.as_str());
            insert_connection(tx, client_id, new, &secret_ref, audit, now)
        })
    }

    /// Reconciliation: the credential a crash kept from being mapped, attached to the client
    /// of the open session its reference names, and that session completed — in one
    /// transaction. `None` when the session is no longer waiting for a new credential or the
    /// token is already a connection (never twice).
    pub fn attach_for_session(
        &self,
        session_id: i64,
        new: &NewMapping<'_>,
        actor: &str,
        now: Timestamp,
    ) -> Result<Option<i64>> {
        let secret_ref = secret_ref_for(&self.installation_id()?, new.token_hash);
        self.write(|tx| {
            let session: Option<(i64, Option<i64>, Option<String>)> = tx
                .query_row(
                    "SELECT client_id, connection_id, completed_at FROM link_sessions WHERE id = ?1",
                    [session_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((client_id, None, None)) = session else {
                return Ok(None);
            };
            let detail = format!("{} for link session {session_id}", new.provider.as_str());
            let audit = (actor, "connection.recovered", detail.as_str());
            let Some(connection_id) =
                insert_connection(tx, client_id, new, &secret_ref, audit, now)?
            else {
                return Ok(None);
            };
            tx.execute(
                "UPDATE link_sessions SET completed_at = ?2, outcome = 'connected',
                     outcome_detail = 'recovered from the provider', connection_id = ?3,
                     exchange_step = 'mapped'
                 WHERE id = ?1",
                params![session_id, time::to_db(now), connection_id],
            )?;
            append(
                tx,
                &NewAuditEntry {
                    actor,
                    client_id: Some(client_id),
                    connection_id: Some(connection_id),
                    action: "link.finished",
                    detail: "connected",
                },
            )?;
            Ok(Some(connection_id))
        })
    }

    /// Removes a connection row (after the provider and the keychain), with its audit entry.
    pub fn remove_connection_row(
        &self,
        connection_id: i64,
        detail: &str,
        actor: &str,
    ) -> Result<()> {
        self.write(|tx| {
            let client_id: Option<i64> = tx
                .query_row(
                    "SELECT client_id FROM connections WHERE id = ?1",
                    [connection_id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(client_id) = client_id else {
                return Err(CoreError::not_found("connection", connection_id));
            };
            tx.execute("DELETE FROM connections WHERE id = ?1", [connection_id])?;
            append(
                tx,
                &NewAuditEntry {
                    actor,
                    client_id: Some(client_id),
                    connection_id: Some(connection_id),
                    action: "connection.removed",
                    detail,
                },
            )
        })
    }
}

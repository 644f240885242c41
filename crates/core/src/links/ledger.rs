//! The write-ahead ledger of a link exchange in SQLite: each step is one compare-and-set, and
//! the mapping (connection row + session completed) is one transaction, so a crash between
//! any two steps leaves a state that [`super::recovery`] can finish.

use super::sessions::LinkSession;
use super::state;
use crate::credentials::{self, NewConnectionRow, RowAudit};
use crate::domain::Provider;
use crate::error::{CoreError, Result};
use crate::secrets::{Secret, SecretKey, SecretStore};
use crate::store::audit::{append, NewAuditEntry};
use crate::store::queries::link_sessions::write::Ending;
use crate::store::queries::{clients, connections, link_sessions, Tx};
use crate::store::Store;
use crate::time::Timestamp;

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

/// The outcome of a link session whose client completed a reauthorization.
pub const REAUTHORIZED: &str = "reauthorized";
/// A session ended because another link for its connection was completed first.
pub const SUPERSEDED: &str = "superseded";

// The token's keychain names live with the rest of a credential.
pub use crate::credentials::{legacy_secret_ref_for, secret_ref_for};

/// The keychain name of a session's one-use code (or Flinks loginId).
pub fn code_ref_for(installation: &str, session_id: i64) -> String {
    format!("link/{installation}/{session_id}/code")
}

/// The code name builds before the installation namespace used (moved once, at start-up, by
/// [`crate::credentials::upgrade`], so an exchange interrupted by the upgrade finishes).
pub fn legacy_code_ref_for(session_id: i64) -> String {
    format!("link/{session_id}/code")
}

/// This installation's keychain key for a session's one-use code.
fn code_key(store: &Store, session_id: i64) -> Result<SecretKey> {
    Ok(SecretKey::new(code_ref_for(
        &store.installation_id()?,
        session_id,
    ))?)
}

/// Write-ahead: a session's one-use code (or loginId) into the keychain.
pub fn put_code(
    store: &Store,
    secrets: &dyn SecretStore,
    session_id: i64,
    code: &Secret,
) -> Result<()> {
    secrets.put(&code_key(store, session_id)?, code)?;
    Ok(())
}

/// A session's saved code, if the keychain holds it.
pub fn saved_code(
    store: &Store,
    secrets: &dyn SecretStore,
    session_id: i64,
) -> Result<Option<Secret>> {
    Ok(secrets.get(&code_key(store, session_id)?)?)
}

/// Deletes a session's code entry (nothing if there is none).
pub fn forget_code(store: &Store, secrets: &dyn SecretStore, session_id: i64) -> Result<()> {
    secrets.delete(&code_key(store, session_id)?)?;
    Ok(())
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

/// The connection row a mapping inserts.
fn row<'a>(client_id: i64, new: &NewMapping<'a>) -> NewConnectionRow<'a> {
    NewConnectionRow {
        client_id,
        provider: new.provider,
        flow: new.flow,
        token_hash: new.token_hash,
        institution_id: new.institution,
        institution_name: None,
    }
}

/// Ends an open session inside the caller's transaction, with its audit entry.
fn finish_in(
    tx: &Tx<'_>,
    session: &LinkSession,
    ending: Ending<'_>,
    actor: &str,
    now: Timestamp,
) -> Result<()> {
    if !link_sessions::write::finish(tx, session.id, &ending, now)? {
        return Err(CoreError::invalid(format!(
            "link session {} is not open",
            session.id
        )));
    }
    // A reauthorization the client completed renews the bank's consent (the forecast's start),
    // and the other links sent for the same connection have nothing left to do.
    if let (REAUTHORIZED, Some(connection_id)) = (ending.outcome, session.connection_id) {
        if session.purpose.needs_connection() {
            connections::write::record_consent_renewed(tx, connection_id, now)?;
            for superseded in
                link_sessions::write::supersede_unclaimed(tx, connection_id, session.id, now)?
            {
                append(
                    tx,
                    &NewAuditEntry {
                        actor,
                        client_id: Some(session.client_id),
                        connection_id: Some(connection_id),
                        action: "link.finished",
                        detail: SUPERSEDED,
                    },
                )?;
                tracing::debug!(session = superseded, "link session superseded");
            }
        }
    }
    append(
        tx,
        &NewAuditEntry {
            actor,
            client_id: Some(session.client_id),
            connection_id: ending.connection_id.or(session.connection_id),
            action: "link.finished",
            detail: ending.outcome,
        },
    )
}

fn not_at_step(session_id: i64, from: &str) -> CoreError {
    CoreError::invalid(format!("link session {session_id} is not at step {from}"))
}

/// Moves the exchange from one step to the next; fails if another worker moved it first.
pub fn advance(store: &Store, session_id: i64, from: &str, to: &str) -> Result<()> {
    store.write(|tx| {
        if link_sessions::write::advance(tx, session_id, Some(from), to)? {
            Ok(())
        } else {
            Err(not_at_step(session_id, from))
        }
    })
}

/// Connect v2: remembers the provider's session id of a started link session.
pub fn set_provider_session(
    store: &Store,
    session_id: i64,
    provider_session_id: &str,
) -> Result<()> {
    store
        .write(|tx| link_sessions::write::set_provider_session(tx, session_id, provider_session_id))
}

/// `from` → `token_saved`, recording the token's hash (and the institution, when known).
pub fn record_token_saved(
    store: &Store,
    session_id: i64,
    from: &str,
    token_hash: &str,
    institution: Option<&str>,
) -> Result<()> {
    store.write(|tx| {
        let moved = link_sessions::write::record_token_saved(
            tx,
            session_id,
            from,
            step::TOKEN_SAVED,
            token_hash,
            institution,
        )?;
        if moved {
            Ok(())
        } else {
            Err(not_at_step(session_id, from))
        }
    })
}

pub fn set_session_institution(store: &Store, session_id: i64, institution: &str) -> Result<()> {
    store.write(|tx| link_sessions::write::set_institution(tx, session_id, institution))
}

/// When the poller should look at the session again.
pub fn schedule_check(store: &Store, session_id: i64, at: Timestamp, attempts: u32) -> Result<()> {
    store.write(|tx| link_sessions::write::schedule_check(tx, session_id, at, attempts))
}

/// The new connection row and the completed session, in one transaction. A token that is
/// already a connection is not inserted again (token_hash is UNIQUE): the session ends
/// `duplicate` and the existing connection is reported.
pub fn map_new_connection(
    store: &Store,
    session: &LinkSession,
    new: &NewMapping<'_>,
    actor: &str,
    now: Timestamp,
) -> Result<Mapped> {
    let installation = store.installation_id()?;
    store.write(|tx| {
        if let Some((connection_id, client_id)) =
            connections::read::by_token_hash(tx, new.token_hash)?
        {
            let ending = Ending {
                outcome: "duplicate",
                detail: None,
                connection_id: None,
                step: Some(step::MAPPED),
            };
            finish_in(tx, session, ending, actor, now)?;
            return Ok(Mapped::Exists {
                connection_id,
                client_id,
            });
        }
        let detail = format!("{} via link session {}", new.provider.as_str(), session.id);
        let audit = RowAudit {
            actor,
            action: "connection.added",
            detail: &detail,
        };
        // Not a connection yet: checked just above, in the same write transaction.
        let connection_id = credentials::insert_connection_row(
            tx,
            &installation,
            &row(session.client_id, new),
            audit,
            now,
        )?
        .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        let ending = Ending {
            outcome: "connected",
            detail: None,
            connection_id: Some(connection_id),
            step: Some(step::MAPPED),
        };
        finish_in(tx, session, ending, actor, now)?;
        Ok(Mapped::Created { connection_id })
    })
}

/// Ends a session, optionally moving its exchange step in the same transaction.
pub fn finish_session_at_step(
    store: &Store,
    session: &LinkSession,
    outcome: &str,
    detail: Option<&str>,
    step: Option<&str>,
    actor: &str,
    now: Timestamp,
) -> Result<()> {
    let ending = Ending {
        outcome,
        detail,
        connection_id: None,
        step,
    };
    store.write(|tx| finish_in(tx, session, ending, actor, now))
}

/// A renewal that needed no link (a Flinks live connection answered without MFA), audited.
pub fn record_consent_renewed(
    store: &Store,
    connection: &crate::sync::Connection,
    actor: &str,
    now: Timestamp,
) -> Result<()> {
    store.write(|tx| {
        connections::write::record_consent_renewed(tx, connection.id, now)?;
        append(
            tx,
            &NewAuditEntry {
                actor,
                client_id: Some(connection.client_id),
                connection_id: Some(connection.id),
                action: "connection.consent_renewed",
                detail: connection.provider.as_str(),
            },
        )
    })
}

/// Completed sessions whose code entry may still be in the keychain.
pub fn sessions_to_clean(store: &Store) -> Result<Vec<i64>> {
    store.read(link_sessions::read::mapped_not_cleaned)
}

pub fn mark_cleaned(store: &Store, session_id: i64) -> Result<()> {
    store.write(|tx| link_sessions::write::mark_cleaned(tx, session_id))
}

/// Any session (open or not) whose one-time state hashes to this value.
pub fn session_by_state(store: &Store, state_value: &str) -> Result<Option<i64>> {
    if !state::is_well_formed(state_value) {
        return Ok(None);
    }
    store.read(|c| link_sessions::read::id_by_state_hash(c, &state::hash(state_value)))
}

/// The row of a credential found again at the provider, audited `connection.recovered`
/// with `(actor, detail)`.
fn insert_recovered(
    tx: &Tx<'_>,
    installation: &str,
    client_id: i64,
    new: &NewMapping<'_>,
    (actor, detail): (&str, &str),
    now: Timestamp,
) -> Result<Option<i64>> {
    let audit = RowAudit {
        actor,
        action: "connection.recovered",
        detail,
    };
    credentials::insert_connection_row(tx, installation, &row(client_id, new), audit, now)
}

/// Reconciliation: a credential the provider holds but SQLite lost, re-attached to an
/// existing, non-archived client. Returns the new connection, or `None` when the client
/// does not exist or the token is already a connection (never twice).
pub fn attach_recovered_credential(
    store: &Store,
    client_id: i64,
    new: &NewMapping<'_>,
    actor: &str,
    now: Timestamp,
) -> Result<Option<i64>> {
    let installation = store.installation_id()?;
    store.write(|tx| {
        if clients::read::archived(tx, client_id)? != Some(false) {
            return Ok(None);
        }
        let detail = new.provider.as_str();
        insert_recovered(tx, &installation, client_id, new, (actor, detail), now)
    })
}

/// Reconciliation: the credential a crash kept from being mapped, attached to the client
/// of the open session its reference names, and that session completed — in one
/// transaction. `None` when the session is no longer waiting for a new credential or the
/// token is already a connection (never twice).
pub fn attach_for_session(
    store: &Store,
    session_id: i64,
    new: &NewMapping<'_>,
    actor: &str,
    now: Timestamp,
) -> Result<Option<i64>> {
    let installation = store.installation_id()?;
    store.write(|tx| {
        let Some(session) = link_sessions::read::by_id(tx, session_id)? else {
            return Ok(None);
        };
        if session.connection_id.is_some() || !session.is_open() {
            return Ok(None);
        }
        let detail = format!("{} for link session {session_id}", new.provider.as_str());
        let audit = (actor, detail.as_str());
        let client_id = session.client_id;
        let Some(connection_id) = insert_recovered(tx, &installation, client_id, new, audit, now)?
        else {
            return Ok(None);
        };
        let ending = Ending {
            outcome: "connected",
            detail: Some("recovered from the provider"),
            connection_id: Some(connection_id),
            step: Some(step::MAPPED),
        };
        let session = LinkSession {
            connection_id: Some(connection_id),
            ..session
        };
        finish_in(tx, &session, ending, actor, now)?;
        Ok(Some(connection_id))
    })
}

/// Removes a connection row (after the provider and the keychain), with its audit entry.
pub fn remove_connection_row(
    store: &Store,
    connection_id: i64,
    detail: &str,
    actor: &str,
) -> Result<()> {
    store.write(|tx| {
        let Some(client_id) = connections::read::client_of(tx, connection_id)? else {
            return Err(CoreError::not_found("connection", connection_id));
        };
        connections::write::delete(tx, connection_id)?;
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

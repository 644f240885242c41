//! The mapping of a link result in the firm database, in ONE transaction: the connection row,
//! its credentials sealed under the firm key (`secrets::put`), the session completed at step
//! `mapped` with the token's hash, and the audit entries. Applying the same result again is
//! harmless: the session, once completed with that token's hash, answers `AlreadyMapped`; a
//! token that is already a connection ends the session `duplicate` (the connection's
//! `token_hash` is unique), as in the solo book. The session's expiry is not checked here: it
//! bounds the callback (the claim), and a result obtained in time may reach a database that
//! was down for longer.

use advisor_desk_core::credentials::token_hash;
use advisor_desk_core::firm::{FirmKey, PendingLink};
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::time::Timestamp;
use postgres::Transaction;

use super::audit::{append, Entry};
use super::error::FirmLinkError;
use super::reauthorized;
use super::sessions::{finish_in, step};
use super::statements::{read, write::Ending};
use crate::secrets::{self, SecretPlace};
use crate::FirmStore;

/// How a link result ended up in the firm database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapped {
    Created {
        connection_id: i64,
    },
    /// The token was already a connection (the same login connected before); the session
    /// ended `duplicate`. `None` when that connection is not one the member may see.
    Exists {
        connection_id: Option<i64>,
    },
    /// This result was mapped before (a retry after a lost commit answer, or a replay).
    AlreadyMapped {
        connection_id: Option<i64>,
    },
    /// A reauthorization: the connection's credentials sealed again, its consent renewed
    /// (`reauthorized.rs`); also the answer when the same result is applied again.
    Reauthorized {
        connection_id: i64,
    },
    /// A reauthorization where the client logged in to another account: the session ended
    /// `different_login`, the connection unchanged.
    DifferentLogin {
        connection_id: i64,
    },
}

/// Maps `link` in one transaction of `store`, sealing the token under the firm's current key
/// from `keychain`.
pub fn map_link_result(
    store: &FirmStore,
    keychain: &dyn SecretStore,
    link: &PendingLink,
    actor: &str,
    now: Timestamp,
) -> Result<Mapped, FirmLinkError> {
    store.write_as(|tx| {
        let firm = secrets::firm_id(tx)?;
        let version = secrets::current_key_version(tx)?;
        let key =
            FirmKey::load(keychain, &firm, version).map_err(secrets::FirmSecretsError::from)?;
        map_in(tx, &key, link, actor, now)
    })
}

/// The mapping inside the caller's transaction.
pub fn map_in(
    tx: &mut Transaction<'_>,
    key: &FirmKey,
    link: &PendingLink,
    actor: &str,
    now: Timestamp,
) -> Result<Mapped, FirmLinkError> {
    let session = read::by_id_for_update(tx, link.session_id)?
        .ok_or(FirmLinkError::SessionNotFound(link.session_id))?;
    if session.client_id != link.client_id || session.flow.provider() != link.provider {
        return Err(FirmLinkError::ResultMismatch(link.session_id));
    }
    let hash = token_hash(&link.token);
    if session.completed_at.is_some() {
        let ours = session.token_hash.as_deref() == Some(hash.as_str())
            && session.exchange_step.as_deref() == Some(step::MAPPED);
        let reauthorized = session
            .connection_id
            .filter(|_| ours && session.purpose.needs_connection())
            .and_then(|connection_id| reauthorized::already(&session, connection_id));
        if let Some(mapped) = reauthorized {
            return Ok(mapped);
        }
        return if ours {
            Ok(Mapped::AlreadyMapped {
                connection_id: session.connection_id,
            })
        } else {
            Err(FirmLinkError::SessionEnded {
                session_id: session.id,
                outcome: session.outcome.unwrap_or_default(),
            })
        };
    }
    if let (true, Some(connection_id)) = (session.purpose.needs_connection(), session.connection_id)
    {
        return reauthorized::map_reauthorized(tx, key, &session, connection_id, link, actor, now);
    }
    let inserted = tx.query_opt(
        "INSERT INTO connections
             (client_id, provider, flow, institution_id, token_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (token_hash) DO NOTHING
         RETURNING id",
        &[
            &session.client_id,
            &link.provider.as_str(),
            &session.flow.as_str(),
            &link.institution,
            &hash,
            &now,
        ],
    )?;
    let Some(row) = inserted else {
        return end_as_duplicate(tx, &session, &hash, actor, now);
    };
    let connection_id: i64 = row.get(0);
    secrets::put(
        tx,
        key,
        SecretPlace::Credentials { connection_id },
        &link.token,
    )?;
    append(
        tx,
        &Entry {
            actor,
            client_id: Some(session.client_id),
            connection_id: Some(connection_id),
            action: "connection.added",
            detail: &format!("{} via link session {}", link.provider.as_str(), session.id),
        },
    )?;
    let ending = Ending {
        outcome: "connected",
        detail: None,
        connection_id: Some(connection_id),
        step: Some(step::MAPPED),
        token_hash: Some(&hash),
    };
    finish_in(tx, &session, &ending, actor, now)?;
    Ok(Mapped::Created { connection_id })
}

fn end_as_duplicate(
    tx: &mut Transaction<'_>,
    session: &advisor_desk_core::links::LinkSession,
    hash: &str,
    actor: &str,
    now: Timestamp,
) -> Result<Mapped, FirmLinkError> {
    // Visible only when the member sees that connection's client.
    let existing = tx
        .query_opt("SELECT id FROM connections WHERE token_hash = $1", &[&hash])?
        .map(|r| r.get::<_, i64>(0));
    let ending = Ending {
        outcome: "duplicate",
        detail: None,
        connection_id: None,
        step: Some(step::MAPPED),
        token_hash: Some(hash),
    };
    finish_in(tx, session, &ending, actor, now)?;
    Ok(Mapped::Exists {
        connection_id: existing,
    })
}

//! A reauthorization's result in the firm database, in the mapping's ONE transaction: the
//! provider gives back the very same credential (Flanks keeps the credentials_token through an
//! SCA or a reset, Flinks the loginId), so the connection keeps its row and its history; its
//! credentials are sealed again under the firm's current key, its consent counts as renewed
//! (the forecast's start), the other links still open for it are superseded, and the session
//! completes at step `mapped` with the token's hash — each audited as in the solo book. The
//! connection row's update is what the other desktops hear (`live`).
//!
//! A different login ends the session with that code instead: nothing of the connection
//! changes. (A connection removed meanwhile took its sessions with it: nothing to apply.)

use advisor_desk_core::credentials::token_hash;
use advisor_desk_core::firm::{FirmKey, PendingLink};
use advisor_desk_core::links::ledger::REAUTHORIZED;
use advisor_desk_core::links::LinkSession;
use advisor_desk_core::time::Timestamp;
use postgres::Transaction;

use super::audit::{append, Entry};
use super::connection::set_consent_renewed;
use super::error::FirmLinkError;
use super::mapping::Mapped;
use super::sessions::{finish_in, step};
use super::statements::write::{self, Ending};
use crate::secrets::{self, SecretPlace};

/// The client logged in to another account than the connection's.
pub const DIFFERENT_LOGIN: &str = "different_login";

/// The solo ledger's detail of a superseded session's entry.
const SUPERSEDED: &str = "superseded";

/// Applies `link`, the result of `session` (which reauthorizes `connection_id`), inside the
/// mapping's transaction.
pub(super) fn map_reauthorized(
    tx: &mut Transaction<'_>,
    key: &FirmKey,
    session: &LinkSession,
    connection_id: i64,
    link: &PendingLink,
    actor: &str,
    now: Timestamp,
) -> Result<Mapped, FirmLinkError> {
    let hash = token_hash(&link.token);
    let stored = tx
        .query_opt(
            "SELECT token_hash FROM connections WHERE id = $1 FOR UPDATE",
            &[&connection_id],
        )?
        .map(|r| r.get::<_, String>(0))
        .ok_or(FirmLinkError::ConnectionNotFound(connection_id))?;
    if stored != hash {
        let ending = Ending {
            outcome: DIFFERENT_LOGIN,
            detail: None,
            connection_id: None,
            step: Some(step::MAPPED),
            token_hash: Some(&hash),
        };
        finish_in(tx, session, &ending, actor, now)?;
        return Ok(Mapped::DifferentLogin { connection_id });
    }
    secrets::put(
        tx,
        key,
        SecretPlace::Credentials { connection_id },
        &link.token,
    )?;
    set_consent_renewed(tx, connection_id, now)?;
    for _ in write::supersede_unclaimed(tx, connection_id, session.id, now)? {
        append(
            tx,
            &Entry {
                actor,
                client_id: Some(session.client_id),
                connection_id: Some(connection_id),
                action: "link.finished",
                detail: SUPERSEDED,
            },
        )?;
    }
    let ending = Ending {
        outcome: REAUTHORIZED,
        detail: None,
        connection_id: Some(connection_id),
        step: Some(step::MAPPED),
        token_hash: Some(&hash),
    };
    finish_in(tx, session, &ending, actor, now)?;
    Ok(Mapped::Reauthorized { connection_id })
}

/// What a reauthorization's session that already ended with this result's token answers when
/// the result is applied again (a lost commit answer, a ledger pass after a crash).
pub(super) fn already(session: &LinkSession, connection_id: i64) -> Option<Mapped> {
    match session.outcome.as_deref() {
        Some(REAUTHORIZED) => Some(Mapped::Reauthorized { connection_id }),
        Some(DIFFERENT_LOGIN) => Some(Mapped::DifferentLogin { connection_id }),
        _ => None,
    }
}

//! "Is it the right person?" wired into connecting: a new connection's first snapshot names
//! its account holders, which [`check_holders`] compares with the client's name and the names
//! of the client's household members. When no holder shares a name, the connection is held
//! (`holder_check = 'pending'`): its rows are written as usual, but every read model reads
//! connections through the `book_connections` view, which leaves it out, until the advisor
//! confirms ([`confirm`]) or answers "Not this client" (`LinkService::reject_holder`, which
//! removes it like any removal).
//!
//! The check runs once, on the first successful snapshot (state `unchecked`); a re-sync of a
//! connection already checked, confirmed or older than the check never asks again.

use crate::domain::holders::{check_holders, HolderCheck, HolderCheckState};
use crate::domain::Snapshot;
use crate::error::{CoreError, Result};
use crate::store::queries::{clients, connections, households, Db};
use crate::store::snapshot_store::HolderCheckStore;
use crate::store::{audit, NewAuditEntry, Store};
use crate::sync::connections::Connection;

/// The names a login's holders are compared with: the client's, then each other member of
/// the client's household.
pub fn names_to_compare(db: &Db, client_id: i64) -> Result<Vec<String>> {
    let mut ids = vec![client_id];
    if let Some(household) = households::read::household_of(db, client_id)? {
        ids.extend(
            households::read::member_ids(db, household)?
                .into_iter()
                .filter(|id| *id != client_id),
        );
    }
    let mut names = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(c) = clients::read::by_id(db, id)? {
            names.push(c.name);
        }
    }
    Ok(names)
}

/// The holders a snapshot names: every owner of every account, as the bank spelled them.
fn holders_of(snapshot: &Snapshot) -> Vec<String> {
    snapshot
        .accounts
        .iter()
        .flat_map(|a| a.owners.iter().cloned())
        .collect()
}

/// Runs the check on a connection's first snapshot, inside the transaction that writes it
/// (either engine's: the solo book's SQLite transaction, a firm refresh's PostgreSQL one), so
/// the data is never readable before the decision. Does nothing for a connection already
/// checked. Returns the connection's state afterwards.
pub fn check_first_snapshot<S: HolderCheckStore + ?Sized>(
    db: &S,
    connection_id: i64,
    client_id: i64,
    snapshot: &Snapshot,
    actor: &str,
) -> std::result::Result<HolderCheckState, S::Error> {
    let current = db.holder_check(connection_id)?;
    if current != HolderCheckState::Unchecked {
        return Ok(current);
    }
    let check = check_holders(&holders_of(snapshot), &db.names_to_compare(client_id)?);
    let state = check.state();
    let names = match &check {
        HolderCheck::NoSharedName { holders } => holders.clone(),
        _ => Vec::new(),
    };
    db.set_holder_check(connection_id, current, state, &names)?;
    if state == HolderCheckState::Pending {
        db.audit(&NewAuditEntry {
            actor,
            client_id: Some(client_id),
            connection_id: Some(connection_id),
            action: "connection.holder_check_pending",
            detail: "no account holder shares a name with the client: data held back",
        })?;
    }
    Ok(state)
}

/// The advisor confirmed that a held connection belongs to its client: its data joins the
/// book. Refused when the connection is not waiting for this answer.
pub fn confirm(store: &Store, connection_id: i64, actor: &str) -> Result<Connection> {
    store.write(|tx| {
        let conn = connections::read::by_id(tx, connection_id)?
            .ok_or_else(|| CoreError::not_found("connection", connection_id))?;
        let changed = connections::write::set_holder_check(
            tx,
            connection_id,
            HolderCheckState::Pending,
            HolderCheckState::Confirmed,
            &[],
        )?;
        if changed == 0 {
            return Err(not_waiting());
        }
        audit::append(
            tx,
            &NewAuditEntry {
                actor,
                client_id: Some(conn.client_id),
                connection_id: Some(connection_id),
                action: "connection.holder_confirmed",
                detail: "the advisor confirmed the account holder: data joins the book",
            },
        )
    })?;
    super::connections::get(store, connection_id)
}

/// A connection waiting for the advisor's answer; refused otherwise (`invalid_input`).
pub fn require_pending(store: &Store, connection_id: i64) -> Result<Connection> {
    let conn = super::connections::get(store, connection_id)?;
    if conn.holder_check != HolderCheckState::Pending {
        return Err(not_waiting());
    }
    Ok(conn)
}

fn not_waiting() -> CoreError {
    CoreError::invalid("this connection is not waiting for the advisor to confirm its holder")
}

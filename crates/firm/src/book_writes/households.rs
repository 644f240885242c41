//! Households on the firm database: create, delete, and their members added, removed and
//! moved, under the solo book's rules (`advisor_desk_core::households`): a member is an active
//! person, in at most one household (the member table is keyed by client), each change audited.

use advisor_desk_core::households::{may_be_added, may_join, moving_from, valid_name, Household};
use advisor_desk_core::{time, CoreError};
use postgres::Transaction;

use super::{audit, write, WriteResult};
use crate::queries::{clients, households};
use crate::FirmStore;

pub fn create(store: &FirmStore, name: &str, actor: &str) -> Result<Household, CoreError> {
    let name = valid_name(name)?;
    write(store, |tx| {
        let now = time::now();
        let id: i64 = tx
            .query_one(
                "INSERT INTO households (name, created_at, updated_at) VALUES ($1, $2, $2)
                 RETURNING id",
                &[&name, &now],
            )?
            .get(0);
        audit::append(tx, actor, None, "household.created", &detail(id))?;
        household(tx, id)
    })
}

/// Deletes a household; its members stay clients and each one's leaving is audited.
pub fn delete(store: &FirmStore, id: i64, actor: &str) -> Result<(), CoreError> {
    write(store, |tx| {
        household(tx, id)?;
        for client_id in households::read::member_ids(tx, id)? {
            leave(tx, client_id, id, actor)?;
        }
        if tx.execute("DELETE FROM households WHERE id = $1", &[&id])? != 1 {
            return Err(CoreError::not_found("household", id).into());
        }
        audit::append(tx, actor, None, "household.deleted", &detail(id))
    })
}

/// Adds a client that belongs to no household yet; a member of another is told to move.
pub fn add_member(
    store: &FirmStore,
    household_id: i64,
    client_id: i64,
    actor: &str,
) -> Result<(), CoreError> {
    write(store, |tx| {
        let name = candidate(tx, client_id)?;
        household(tx, household_id)?;
        may_be_added(&name, household_of(tx, client_id)?, household_id)?;
        let now = time::now();
        tx.execute(
            "INSERT INTO household_members (client_id, household_id, joined_at)
             VALUES ($1, $2, $3)",
            &[&client_id, &household_id, &now],
        )?;
        touch(tx, household_id)?;
        audit::append(
            tx,
            actor,
            Some(client_id),
            "household.member_added",
            &detail(household_id),
        )
    })
}

pub fn remove_member(
    store: &FirmStore,
    household_id: i64,
    client_id: i64,
    actor: &str,
) -> Result<(), CoreError> {
    write(store, |tx| {
        if household_of(tx, client_id)? != Some(household_id) {
            return Err(CoreError::not_found("household member", client_id).into());
        }
        leave(tx, client_id, household_id, actor)?;
        touch(tx, household_id)
    })
}

/// Moves a member to another household in one statement (one audit entry naming both), so the
/// client is never in none or two.
pub fn move_member(
    store: &FirmStore,
    client_id: i64,
    to_household_id: i64,
    actor: &str,
) -> Result<(), CoreError> {
    write(store, |tx| {
        let name = candidate(tx, client_id)?;
        household(tx, to_household_id)?;
        let from = moving_from(&name, household_of(tx, client_id)?)?;
        if from == to_household_id {
            return Ok(());
        }
        tx.execute(
            "UPDATE household_members SET household_id = $2, joined_at = $3 WHERE client_id = $1",
            &[&client_id, &to_household_id, &time::now()],
        )?;
        touch(tx, from)?;
        touch(tx, to_household_id)?;
        audit::append(
            tx,
            actor,
            Some(client_id),
            "household.member_moved",
            &format!("household {from} -> household {to_household_id}"),
        )
    })
}

/// The client leaves its household, audited.
fn leave(
    tx: &mut Transaction<'_>,
    client_id: i64,
    household_id: i64,
    actor: &str,
) -> WriteResult<()> {
    tx.execute(
        "DELETE FROM household_members WHERE client_id = $1",
        &[&client_id],
    )?;
    audit::append(
        tx,
        actor,
        Some(client_id),
        "household.member_removed",
        &detail(household_id),
    )
}

fn detail(household_id: i64) -> String {
    format!("household {household_id}")
}

/// The household, if the member may see it.
fn household(tx: &mut Transaction<'_>, id: i64) -> WriteResult<Household> {
    households::read::household(tx, id)?.ok_or_else(|| CoreError::not_found("household", id).into())
}

/// The name of a client the member may see and that may join a household.
fn candidate(tx: &mut Transaction<'_>, client_id: i64) -> WriteResult<String> {
    let client = clients::read::by_id(tx, client_id)?
        .ok_or_else(|| CoreError::not_found("client", client_id))?;
    may_join(&client)?;
    Ok(client.name)
}

fn household_of(tx: &mut Transaction<'_>, client_id: i64) -> WriteResult<Option<i64>> {
    let row = tx.query_opt(
        "SELECT household_id FROM household_members WHERE client_id = $1",
        &[&client_id],
    )?;
    Ok(row.map(|r| r.get(0)))
}

/// The household changed (its `updated_at`, as the solo book's `touch_household`).
fn touch(tx: &mut Transaction<'_>, household_id: i64) -> WriteResult<()> {
    tx.execute(
        "UPDATE households SET updated_at = $2 WHERE id = $1",
        &[&household_id, &time::now()],
    )?;
    Ok(())
}

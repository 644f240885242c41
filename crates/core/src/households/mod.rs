//! Households: a named group of clients (its members) whose data is read as one.
//!
//! A household is its own entity, not a client: every member keeps its own page, connections
//! and client kind, and belongs to at most one household (the schema's member table is keyed
//! by client). A client whose own kind is `household` — the older way to record a family as a
//! single client — is already a group and cannot be a member. Creating, renaming and deleting
//! a household, and adding, removing and moving members, each write their audit entry in the
//! same transaction as the change.

pub mod book;
pub(crate) mod counted_rows;
pub mod export;
pub mod overview;

use serde::Serialize;

use crate::clients::{Client, ClientKind, MAX_NAME_LEN};
use crate::error::{CoreError, Result};
use crate::store::audit::{self, NewAuditEntry};
use crate::store::book_reads::BookReads;
use crate::store::queries::households::{read, write};
use crate::store::Store;
use crate::time;

pub use book::{book_by_household, BookByHousehold, HouseholdBookRow};
pub use overview::{
    household_overview, household_transactions, HouseholdAccount, HouseholdOverview, MemberSummary,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct Household {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A household with its members, in joining order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct HouseholdWithMembers {
    #[serde(flatten)]
    pub household: Household,
    pub members: Vec<Client>,
}

/// A household's name as stored: trimmed, not empty, bounded, no control characters.
pub fn valid_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(CoreError::invalid("a household needs a name"));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(CoreError::invalid(format!(
            "a household's name can be at most {MAX_NAME_LEN} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "a household's name cannot contain control characters",
        ));
    }
    Ok(name.to_string())
}

fn entry<'a>(
    actor: &'a str,
    client_id: Option<i64>,
    action: &'a str,
    detail: &'a str,
) -> NewAuditEntry<'a> {
    NewAuditEntry {
        actor,
        client_id,
        connection_id: None,
        action,
        detail,
    }
}

pub fn create(store: &Store, name: &str, actor: &str) -> Result<Household> {
    let name = valid_name(name)?;
    let now = time::to_db(time::now());
    let id = store.write(|tx| {
        let id = write::insert_household(tx, &name, &now)?;
        audit::append(
            tx,
            &entry(actor, None, "household.created", &format!("household {id}")),
        )?;
        Ok(id)
    })?;
    get(store, id)
}

pub fn rename(store: &Store, id: i64, name: &str, actor: &str) -> Result<Household> {
    let name = valid_name(name)?;
    let now = time::to_db(time::now());
    store.write(|tx| {
        if !write::rename_household(tx, id, &name, &now)? {
            return Err(CoreError::not_found("household", id));
        }
        audit::append(
            tx,
            &entry(actor, None, "household.renamed", &format!("household {id}")),
        )
    })?;
    get(store, id)
}

/// Deletes a household. Its members stay clients; each one's leaving is audited.
pub fn delete(store: &Store, id: i64, actor: &str) -> Result<()> {
    store.write(|tx| {
        let members = read::member_ids(tx, id)?;
        for client_id in members {
            write::delete_member(tx, client_id)?;
            audit::append(
                tx,
                &entry(
                    actor,
                    Some(client_id),
                    "household.member_removed",
                    &format!("household {id}"),
                ),
            )?;
        }
        if !write::delete_household(tx, id)? {
            return Err(CoreError::not_found("household", id));
        }
        audit::append(
            tx,
            &entry(actor, None, "household.deleted", &format!("household {id}")),
        )
    })
}

pub fn get(store: &Store, id: i64) -> Result<Household> {
    store
        .read(|c| read::household(c, id))?
        .ok_or_else(|| CoreError::not_found("household", id))
}

/// Every household with its members, in name order.
pub fn list(store: &Store) -> Result<Vec<HouseholdWithMembers>> {
    store.read(list_from)
}

/// [`list`] from either engine's reader.
pub fn list_from(reads: &impl BookReads) -> Result<Vec<HouseholdWithMembers>> {
    let groups = reads
        .households()?
        .into_iter()
        .map(|h| Ok((reads.household_member_ids(h.id)?, h)))
        .collect::<Result<Vec<_>>>()?;
    let clients = crate::clients::list_from(reads, true)?;
    let mut out: Vec<HouseholdWithMembers> = groups
        .into_iter()
        .map(|(ids, household)| HouseholdWithMembers {
            household,
            members: ids
                .iter()
                .filter_map(|id| clients.iter().find(|c| c.id == *id).cloned())
                .collect(),
        })
        .collect();
    out.sort_by_cached_key(|h| (crate::clients::sort_key(&h.household.name), h.household.id));
    Ok(out)
}

/// The household a client belongs to, if any.
pub fn of_client(store: &Store, client_id: i64) -> Result<Option<Household>> {
    match store.read(|c| read::household_of(c, client_id))? {
        Some(id) => Ok(Some(get(store, id)?)),
        None => Ok(None),
    }
}

/// Adds a client that belongs to no household yet. A member of another household is
/// refused with a message that says so: moving is [`Store::move_household_member`].
pub fn add_member(store: &Store, household_id: i64, client_id: i64, actor: &str) -> Result<()> {
    let client = member_candidate(store, client_id)?;
    let now = time::to_db(time::now());
    store.write(|tx| {
        if read::household(tx, household_id)?.is_none() {
            return Err(CoreError::not_found("household", household_id));
        }
        may_be_added(
            &client.name,
            read::household_of(tx, client_id)?,
            household_id,
        )?;
        write::insert_member(tx, household_id, client_id, &now)?;
        write::touch_household(tx, household_id, &now)?;
        audit::append(
            tx,
            &entry(
                actor,
                Some(client_id),
                "household.member_added",
                &format!("household {household_id}"),
            ),
        )
    })
}

pub fn remove_member(store: &Store, household_id: i64, client_id: i64, actor: &str) -> Result<()> {
    let now = time::to_db(time::now());
    store.write(|tx| {
        if read::household_of(tx, client_id)? != Some(household_id) {
            return Err(CoreError::not_found("household member", client_id));
        }
        write::delete_member(tx, client_id)?;
        write::touch_household(tx, household_id, &now)?;
        audit::append(
            tx,
            &entry(
                actor,
                Some(client_id),
                "household.member_removed",
                &format!("household {household_id}"),
            ),
        )
    })
}

/// Moves a member from its household to another in one step (one audit entry naming
/// both), so the client is never in none or two.
pub fn move_member(store: &Store, client_id: i64, to_household_id: i64, actor: &str) -> Result<()> {
    let client = member_candidate(store, client_id)?;
    let now = time::to_db(time::now());
    store.write(|tx| {
        if read::household(tx, to_household_id)?.is_none() {
            return Err(CoreError::not_found("household", to_household_id));
        }
        let from = moving_from(&client.name, read::household_of(tx, client_id)?)?;
        if from == to_household_id {
            return Ok(());
        }
        write::move_member(tx, client_id, to_household_id, &now)?;
        write::touch_household(tx, from, &now)?;
        write::touch_household(tx, to_household_id, &now)?;
        audit::append(
            tx,
            &entry(
                actor,
                Some(client_id),
                "household.member_moved",
                &format!("household {from} -> household {to_household_id}"),
            ),
        )
    })
}

/// A client that may join a household: it exists, is not archived and is a person.
fn member_candidate(store: &Store, client_id: i64) -> Result<Client> {
    let client = crate::clients::get(store, client_id)?;
    may_join(&client)?;
    Ok(client)
}

/// Whether a client now in `current` (its household, if any) may be added to `household_id`:
/// only one in none (on either engine); a member of another is told to move instead.
pub fn may_be_added(name: &str, current: Option<i64>, household_id: i64) -> Result<()> {
    match current {
        None => Ok(()),
        Some(current) if current == household_id => Err(CoreError::invalid(format!(
            "{name} is already a member of this household"
        ))),
        Some(_) => Err(CoreError::invalid(format!(
            "{name} already belongs to another household; move them instead"
        ))),
    }
}

/// The household a client now in `current` moves from (on either engine); one in none is told
/// to add them instead.
pub fn moving_from(name: &str, current: Option<i64>) -> Result<i64> {
    current.ok_or_else(|| {
        CoreError::invalid(format!("{name} belongs to no household; add them instead"))
    })
}

/// Whether `client` may join a household: not archived, and a person (on either engine).
pub fn may_join(client: &Client) -> Result<()> {
    if client.archived {
        return Err(CoreError::invalid(format!(
            "{} is archived and cannot join a household",
            client.name
        )));
    }
    if client.kind == ClientKind::Household {
        return Err(CoreError::invalid(format!(
            "{} is recorded as a household client and cannot be a member of one",
            client.name
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

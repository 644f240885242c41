//! The book shown by household: one row per household (its total counts a joint account
//! once, like the household page) and the clients who belong to no household as they are
//! in the book by person.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Household;
use crate::error::Result;
use crate::reads::book::{
    book_summary_from, set_positions, totals, BookRow, CurrencyTotal, Health,
};
use crate::store::book_reads::BookReads;
use crate::store::Store;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct HouseholdBookRow {
    pub household: Household,
    /// The members' rows as in the book by person (active clients only).
    pub members: Vec<BookRow>,
    pub totals: Vec<CurrencyTotal>,
    pub connection_count: u32,
    pub health: Health,
    pub data_as_of: Option<Timestamp>,
    pub stale: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct BookByHousehold {
    pub generated_at: Timestamp,
    pub households: Vec<HouseholdBookRow>,
    /// Clients in no household, in name order.
    pub people: Vec<BookRow>,
}

pub fn book_by_household(store: &Store, now: Timestamp) -> Result<BookByHousehold> {
    store.read(|db| book_by_household_from(db, now))
}

/// [`book_by_household`] from either engine's reader.
pub fn book_by_household_from(reads: &impl BookReads, now: Timestamp) -> Result<BookByHousehold> {
    let book = book_summary_from(reads, now)?;
    let (households, memberships) = (reads.households()?, reads.household_memberships()?);
    let mut members: BTreeMap<i64, Vec<BookRow>> = BTreeMap::new();
    let mut people = Vec::new();
    for row in book.clients {
        match memberships.get(&row.client_id) {
            Some(h) => members.entry(*h).or_default().push(row),
            None => people.push(row),
        }
    }
    let mut rows = Vec::with_capacity(households.len());
    for household in households {
        let m = members.remove(&household.id).unwrap_or_default();
        let ids: Vec<i64> = memberships
            .iter()
            .filter(|(_, h)| **h == household.id)
            .map(|(c, _)| *c)
            .collect();
        let pos = set_positions(reads, &ids)?;
        // A member with connections but no date has one that never synced.
        let never = m
            .iter()
            .any(|r| r.connection_count > 0 && r.data_as_of.is_none());
        rows.push(HouseholdBookRow {
            totals: totals(&pos),
            connection_count: m.iter().map(|r| r.connection_count).sum(),
            health: m.iter().map(|r| r.health).max().unwrap_or(Health::None),
            data_as_of: if never {
                None
            } else {
                m.iter().filter_map(|r| r.data_as_of).min()
            },
            stale: m.iter().any(|r| r.stale),
            members: m,
            household,
        });
    }
    rows.sort_by_cached_key(|r| (crate::clients::sort_key(&r.household.name), r.household.id));
    Ok(BookByHousehold {
        generated_at: now,
        households: rows,
        people,
    })
}

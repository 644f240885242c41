//! Every SQL statement about the app's own tables, one module per table (or aggregate):
//! the only place outside `store/` (opening, migrations, backups) that names SQL. The read
//! models' joins are aggregates here too (`positions`, `client_overview`, `transactions`):
//! `reads/` assembles and computes, and names no SQL.
//!
//! The shape, the same in every module:
//!
//! ```text
//! queries/<table>.rs
//!   pub mod read  { pub fn …(db: &Db, …) -> Result<…> }   // SELECTs only
//!   pub mod write { pub fn …(tx: &Tx<'_>, …) -> Result<…> } // INSERT/UPDATE/DELETE
//! ```
//!
//! Reads take any connection (`Store::read`'s reader, or a write transaction that reads
//! what it is about to change); writes take the transaction of `Store::write`, so the caller
//! decides what commits together (a row and its audit entry, a mapped connection and its
//! finished session). Rows come back as the domain's own types, never as SQL rows.
//!
//! Domain modules (`clients`, `credentials`, `links`, `sync`, `reads`) call these functions and
//! nothing else of SQL. A second storage engine would implement the same functions for its
//! own handle behind `Db`/`Tx`, leaving the domain modules as they are. A new table gets one
//! more module here, in the same shape.

pub mod audit;
pub mod call_log;
pub mod clients;
pub mod connections;
pub mod counted_totals;
pub mod household_pages;
pub mod households;
pub mod link_sessions;
pub mod positions;
pub mod rates;
pub mod set_copies;
pub mod settings;
pub mod snapshot_rows;
pub mod transactions;

/// A connection to read with.
pub type Db = rusqlite::Connection;
/// A write transaction (see `Store::write`).
pub type Tx<'a> = rusqlite::Transaction<'a>;

use crate::time::{self, Timestamp};

/// A set of clients whose data is read as one, de-duplicated across the whole set by
/// `dedupe_key`: a client's page is a set of one, a household's page its members (so a joint
/// account two members reach is counted once). Bound as one JSON array parameter and read
/// back with `json_each`, so a statement's text is the same whatever the set.
#[derive(Debug, Clone, Copy)]
pub struct Clients<'a>(pub &'a [i64]);

impl Clients<'_> {
    /// The set as the JSON array the statements bind.
    fn param(self) -> String {
        json_ids(self.0)
    }
}

/// Ids as the JSON array a statement binds and reads back with `json_each`.
fn json_ids(ids: &[i64]) -> String {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("[{}]", ids.join(","))
}

/// The connections of the set bound as `?1`, with the date that picks a row's freshest
/// copy (a row without its own date is as old as its connection's data).
const SET_CONNECTIONS: &str = "conns AS (
        SELECT id, client_id, coalesce(data_as_of, last_success_at) AS fresh
        FROM book_connections WHERE client_id IN (SELECT value FROM json_each(?1)))";

/// A nullable timestamp column.
pub(crate) fn timestamp_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(r.get::<_, Option<String>>(i)?
        .as_deref()
        .and_then(time::from_db))
}

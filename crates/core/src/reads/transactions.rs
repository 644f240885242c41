//! Newest transactions and full-text search (FTS5) for one client.

use rusqlite::{Connection, Row};
use serde::Serialize;

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionRow {
    pub id: i64,
    pub connection_id: i64,
    pub account_id: i64,
    pub booking_date: String,
    pub amount_minor: i64,
    pub currency: String,
    pub description: String,
    pub category: Option<String>,
    pub counterparty: Option<String>,
    /// `active`, or `missing` when the provider stopped returning it.
    pub presence: String,
}

const COLUMNS: &str = "t.id, t.connection_id, t.account_id, t.booking_date, t.amount_minor, \
     t.currency, t.description, t.category, t.counterparty, t.presence";

fn from_row(r: &Row<'_>) -> rusqlite::Result<TransactionRow> {
    Ok(TransactionRow {
        id: r.get(0)?,
        connection_id: r.get(1)?,
        account_id: r.get(2)?,
        booking_date: r.get(3)?,
        amount_minor: r.get(4)?,
        currency: r.get(5)?,
        description: r.get(6)?,
        category: r.get(7)?,
        counterparty: r.get(8)?,
        presence: r.get(9)?,
    })
}

pub fn newest_transactions(
    db: &Connection,
    client_id: i64,
    limit: u32,
) -> Result<Vec<TransactionRow>> {
    let mut stmt = db.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM transactions t
         WHERE t.connection_id IN (SELECT id FROM connections WHERE client_id = ?1)
         ORDER BY t.booking_date DESC, t.id DESC LIMIT ?2"
    ))?;
    let rows = stmt
        .query_map(rusqlite::params![client_id, limit], from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Each word of `query` must appear (prefix match), whatever its accents or case. The text is
/// quoted for FTS5, so operators typed by a person are searched as words, never parsed.
pub fn search_transactions(
    db: &Connection,
    client_id: i64,
    query: &str,
    limit: u32,
) -> Result<Vec<TransactionRow>> {
    let fts: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    if fts.is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = db.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM transactions_fts f JOIN transactions t ON t.id = f.rowid
         WHERE transactions_fts MATCH ?2
           AND t.connection_id IN (SELECT id FROM connections WHERE client_id = ?1)
         ORDER BY t.booking_date DESC, t.id DESC LIMIT ?3"
    ))?;
    let rows = stmt
        .query_map(rusqlite::params![client_id, fts.join(" "), limit], from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

//! Copies every row of a solo book (the SQLite file's tables) into the firm database, in the
//! caller's transaction: ids preserved, each identity moved past the ids copied, values
//! converted to the firm schema's types. No secret comes along: a connection row carries only
//! its `token_hash`; its keychain reference (`secret_ref`) is left behind, because sealing the
//! credentials under the firm key is the move-in's job.
//!
//! The columns are matched by name, the SQLite table's against the firm table's (read from the
//! catalog): a solo column with no place in the firm table is refused (it would be lost), a firm
//! column the solo book lacks keeps its default (who created a row, which role ran a sync).

mod cell;
mod error;

use std::collections::BTreeMap;

use postgres::types::ToSql;
use postgres::Transaction;
use rusqlite::Connection;

pub use error::CopyInError;

use cell::{Cell, FirmType};

/// The solo book's tables, parents before the rows that point at them.
pub const TABLES: &[&str] = &[
    "clients",
    "households",
    "household_members",
    "connections",
    "link_sessions",
    "sync_runs",
    "provider_calls",
    "audit_log",
    "accounts",
    "account_owners",
    "holdings",
    "transactions",
    "liabilities",
    "cards",
    "reference_rates",
    "rate_fetches",
];

/// What stays behind on purpose, and why:
/// - `transaction_months` is kept by the firm's trigger as the transactions are copied;
/// - `account_transaction_totals` (SQLite's 0016, the per-account count behind the solo
///   pages' transaction count) is derived from the transactions and has no firm table: the
///   firm's reads count from its `transaction_months`, which hold the same count;
/// - `settings` belong to the desktop (its installation id, provider environment, last
///   scheduled refresh), not to the firm.
pub const LEFT_BEHIND_TABLES: &[&str] = &[
    "transaction_months",
    "account_transaction_totals",
    "settings",
];

/// Solo columns that have no place in the firm database on purpose.
const LEFT_BEHIND_COLUMNS: &[(&str, &str)] = &[
    // The keychain entry holding the credentials: the firm seals them instead (move-in).
    ("connections", "secret_ref"),
];

/// Rows copied per table, in copy order.
pub type CopyCounts = BTreeMap<&'static str, u64>;

/// Rows per INSERT statement (PostgreSQL takes at most 65,535 parameters in one).
const ROWS_PER_STATEMENT: usize = 500;

/// Copies every table of `solo` into the firm database in `tx`. Nothing is committed here: the
/// caller commits (or drops the transaction, and nothing is left).
pub fn copy_book(solo: &Connection, tx: &mut Transaction<'_>) -> Result<CopyCounts, CopyInError> {
    let mut counts = CopyCounts::new();
    for &table in TABLES {
        let columns = matched_columns(solo, tx, table)?;
        let copied = copy_table(solo, tx, table, &columns)?;
        counts.insert(table, copied);
    }
    for &table in TABLES {
        move_identity_past_copied_ids(tx, table)?;
    }
    Ok(counts)
}

/// A column both tables have, with the firm column's type.
struct Column {
    name: String,
    firm_type: FirmType,
}

fn matched_columns(
    solo: &Connection,
    tx: &mut Transaction<'_>,
    table: &'static str,
) -> Result<Vec<Column>, CopyInError> {
    let firm: BTreeMap<String, String> = tx
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1",
            &[&table],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    if firm.is_empty() {
        return Err(CopyInError::NoFirmTable { table });
    }
    let mut statement = solo.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
    let solo_columns = statement
        .query_map([table], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<String>, _>>()?;
    let mut columns = Vec::new();
    for name in solo_columns {
        if LEFT_BEHIND_COLUMNS.contains(&(table, name.as_str())) {
            continue;
        }
        let Some(data_type) = firm.get(&name) else {
            return Err(CopyInError::NoPlaceFor {
                table,
                column: name,
            });
        };
        let firm_type = FirmType::of(data_type).ok_or_else(|| CopyInError::UnknownType {
            table,
            column: name.clone(),
            data_type: data_type.clone(),
        })?;
        columns.push(Column { name, firm_type });
    }
    Ok(columns)
}

fn copy_table(
    solo: &Connection,
    tx: &mut Transaction<'_>,
    table: &'static str,
    columns: &[Column],
) -> Result<u64, CopyInError> {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let mut select = solo.prepare(&format!(
        "SELECT {} FROM {table} ORDER BY 1",
        names.join(", ")
    ))?;
    let mut rows = select.query([])?;
    let mut batch: Vec<Cell> = Vec::with_capacity(ROWS_PER_STATEMENT * columns.len());
    let mut full_insert = None;
    let mut copied = 0;
    let mut row_number = 0u64;
    while let Some(row) = rows.next()? {
        row_number += 1;
        for (i, column) in columns.iter().enumerate() {
            let cell = Cell::from_solo(row.get_ref(i)?, column.firm_type).map_err(|problem| {
                CopyInError::BadValue {
                    table,
                    column: column.name.clone(),
                    row: row_number,
                    problem,
                }
            })?;
            batch.push(cell);
        }
        if batch.len() == ROWS_PER_STATEMENT * columns.len() {
            if full_insert.is_none() {
                full_insert = Some(tx.prepare(&insert_sql(table, &names, ROWS_PER_STATEMENT))?);
            }
            let statement = full_insert.as_ref().expect("prepared above");
            copied += tx.execute(statement, &params(&batch))?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        let rows = batch.len() / columns.len();
        copied += tx.execute(insert_sql(table, &names, rows).as_str(), &params(&batch))?;
    }
    Ok(copied)
}

/// `INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), …` for `rows` rows.
fn insert_sql(table: &str, names: &[&str], rows: usize) -> String {
    let width = names.len();
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        names.join(", "),
        values.join(", ")
    )
}

fn params(cells: &[Cell]) -> Vec<&(dyn ToSql + Sync)> {
    cells.iter().map(|c| c as &(dyn ToSql + Sync)).collect()
}

/// A table with an identity `id`: the next id the firm hands out comes after every id copied.
fn move_identity_past_copied_ids(tx: &mut Transaction<'_>, table: &str) -> Result<(), CopyInError> {
    let sequence: Option<String> = tx
        .query_opt(
            "SELECT pg_get_serial_sequence(table_name::text, column_name::text)
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'id'",
            &[&table],
        )?
        .and_then(|r| r.get(0));
    if let Some(sequence) = sequence {
        tx.execute(
            &format!(
                "SELECT setval($1::text::regclass, max(id)) FROM {table} HAVING max(id) IS NOT NULL"
            ),
            &[&sequence],
        )?;
    }
    Ok(())
}

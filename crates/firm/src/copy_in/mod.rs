//! Copies every row of a solo book (the SQLite file's tables) into the firm database, in the
//! caller's transaction, values converted to the firm schema's types, in one of two ways:
//! - [`copy_book_renumbered`], the move-in's: every row gets a fresh firm id and every
//!   reference follows it (`renumber.rs`), so any number of books move into one firm;
//! - [`copy_book`]: ids kept, each identity then moved past them (`setval`, the owner's
//!   right) — one book into an empty firm, for comparing the two engines row for row (tests,
//!   benchmarks).
//!
//! The shared reference data (`SHARED_TABLES`: exchange rates and when they were fetched) is
//! the firm's once: a row the firm already holds is kept and the book's left out.
//!
//! No secret comes along: a connection row carries only
//! its `token_hash`; its keychain reference (`secret_ref`) is left behind, because sealing the
//! credentials under the firm key is the move-in's job.
//!
//! The columns are matched by name, the SQLite table's against the firm table's (read from the
//! catalog): a solo column with no place in the firm table is refused (it would be lost), a firm
//! column the solo book lacks keeps its default (who created a row, which role ran a sync).

mod cell;
mod error;
mod renumber;

use std::collections::BTreeMap;

use postgres::types::ToSql;
use postgres::Transaction;
use rusqlite::types::ValueRef;
use rusqlite::Connection;

pub use error::CopyInError;
pub use renumber::IdMap;

use cell::{Cell, FirmType};
use renumber::IdColumn;

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

/// Reference data every book caches alike and the firm holds once (keyed by source, currency
/// and date, not by an id): a row the firm already has is not copied again.
pub const SHARED_TABLES: &[&str] = &["reference_rates", "rate_fetches"];

/// What stays behind on purpose, and why:
/// - `transaction_months` is kept by the firm's trigger as the transactions are copied;
/// - `account_transaction_totals` (SQLite's 0016, the per-account count behind the solo
///   pages' transaction count) is derived from the transactions and has no firm table: the
///   firm's reads count from its `transaction_months`, which hold the same count;
/// - `counted_totals` (SQLite's 0017, each client's counted positions) and its marks are
///   derived from the copied rows: the firm's triggers recount every copied client at commit;
/// - `household_pages` (SQLite's 0018, each household's counted rows kept as the solo writes make
///   them) is derived from the rows copied; the firm's pages count a household from its
///   members' rows;
/// - `settings` belong to the desktop (its installation id, provider environment, last
///   scheduled refresh), not to the firm.
pub const LEFT_BEHIND_TABLES: &[&str] = &[
    "transaction_months",
    "account_transaction_totals",
    "counted_totals",
    "counted_totals_stale",
    "household_pages",
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

/// Copies every table of `solo` into the firm database in `tx`, ids kept, into a firm that
/// holds none of them (see the module comment). Nothing is committed here: the caller commits
/// (or drops the transaction, and nothing is left).
pub fn copy_book(solo: &Connection, tx: &mut Transaction<'_>) -> Result<CopyCounts, CopyInError> {
    let mut counts = CopyCounts::new();
    for &table in TABLES {
        let columns = matched_columns(solo, tx, table)?;
        let copied = copy_table(solo, tx, table, &columns, None)?;
        counts.insert(table, copied);
    }
    for &table in TABLES {
        move_identity_past_copied_ids(tx, table)?;
    }
    Ok(counts)
}

/// A book copied in under fresh firm ids.
#[derive(Debug)]
pub struct Renumbered {
    /// Rows inserted per table.
    pub counts: CopyCounts,
    /// Rows of [`SHARED_TABLES`] the firm already held, so not inserted again.
    pub already_held: CopyCounts,
    /// Each moved row's firm id.
    pub ids: IdMap,
}

/// Copies every table of `solo` into the firm database in `tx` under fresh firm ids, every
/// reference mapped (`renumber.rs`). Nothing is committed here.
pub fn copy_book_renumbered(
    solo: &Connection,
    tx: &mut Transaction<'_>,
) -> Result<Renumbered, CopyInError> {
    let mut ids = IdMap::default();
    let mut counts = CopyCounts::new();
    let mut already_held = CopyCounts::new();
    for &table in TABLES {
        let columns = matched_columns(solo, tx, table)?;
        ids.reserve(solo, tx, table)?;
        let id_columns = renumber::id_columns(solo, table, &ids)?;
        let copied = copy_table(solo, tx, table, &columns, Some((&ids, &id_columns)))?;
        counts.insert(table, copied);
        if SHARED_TABLES.contains(&table) {
            let solo_rows: i64 =
                solo.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            already_held.insert(table, (solo_rows as u64).saturating_sub(copied));
        }
    }
    Ok(Renumbered {
        counts,
        already_held,
        ids,
    })
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

/// How a renumbered copy maps ids: the firm ids, and what each id column points at.
type Mapping<'a> = (&'a IdMap, &'a BTreeMap<String, IdColumn>);

fn copy_table(
    solo: &Connection,
    tx: &mut Transaction<'_>,
    table: &'static str,
    columns: &[Column],
    mapping: Option<Mapping<'_>>,
) -> Result<u64, CopyInError> {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let roles: Vec<Option<IdColumn>> = columns
        .iter()
        .map(|c| mapping.and_then(|(_, roles)| roles.get(&c.name).copied()))
        .collect();
    let detail = (table == "audit_log")
        .then(|| names.iter().position(|n| *n == "detail"))
        .flatten();
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
        let row_start = batch.len();
        let mut notes = String::new();
        for (i, column) in columns.iter().enumerate() {
            let mut value = row.get_ref(i)?;
            if let (Some((ids, _)), Some(role), ValueRef::Integer(solo_id)) =
                (mapping, roles[i], value)
            {
                match (role, ids_for(ids, role, solo_id)) {
                    (_, Some(firm_id)) => value = ValueRef::Integer(firm_id),
                    (IdColumn::Trail(gone), None) => {
                        notes.push_str(&renumber::gone_note(gone, solo_id));
                        value = ValueRef::Null;
                    }
                    (_, None) => {
                        return Err(CopyInError::Dangling {
                            table,
                            column: column.name.clone(),
                            row: row_number,
                        })
                    }
                }
            }
            let cell = Cell::from_solo(value, column.firm_type).map_err(|problem| {
                CopyInError::BadValue {
                    table,
                    column: column.name.clone(),
                    row: row_number,
                    problem,
                }
            })?;
            batch.push(cell);
        }
        if let (Some((ids, _)), Some(i)) = (mapping, detail) {
            let cell = &mut batch[row_start + i];
            let text = match cell {
                Cell::Text(text) => renumber::renumber_detail(text, ids),
                _ => String::new(),
            };
            *cell = Cell::Text(text + &notes);
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
    let merge = if SHARED_TABLES.contains(&table) {
        " ON CONFLICT DO NOTHING"
    } else {
        ""
    };
    format!(
        "INSERT INTO {table} ({}) VALUES {}{merge}",
        names.join(", "),
        values.join(", ")
    )
}

/// The firm id a solo id maps to, in the table the column points at.
fn ids_for(ids: &IdMap, role: IdColumn, solo_id: i64) -> Option<i64> {
    let (IdColumn::Own(table) | IdColumn::Parent(table) | IdColumn::Trail(table)) = role;
    ids.firm_id(table, solo_id)
}

fn params(cells: &[Cell]) -> Vec<&(dyn ToSql + Sync)> {
    cells.iter().map(|c| c as &(dyn ToSql + Sync)).collect()
}

/// The sequence behind a firm table's identity `id`, when it has one.
fn identity_sequence(tx: &mut Transaction<'_>, table: &str) -> Result<Option<String>, CopyInError> {
    Ok(tx
        .query_opt(
            "SELECT pg_get_serial_sequence(table_name::text, column_name::text)
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'id'",
            &[&table],
        )?
        .and_then(|r| r.get(0)))
}

/// A table with an identity `id`: the next id the firm hands out comes after every id copied.
fn move_identity_past_copied_ids(tx: &mut Transaction<'_>, table: &str) -> Result<(), CopyInError> {
    if let Some(sequence) = identity_sequence(tx, table)? {
        tx.execute(
            &format!(
                "SELECT setval($1::text::regclass, max(id)) FROM {table} HAVING max(id) IS NOT NULL"
            ),
            &[&sequence],
        )?;
    }
    Ok(())
}

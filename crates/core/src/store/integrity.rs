//! Is the database sound enough to use? `Store::open` runs SQLite's `quick_check` (page and
//! b-tree structure, record formats; no index-against-table comparison) before anything
//! writes to the file, and refuses a damaged one with `database_damaged`. `doctor` runs the
//! full `integrity_check`, which also compares every index with its table.
//!
//! How much is checked at open is the caller's choice ([`CheckScope`]). The CLI checks the
//! whole file: it is not latency sensitive. The app checks at open only what the book cannot
//! lose — the header, the schema and the tables that map clients to credentials
//! ([`BOOK_TABLES`], each with its indexes) — so its window is not held by the cached provider
//! data, which is most of a large file; it checks the whole file right after it starts
//! ([`quick_check_file`]) and treats damage found then exactly as damage found at open.
//!
//! The check at open is bounded in time: on a book large enough that `quick_check` would take
//! longer than [`OPEN_CHECK_BUDGET`], it stops there and the file is used (what was read so
//! far was sound; the header, the schema and the first pages of every b-tree were checked),
//! and a warning says to run `doctor` for the full check.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode as SqliteCode, OpenFlags};

use crate::error::{CoreError, Result};

/// How long the check at open may take before it stops. Measured on the 2-core development
/// machine, file in the page cache: `quick_check` of a 633 MB file (4 M rows, two indexes)
/// took 1.4 s and `integrity_check` 69 s (Python's SQLite); through `advisor-desk-cli clients
/// list` (debug build, so SQLite unoptimised) the whole open of that file took 1.7 s. So a
/// book up to about 1.3 GB is checked in full at every open, and `integrity_check` stays in
/// `doctor`.
pub const OPEN_CHECK_BUDGET: Duration = Duration::from_secs(3);

/// How many problems a report keeps: enough to name the damage, short enough to read.
const PROBLEMS_SHOWN: usize = 5;

/// The first 16 bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The tables the book cannot lose: who each client is, which credential belongs to which
/// client, unfinished links, households, settings and the audit trail. Everything else is
/// provider data a sync fetches again (accounts, holdings, transactions and their search
/// index, liabilities, cards, rates) or the provider call log.
pub const BOOK_TABLES: &[&str] = &[
    "sqlite_schema",
    "clients",
    "connections",
    "link_sessions",
    "settings",
    "households",
    "household_members",
    "audit_log",
];

/// What `Store::open` checks before it uses an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckScope {
    /// `quick_check` of the whole file, stopping after `budget`.
    WholeFile { budget: Duration },
    /// `quick_check` of [`BOOK_TABLES`] only; the caller checks the rest later
    /// ([`quick_check_file`]).
    BookTables,
}

impl Default for CheckScope {
    fn default() -> Self {
        CheckScope::WholeFile {
            budget: OPEN_CHECK_BUDGET,
        }
    }
}

/// What the quick check at open found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenCheck {
    Sound,
    /// The budget ran out before the end: what was read was sound.
    StoppedAfterBudget,
}

/// Keeps a refused file exactly as it was: without this, dropping the connection would
/// checkpoint a WAL that does not belong to the file into it.
pub(crate) fn hold_checkpoints(conn: &Connection, hold: bool) -> rusqlite::Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, hold)?;
    Ok(())
}

/// The check of `scope` on `conn`; a damaged file is `DatabaseDamaged`.
pub(crate) fn check_scope_at_open(
    conn: &Connection,
    path: &Path,
    scope: CheckScope,
) -> Result<OpenCheck> {
    match scope {
        CheckScope::WholeFile { budget } => check_at_open(conn, path, budget),
        CheckScope::BookTables => check_book_tables(conn, path).map(|()| OpenCheck::Sound),
    }
}

/// `PRAGMA quick_check(<table>)` of each of [`BOOK_TABLES`] (the table and its indexes).
fn check_book_tables(conn: &Connection, path: &Path) -> Result<()> {
    let mut found = Vec::new();
    for table in BOOK_TABLES {
        let pragma = format!("quick_check({table})");
        found.extend(problems(conn, &pragma).map_err(|e| classify_open_error(path, e))?);
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(damaged(path, found.join("; ")))
    }
}

/// `PRAGMA quick_check` on `conn`, bounded by `budget`; a damaged file is `DatabaseDamaged`.
pub(crate) fn check_at_open(conn: &Connection, path: &Path, budget: Duration) -> Result<OpenCheck> {
    let started = Instant::now();
    conn.progress_handler(10_000, Some(move || started.elapsed() > budget));
    let outcome = problems(conn, "quick_check");
    conn.progress_handler(10_000, None::<fn() -> bool>);
    match outcome {
        Ok(found) if found.is_empty() => Ok(OpenCheck::Sound),
        Ok(found) => Err(damaged(path, found.join("; "))),
        Err(e) if e.sqlite_error_code() == Some(SqliteCode::OperationInterrupted) => {
            tracing::warn!(
                path = %path.display(),
                budget_ms = budget.as_millis() as u64,
                "the quick check at open stopped after its time budget; run doctor for the full check"
            );
            Ok(OpenCheck::StoppedAfterBudget)
        }
        Err(e) => Err(classify_open_error(path, e)),
    }
}

/// The full `PRAGMA integrity_check` of the file at `path` on a read-only connection of its
/// own, so it also works on a file `Store::open` refused. Empty when sound.
pub fn full_check(path: &Path) -> Result<Vec<String>> {
    check_file(path, "integrity_check")
}

/// The whole file's `PRAGMA quick_check` on a read-only connection of its own, without a time
/// budget: the app's check of everything [`CheckScope::BookTables`] left out, run beside the
/// open store (WAL: it reads one snapshot and blocks no writer). Empty when sound.
pub fn quick_check_file(path: &Path) -> Result<Vec<String>> {
    check_file(path, "quick_check")
}

fn check_file(path: &Path, pragma: &str) -> Result<Vec<String>> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| classify_open_error(path, e))?;
    match problems(&conn, pragma) {
        Ok(found) => Ok(found),
        // The check itself could not read the file: that is its finding.
        Err(e) if is_damage(path, &e) => Ok(vec![e.to_string()]),
        Err(e) => Err(e.into()),
    }
}

/// The rows of an integrity pragma other than "ok".
pub(crate) fn problems(conn: &Connection, pragma: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("PRAGMA {pragma}"))?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .into_iter()
        .filter(|r| r != "ok")
        .take(PROBLEMS_SHOWN)
        .collect())
}

/// An error met while opening or reading `path`: damage of a real database file becomes
/// `DatabaseDamaged`; anything else (a file that never was a database, a permission) stays
/// `DatabaseOpen`.
pub(crate) fn classify_open_error(path: &Path, e: rusqlite::Error) -> CoreError {
    if is_damage(path, &e) {
        return damaged(path, e.to_string());
    }
    CoreError::DatabaseOpen {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn is_damage(path: &Path, e: &rusqlite::Error) -> bool {
    match e.sqlite_error_code() {
        Some(SqliteCode::DatabaseCorrupt) => true,
        // "not a database" for a file that starts as one is a damaged header.
        Some(SqliteCode::NotADatabase) => starts_like_sqlite(path),
        _ => false,
    }
}

fn starts_like_sqlite(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == SQLITE_MAGIC)
}

fn damaged(path: &Path, problem: String) -> CoreError {
    CoreError::DatabaseDamaged {
        path: path.display().to_string(),
        problem,
    }
}

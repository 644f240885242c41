//! One online backup, written so that a file under a backup's name is always a whole,
//! checked copy: SQLite's backup API copies a consistent snapshot into `<name>.partial`
//! (created private from its first byte and locked while written, `partial.rs`), the copy is
//! switched to a single file (rollback journal) and checked — `integrity_check` and the row
//! count of every table against the source's at the same snapshot — and only then renamed
//! into place. On any failure the partial file is removed; one a killed process left is
//! removed at the next open.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::Connection;

use super::file_modes::restrict_file_mode;
use super::integrity;
use super::partial::Partial;
use crate::error::{CoreError, Result};

/// Rows per table, by table name: what a backup holds and what its check compares.
pub type RowCounts = BTreeMap<String, i64>;

/// Copies the database of `source` to `target` (which must not exist yet) and checks the
/// copy. Returns the row counts both agree on.
pub(crate) fn write_verified(source: &Connection, target: &Path) -> Result<RowCounts> {
    write_checked(source, target, &check_copy)
}

/// [`write_verified`] with the check as a parameter, so the clean-up after a failed check is
/// tested.
pub(crate) fn write_checked(
    source: &Connection,
    target: &Path,
    check: &dyn Fn(&Connection) -> Result<RowCounts>,
) -> Result<RowCounts> {
    let partial = Partial::claim(target)?;
    match copy_and_check(source, partial.path(), check) {
        Ok(counts) => {
            partial.finish(target)?;
            restrict_file_mode(target)?;
            Ok(counts)
        }
        Err(e) => {
            partial.discard();
            Err(e)
        }
    }
}

/// The copy into `partial`, then `check` on it. The source is held at one snapshot (a read
/// transaction) for the copy and its counts.
fn copy_and_check(
    source: &Connection,
    partial: &Path,
    check: &dyn Fn(&Connection) -> Result<RowCounts>,
) -> Result<RowCounts> {
    let mut copy = Connection::open(partial)?;
    // The counts are read first: that read starts the snapshot, and the backup step then
    // copies inside the same read transaction (it opens its own only when none is open, and
    // a deferred BEGIN alone opens none).
    source.execute_batch("BEGIN")?;
    let copied = row_counts(source).and_then(|counts| {
        copy_snapshot(source, &mut copy)?;
        Ok(counts)
    });
    source.execute_batch("COMMIT")?;
    let expected = copied?;
    // A backup is one file: no WAL beside it to lose when it is moved or copied.
    copy.pragma_update(None, "journal_mode", "DELETE")?;
    let found = check(&copy)?;
    if found != expected {
        return Err(CoreError::BackupUnverified {
            path: partial.display().to_string(),
            problem: format!("row counts differ from the database: {found:?} vs {expected:?}"),
        });
    }
    Ok(found)
}

fn copy_snapshot(source: &Connection, copy: &mut Connection) -> Result<()> {
    let backup = Backup::new(source, copy)?;
    // All pages in one step: one read of one snapshot.
    match backup.step(-1)? {
        StepResult::Done => Ok(()),
        other => Err(CoreError::BackupUnverified {
            path: String::new(),
            problem: format!("the copy did not finish ({other:?})"),
        }),
    }
}

/// `integrity_check` of the copy, then its counts.
fn check_copy(copy: &Connection) -> Result<RowCounts> {
    let problems = integrity::problems(copy, "integrity_check")?;
    if !problems.is_empty() {
        return Err(CoreError::BackupUnverified {
            path: copy.path().unwrap_or_default().to_string(),
            problem: problems.join("; "),
        });
    }
    row_counts(copy)
}

/// Rows in every table of `conn` (virtual tables included, SQLite's own excluded).
pub fn row_counts(conn: &Connection) -> Result<RowCounts> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut counts = RowCounts::new();
    for table in tables {
        let quoted = table.replace('"', "\"\"");
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{quoted}\""), [], |r| {
            r.get(0)
        })?;
        counts.insert(table, n);
    }
    Ok(counts)
}

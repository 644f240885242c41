//! Online backups taken with SQLite's backup API before a migration touches an existing file.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, MAIN_DB};

use crate::error::Result;
use crate::paths::BACKUP_DIR;

/// How many pre-migration backups are kept; older ones are removed.
pub const BACKUPS_KEPT: usize = 5;

pub(crate) fn backup_before_migration(conn: &Connection, db: &Path, from: i64) -> Result<PathBuf> {
    let dir = backup_dir(db);
    super::create_private_dir(&dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let target = dir.join(format!("backup-{stamp}-schema{from}.sqlite3"));
    conn.backup(MAIN_DB, &target, None)?;
    super::restrict_file_mode(&target)?;
    prune(&dir)?;
    tracing::info!(path = %target.display(), "backup taken before migration");
    Ok(target)
}

pub fn backup_dir(db: &Path) -> PathBuf {
    db.parent().unwrap_or(Path::new(".")).join(BACKUP_DIR)
}

/// Backups of the database at `db`, oldest first.
pub fn list_backups(db: &Path) -> Result<Vec<PathBuf>> {
    backups_in(&backup_dir(db))
}

fn backups_in(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("backup-") && n.ends_with(".sqlite3"))
        })
        .collect();
    // Names carry a fixed-width UTC timestamp, so name order is chronological.
    files.sort();
    Ok(files)
}

/// Keeps the last [`BACKUPS_KEPT`] pre-migration backups (the others have their own
/// retention, `backups.rs`).
fn prune(dir: &Path) -> Result<()> {
    let files: Vec<PathBuf> = backups_in(dir)?
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("-schema"))
        })
        .collect();
    if files.len() > BACKUPS_KEPT {
        for old in &files[..files.len() - BACKUPS_KEPT] {
            std::fs::remove_file(old)?;
        }
    }
    Ok(())
}

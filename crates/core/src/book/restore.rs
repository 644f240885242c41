//! Restoring the book from a backup. Nothing is deleted: the backup is checked first, copied
//! (SQLite's backup API) into a private staging file beside the database and checked again;
//! the current database — damaged or not — is moved aside into `backups/` with its WAL
//! (`set-aside-<stamp>.sqlite3`), after a before-restore backup when it still opens; then the
//! staging file takes its place. Connections the kept files hold and the backup does not,
//! whose keychain entry is still there, are listed (`found.rs`) for the advisor to confirm.
//!
//! The app must not have the database open meanwhile (the CLI opens nothing else).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, MAIN_DB};
use serde::Serialize;

use super::found::{found_in_kept_files, FoundConnection};
use crate::error::{CoreError, ErrorCode, IpcError, Result};
use crate::secrets::SecretStore;
use crate::store::integrity;
use crate::store::verified_copy::{row_counts, RowCounts};
use crate::store::{
    backup_dir, backup_files, create_private_file, BackupKind, Store, LATEST_VERSION,
};

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct Restored {
    pub from: PathBuf,
    /// Where the database that was replaced now is (`None` when there was none).
    pub set_aside: Option<PathBuf>,
    /// The before-restore backup of the replaced database (`None` when it did not open).
    pub backup_before: Option<PathBuf>,
    /// The rows of the restored book, equal to the backup's.
    pub rows: RowCounts,
    pub found_since_backup: Vec<FoundConnection>,
    /// Why the keychain could not be searched (the restore itself is done; search again
    /// once the keychain is unlocked).
    pub found_since_backup_error: Option<IpcError>,
}

/// The newest backup of the database at `db` that passes the full integrity check.
pub fn latest_backup(db: &Path) -> Result<PathBuf> {
    for file in backup_files(db)?.into_iter().rev() {
        if check_backup(&file.path).is_ok() {
            return Ok(file.path);
        }
    }
    Err(CoreError::not_found(
        "sound backup in",
        backup_dir(db).display(),
    ))
}

/// Replaces the database at `db` by the backup `from` (see the module documentation).
pub fn restore(db: &Path, from: &Path, secrets: &dyn SecretStore) -> Result<Restored> {
    let expected = check_backup(from)?;
    let staging = PathBuf::from(format!("{}.restoring", db.display()));
    let staged = stage(from, &staging, &expected);
    if staged.is_err() {
        let _ = std::fs::remove_file(&staging);
    }
    staged?;

    let backup_before = backup_of_current(db)?;
    let set_aside = match set_aside(db) {
        Ok(path) => path,
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            return Err(e);
        }
    };
    if let Err(e) = std::fs::rename(&staging, db) {
        // Put the database back where it was: a failed restore changes nothing.
        if let Some(aside) = &set_aside {
            let _ = move_with_wal(aside, db);
        }
        return Err(e.into());
    }
    tracing::info!(from = %from.display(), "book restored from a backup");

    let store = Store::open(db)?;
    let rows = store.read(row_counts)?;
    let (found_since_backup, found_since_backup_error) =
        match found_in_kept_files(db, &store, secrets) {
            Ok(found) => (found, None),
            Err(e) => (Vec::new(), Some(IpcError::from(&e))),
        };
    Ok(Restored {
        from: from.to_path_buf(),
        set_aside,
        backup_before,
        rows,
        found_since_backup,
        found_since_backup_error,
    })
}

/// The backup is a sound database this version understands; its row counts.
fn check_backup(path: &Path) -> Result<RowCounts> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| integrity::classify_open_error(path, e))?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| integrity::classify_open_error(path, e))?;
    if version > LATEST_VERSION {
        return Err(CoreError::SchemaTooNew {
            found: version,
            supported: LATEST_VERSION,
        });
    }
    let problems = integrity::full_check(path)?;
    if !problems.is_empty() {
        return Err(CoreError::DatabaseDamaged {
            path: path.display().to_string(),
            problem: problems.join("; "),
        });
    }
    row_counts(&conn)
}

/// Copies the backup into a private staging file and checks the copy holds the same rows.
fn stage(from: &Path, staging: &Path, expected: &RowCounts) -> Result<()> {
    let _ = std::fs::remove_file(staging);
    drop(create_private_file(staging)?);
    let mut copy = Connection::open(staging)?;
    copy.restore(MAIN_DB, from, None::<fn(rusqlite::backup::Progress)>)?;
    copy.pragma_update(None, "journal_mode", "DELETE")?;
    let found = row_counts(&copy)?;
    if &found != expected {
        return Err(CoreError::BackupUnverified {
            path: staging.display().to_string(),
            problem: "the staged copy does not hold the backup's rows".into(),
        });
    }
    Ok(())
}

/// A before-restore backup of the current database, if it opens; a damaged one is set aside
/// as it is instead.
fn backup_of_current(db: &Path) -> Result<Option<PathBuf>> {
    if !db.exists() {
        return Ok(None);
    }
    match Store::open(db) {
        Ok(store) => Ok(store
            .take_backup(BackupKind::BeforeRestore)?
            .map(|t| t.file.path)),
        Err(e) if e.code() == ErrorCode::DatabaseDamaged || e.code() == ErrorCode::Database => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Moves the database and its WAL/shared-memory files into `backups/`, never deleting them.
pub(super) fn set_aside(db: &Path) -> Result<Option<PathBuf>> {
    if !db.exists() {
        return Ok(None);
    }
    let dir = backup_dir(db);
    crate::store::create_private_dir(&dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let aside = dir.join(format!("set-aside-{stamp}.sqlite3"));
    move_with_wal(db, &aside)?;
    Ok(Some(aside))
}

fn move_with_wal(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to)?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", from.display()));
        if side.exists() {
            std::fs::rename(&side, format!("{}{suffix}", to.display()))?;
        }
    }
    Ok(())
}

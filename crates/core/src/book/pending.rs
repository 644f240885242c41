//! A restore chosen while the book is open (the app holds the database): it is staged as a
//! marker file in the data folder naming the backup, and applied at the next start before the
//! store opens (`restore`: the backup checked, a before-restore backup of the current book,
//! the current file set aside, never deleted). The outcome is kept for the window to show.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::restore::{latest_backup, restore, Restored};
use crate::error::{CoreError, IpcError, Result};
use crate::secrets::SecretStore;
use crate::store::{backup_files, create_private_file, BackupFile};

/// The marker beside the database naming the backup to restore at the next start.
pub const PENDING_RESTORE_FILE: &str = "restore-pending.json";

#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    /// The backup's file name in `backups/` (never a path: nothing outside that folder).
    backup: String,
}

/// What the restore applied at start did (or why it did not).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct RestoreOutcome {
    /// The backup's file name.
    pub backup: String,
    pub restored: Option<Restored>,
    /// Why nothing was restored (the book is as it was).
    pub error: Option<IpcError>,
}

fn marker_path(db: &Path) -> PathBuf {
    db.with_file_name(PENDING_RESTORE_FILE)
}

/// Stages the restore of `backup`, which must be one of the backups of the database at `db`.
pub fn stage_restore(db: &Path, backup: &Path) -> Result<BackupFile> {
    let listed = backup_files(db)?
        .into_iter()
        .find(|f| f.path == backup)
        .ok_or_else(|| CoreError::not_found("backup", backup.display()))?;
    write_marker(db, &listed)?;
    Ok(listed)
}

/// Stages the restore of the newest backup that passes the full check.
pub fn stage_latest_restore(db: &Path) -> Result<BackupFile> {
    stage_restore(db, &latest_backup(db)?)
}

fn write_marker(db: &Path, backup: &BackupFile) -> Result<()> {
    let name = backup
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CoreError::invalid("a backup's file name is not text"))?;
    let body = serde_json::to_vec(&Marker {
        backup: name.to_string(),
    })
    .map_err(|e| CoreError::invalid(e.to_string()))?;
    let marker = marker_path(db);
    let _ = std::fs::remove_file(&marker);
    let mut file = create_private_file(&marker)?;
    file.write_all(&body)?;
    file.sync_all()?;
    Ok(())
}

/// Whether a restore is staged for the database at `db`.
pub fn restore_pending(db: &Path) -> bool {
    marker_path(db).exists()
}

/// Cancels a staged restore (nothing happens at the next start).
pub fn cancel_pending_restore(db: &Path) -> Result<()> {
    match std::fs::remove_file(marker_path(db)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// Applies the staged restore, if any, before the store opens. The marker is removed whatever
/// the outcome, so a backup that cannot be restored is reported once, not retried forever.
pub fn apply_pending_restore(db: &Path, secrets: &dyn SecretStore) -> Option<RestoreOutcome> {
    let marker = marker_path(db);
    let body = std::fs::read(&marker).ok()?;
    let _ = std::fs::remove_file(&marker);
    let parsed: std::result::Result<Marker, _> = serde_json::from_slice(&body);
    let Ok(Marker { backup }) = parsed else {
        return Some(RestoreOutcome {
            backup: String::new(),
            restored: None,
            error: Some(IpcError::from(&CoreError::invalid(format!(
                "the staged restore in {} could not be read; nothing was restored",
                marker.display()
            )))),
        });
    };
    let outcome = backup_named(db, &backup).and_then(|from| restore(db, &from, secrets));
    Some(match outcome {
        Ok(restored) => RestoreOutcome {
            backup,
            restored: Some(restored),
            error: None,
        },
        Err(e) => RestoreOutcome {
            backup,
            restored: None,
            error: Some(IpcError::from(&e)),
        },
    })
}

/// The listed backup called `name` (a marker never reaches outside `backups/`).
fn backup_named(db: &Path, name: &str) -> Result<PathBuf> {
    backup_files(db)?
        .into_iter()
        .map(|f| f.path)
        .find(|p| p.file_name().and_then(|n| n.to_str()) == Some(name))
        .ok_or_else(|| CoreError::not_found("backup", name))
}

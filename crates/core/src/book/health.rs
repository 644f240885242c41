//! The database's health as the app's recovery screen shows it: still being checked, sound,
//! damaged (with the newest backup that passes the full check, offered for a restore), or
//! not open for another reason (a newer schema, an unreadable folder).

use std::path::Path;

use serde::Serialize;

use super::restore::latest_backup;
use crate::error::{CoreError, ErrorCode, IpcError};
use crate::store::{backup_dir, backup_summaries, integrity, BackupSummary};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// The book's tables passed at open; the whole file is being checked.
    Checking,
    Ok,
    Damaged,
    /// The database did not open for a reason other than damage.
    Unavailable,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct StoreHealth {
    pub state: HealthState,
    /// What the check found, in SQLite's words (damaged or unavailable only).
    pub problem: Option<String>,
    /// The database file.
    #[cfg_attr(feature = "ipc-types", ts(type = "string"))]
    pub database: std::path::PathBuf,
    /// Where a restore keeps the file it replaces (never deleted).
    #[cfg_attr(feature = "ipc-types", ts(type = "string"))]
    pub set_aside_dir: std::path::PathBuf,
    /// The newest backup that passes the full check (damaged only).
    pub newest_backup: Option<BackupSummary>,
}

impl StoreHealth {
    fn new(db: &Path, state: HealthState, problem: Option<String>) -> StoreHealth {
        StoreHealth {
            state,
            problem,
            database: db.to_path_buf(),
            set_aside_dir: backup_dir(db),
            newest_backup: None,
        }
    }

    pub fn checking(db: &Path) -> StoreHealth {
        StoreHealth::new(db, HealthState::Checking, None)
    }

    pub fn ok(db: &Path) -> StoreHealth {
        StoreHealth::new(db, HealthState::Ok, None)
    }

    /// The database at `db` is damaged: `problem`, and the newest sound backup to offer
    /// (each candidate gets the full check, newest first, so this can take a while).
    pub fn damaged(db: &Path, problem: String) -> StoreHealth {
        let mut health = StoreHealth::new(db, HealthState::Damaged, Some(problem));
        health.newest_backup = latest_backup(db).ok().and_then(|path| {
            backup_summaries(db)
                .ok()?
                .into_iter()
                .find(|b| b.file.path == path)
        });
        health
    }

    /// The whole file's `quick_check` of a database the app already has open (it was opened
    /// checking only the book's tables). Damage comes back with the refusal every later use
    /// of the store must answer; a file that cannot be read for another reason is reported,
    /// and the open store stays in use.
    pub fn of_open_file(db: &Path) -> (StoreHealth, Option<CoreError>) {
        let problem = match integrity::quick_check_file(db) {
            Ok(found) if found.is_empty() => return (StoreHealth::ok(db), None),
            Ok(found) => found.join("; "),
            Err(e) if e.code() == ErrorCode::DatabaseDamaged => e.to_string(),
            Err(e) => return (StoreHealth::refused(db, &IpcError::from(&e)), None),
        };
        let refusal = CoreError::DatabaseDamaged {
            path: db.display().to_string(),
            problem: problem.clone(),
        };
        (StoreHealth::damaged(db, problem), Some(refusal))
    }

    /// The health of a database `Store::open` refused with `e`.
    pub fn refused(db: &Path, e: &IpcError) -> StoreHealth {
        if e.code == ErrorCode::DatabaseDamaged.as_str() {
            StoreHealth::damaged(db, e.message.clone())
        } else {
            StoreHealth::new(db, HealthState::Unavailable, Some(e.message.clone()))
        }
    }
}

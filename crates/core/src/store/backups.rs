//! The automatic backups beside the pre-migration ones (`backup.rs`): a daily one, one on
//! demand, one before every client deletion and one before every restore. Each is an online
//! backup checked after writing (`verified_copy.rs`), private like the database, named
//! `backup-<UTC stamp>-<kind>.sqlite3` in `backups/`.
//!
//! Cost, measured on a 633 MB file (4 M rows, two indexes) with the debug CLI: 38.5 s for
//! `advisor-desk-cli backup`, most of it the copy's `integrity_check`; memory stayed at 19 MB.
//! The app takes the daily backup from its own read-only connection, so nothing waits on it.
//!
//! Retention: of the daily and on-demand backups, the newest of each of the last 7 days that
//! have one and the newest of each of the last 4 weeks; of the backups before a deletion and
//! before a restore, the last 5 of each. Pre-migration backups keep their own rule.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use serde::Serialize;

use super::backup::backup_dir;
use super::verified_copy::{self, RowCounts};
use super::{create_private_dir, Store};
use crate::error::{CoreError, Result};

pub const DAILY_KEPT: usize = 7;
pub const WEEKLY_KEPT: usize = 4;
/// Backups before a deletion, and before a restore, kept of each.
pub const EVENT_BACKUPS_KEPT: usize = 5;

const STAMP: &str = "%Y%m%dT%H%M%S%.3fZ";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum BackupKind {
    Daily,
    /// Asked for (`advisor-desk-cli backup`, Settings).
    OnDemand,
    BeforeDeletion,
    BeforeRestore,
    /// Taken by `Store::open` before a migration (`backup.rs`).
    BeforeMigration,
}

impl BackupKind {
    fn file_tag(self) -> &'static str {
        match self {
            BackupKind::Daily => "daily",
            BackupKind::OnDemand => "on-demand",
            BackupKind::BeforeDeletion => "before-deletion",
            BackupKind::BeforeRestore => "before-restore",
            BackupKind::BeforeMigration => "schema",
        }
    }

    fn from_file_tag(tag: &str) -> Option<BackupKind> {
        [
            BackupKind::Daily,
            BackupKind::OnDemand,
            BackupKind::BeforeDeletion,
            BackupKind::BeforeRestore,
        ]
        .into_iter()
        .find(|k| k.file_tag() == tag)
        .or_else(|| {
            tag.strip_prefix("schema")
                .filter(|v| v.parse::<u32>().is_ok())
                .map(|_| BackupKind::BeforeMigration)
        })
    }

    /// Daily and on-demand backups share the daily/weekly rotation.
    fn is_periodic(self) -> bool {
        matches!(self, BackupKind::Daily | BackupKind::OnDemand)
    }
}

/// One backup file, as its name describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct BackupFile {
    pub path: PathBuf,
    pub kind: BackupKind,
    pub taken_at: DateTime<Utc>,
}

/// A backup just written and checked.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct TakenBackup {
    pub file: BackupFile,
    pub rows: RowCounts,
}

/// Every backup of the database at `db` whose name can be read, oldest first.
pub fn backup_files(db: &Path) -> Result<Vec<BackupFile>> {
    let mut files: Vec<BackupFile> = super::list_backups(db)?
        .into_iter()
        .filter_map(|path| {
            parse_name(&path).map(|(kind, taken_at)| BackupFile {
                path,
                kind,
                taken_at,
            })
        })
        .collect();
    files.sort_by_key(|f| f.taken_at);
    Ok(files)
}

/// A backup as the advisor chooses among them: when, what kind, and what it holds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct BackupSummary {
    #[serde(flatten)]
    pub file: BackupFile,
    pub bytes: u64,
    /// `None` when the file cannot be read as a database.
    pub rows: Option<RowCounts>,
}

/// Every backup of the database at `db`, newest first, with its size and row counts (read
/// from the file, read-only).
pub fn backup_summaries(db: &Path) -> Result<Vec<BackupSummary>> {
    let mut out = Vec::new();
    for file in backup_files(db)?.into_iter().rev() {
        let bytes = std::fs::metadata(&file.path).map(|m| m.len()).unwrap_or(0);
        let rows = rusqlite::Connection::open_with_flags(
            &file.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .ok()
        .and_then(|c| verified_copy::row_counts(&c).ok());
        out.push(BackupSummary { file, bytes, rows });
    }
    Ok(out)
}

fn parse_name(path: &Path) -> Option<(BackupKind, DateTime<Utc>)> {
    let name = path.file_name()?.to_str()?;
    let rest = name.strip_prefix("backup-")?.strip_suffix(".sqlite3")?;
    let (stamp, tag) = rest.split_once('-')?;
    let taken = NaiveDateTime::parse_from_str(stamp, STAMP).ok()?.and_utc();
    Some((BackupKind::from_file_tag(tag)?, taken))
}

impl Store {
    /// Takes a checked online backup of kind `kind` now and applies the retention. `None`
    /// for a store without a file (unit tests).
    pub fn take_backup(&self, kind: BackupKind) -> Result<Option<TakenBackup>> {
        self.take_backup_at(kind, Utc::now())
    }

    /// The daily backup, if no daily or on-demand backup was taken on `now`'s (UTC) day.
    pub fn backup_if_due(&self, now: DateTime<Utc>) -> Result<Option<TakenBackup>> {
        let Some(db) = self.path() else {
            return Ok(None);
        };
        let today = now.date_naive();
        let done_today = backup_files(db)?
            .iter()
            .any(|f| f.kind.is_periodic() && f.taken_at.date_naive() == today);
        if done_today {
            return Ok(None);
        }
        self.take_backup_at(BackupKind::Daily, now)
    }

    pub(crate) fn take_backup_at(
        &self,
        kind: BackupKind,
        at: DateTime<Utc>,
    ) -> Result<Option<TakenBackup>> {
        let Some(db) = self.path() else {
            return Ok(None);
        };
        let dir = backup_dir(db);
        create_private_dir(&dir)?;
        super::partial::remove_abandoned(&dir);
        let path = dir.join(format!(
            "backup-{}-{}.sqlite3",
            at.format(STAMP),
            kind.file_tag()
        ));
        if path.exists() {
            return Err(CoreError::invalid(format!(
                "a backup named {} already exists",
                path.display()
            )));
        }
        let Some(source) = self.separate_reader()? else {
            return Ok(None);
        };
        let rows = verified_copy::write_verified(&source, &path)?;
        tracing::info!(path = %path.display(), kind = kind.file_tag(), "backup taken and checked");
        prune(db)?;
        Ok(Some(TakenBackup {
            file: BackupFile {
                path,
                kind,
                taken_at: at,
            },
            rows,
        }))
    }
}

/// Removes the automatic backups the retention no longer keeps.
fn prune(db: &Path) -> Result<()> {
    for old in beyond_retention(&backup_files(db)?) {
        std::fs::remove_file(old)?;
    }
    Ok(())
}

/// The files of `files` (any order) that the retention does not keep.
pub(crate) fn beyond_retention(files: &[BackupFile]) -> Vec<PathBuf> {
    let mut newest_first: Vec<&BackupFile> = files.iter().collect();
    newest_first.sort_by_key(|f| std::cmp::Reverse(f.taken_at));
    let mut keep: Vec<&Path> = Vec::new();

    let periodic: Vec<&BackupFile> = newest_first
        .iter()
        .copied()
        .filter(|f| f.kind.is_periodic())
        .collect();
    keep.extend(newest_per(&periodic, DAILY_KEPT, |f| {
        f.taken_at.date_naive()
    }));
    keep.extend(newest_per(&periodic, WEEKLY_KEPT, |f| {
        let w = f.taken_at.iso_week();
        (w.year(), w.week())
    }));
    for kind in [BackupKind::BeforeDeletion, BackupKind::BeforeRestore] {
        keep.extend(
            newest_first
                .iter()
                .filter(|f| f.kind == kind)
                .take(EVENT_BACKUPS_KEPT)
                .map(|f| f.path.as_path()),
        );
    }
    newest_first
        .into_iter()
        // Pre-migration backups are pruned by their own rule (`backup.rs`).
        .filter(|f| f.kind != BackupKind::BeforeMigration && !keep.contains(&f.path.as_path()))
        .map(|f| f.path.clone())
        .collect()
}

/// The newest file of each of the first `slots` distinct periods (`newest_first` order).
fn newest_per<'a, P: PartialEq>(
    newest_first: &[&'a BackupFile],
    slots: usize,
    period: impl Fn(&BackupFile) -> P,
) -> Vec<&'a Path> {
    let mut seen: Vec<P> = Vec::new();
    let mut kept = Vec::new();
    for f in newest_first {
        let p = period(f);
        if seen.contains(&p) {
            continue;
        }
        if seen.len() == slots {
            break;
        }
        seen.push(p);
        kept.push(f.path.as_path());
    }
    kept
}

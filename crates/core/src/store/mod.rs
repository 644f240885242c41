//! The local SQLite store. One writer connection (all writes are serialised through it) and
//! one reader connection, WAL so readers never wait for a writer. Migrations run when the
//! store is opened; an existing file is backed up before it is migrated.
//!
//! `Store` itself keeps only what is global: opening, migrations, `read`/`write`, backups,
//! the integrity check, the audit log and the installation id. The statements of each table
//! (and of the read models' joins) live in [`queries`]; the domain modules add their entry
//! points as free functions over `&Store` (`clients::add`, `sync::connections::list`,
//! `links::sessions::get`, `settings::get`…), never as methods here.

mod backup;
#[cfg(test)]
mod backup_tests;
pub mod backups;
#[cfg(test)]
mod damage_tests;
mod file_modes;
mod installation;
pub mod integrity;
mod migrations;
mod partial;
#[cfg(test)]
mod tests;
pub mod verified_copy;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub mod audit;
pub mod audit_throttle;
pub mod book_reads;
pub mod queries;
pub mod snapshot_store;
pub use audit::{AuditEntry, NewAuditEntry};
pub use backup::{backup_dir, list_backups, BACKUPS_KEPT};
pub use backups::{
    backup_files, backup_summaries, BackupFile, BackupKind, BackupSummary, TakenBackup,
};
pub use file_modes::{create_private_file, tighten_data_folder};
pub(crate) use installation::fresh_installation_id;
pub use installation::INSTALLATION_SETTING;
pub use integrity::CheckScope;
pub use migrations::{LATEST_VERSION, MIGRATIONS};

use crate::error::{CoreError, Result};

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Store {
    path: Option<PathBuf>,
    writer: Mutex<Connection>,
    reader: Option<Mutex<Connection>>,
    installation: installation::InstallationCell,
    /// Counts floods of one kind of audit entry instead of writing each (`audit_throttle`).
    audit_throttle: audit_throttle::AuditThrottle,
}

impl Store {
    /// Opens (creating if needed) the database file, refuses a newer schema or a damaged
    /// file (`integrity::check_at_open`), backs up and migrates an older one.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_checking(path, CheckScope::default())
    }

    /// [`Store::open`] with the time the check at open may take.
    pub fn open_with_check_budget(path: &Path, check_budget: Duration) -> Result<Store> {
        Store::open_checking(
            path,
            CheckScope::WholeFile {
                budget: check_budget,
            },
        )
    }

    /// [`Store::open`] checking `scope` at open (the app checks the book's tables at open and
    /// the whole file right after, see `integrity`).
    pub fn open_checking(path: &Path, scope: CheckScope) -> Result<Store> {
        if let Some(dir) = path.parent() {
            create_private_dir(dir)?;
        }
        // Files an older build created readable by others are tightened before use.
        tighten_data_folder(path)?;
        // A backup a killed process was writing is never a backup: gone before anything else.
        partial::remove_abandoned(&backup_dir(path));
        let existed = path.exists();
        let mut conn = Connection::open(path).map_err(|e| CoreError::DatabaseOpen {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        // Read the version and check the file before anything writes to it: a newer schema
        // or a damaged file is refused with the file exactly as it was.
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| open_error(path, e))?;
        integrity::hold_checkpoints(&conn, true).map_err(|e| open_error(path, e))?;
        let found = migrations::current_version(&conn)
            .map_err(|e| integrity::classify_open_error(path, e))?;
        if found > LATEST_VERSION {
            return Err(CoreError::SchemaTooNew {
                found,
                supported: LATEST_VERSION,
            });
        }
        if existed {
            integrity::check_scope_at_open(&conn, path, scope)?;
        }
        integrity::hold_checkpoints(&conn, false).map_err(|e| open_error(path, e))?;
        configure(&conn).map_err(|e| open_error(path, e))?;
        restrict_file_mode(path)?;
        if existed && found > 0 && found < LATEST_VERSION {
            backup::backup_before_migration(&conn, path, found)?;
        }
        migrations::migrate_to(&mut conn, LATEST_VERSION)?;

        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        reader.busy_timeout(BUSY_TIMEOUT)?;
        keep_statements(&reader);
        Store {
            path: Some(path.to_path_buf()),
            writer: Mutex::new(conn),
            reader: Some(Mutex::new(reader)),
            installation: Default::default(),
            audit_throttle: Default::default(),
        }
        .recount_left_marked()
    }

    /// A fresh in-memory database, fully migrated. For unit tests.
    pub fn open_in_memory() -> Result<Store> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrations::migrate_to(&mut conn, LATEST_VERSION)?;
        Store {
            path: None,
            writer: Mutex::new(conn),
            reader: None,
            installation: Default::default(),
            audit_throttle: Default::default(),
        }
        .recount_left_marked()
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `f` in an IMMEDIATE transaction on the single writer: it commits if `f` returns
    /// `Ok`, and rolls back otherwise. Before committing (the one place every write passes),
    /// what `f`'s writes made out of date is counted again in the same transaction: the clients
    /// the schema's triggers marked have their `counted_totals` recounted, and the households
    /// whose kept rows the triggers deleted are counted again (`households::counted_rows`).
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock_writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        queries::counted_totals::write::recount_stale(&tx)?;
        crate::households::counted_rows::refresh(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Recounts what a migration (0017 fills the table this way) or a write outside
    /// [`Store::write`] left marked.
    fn recount_left_marked(self) -> Result<Store> {
        self.write(|_| Ok(()))?;
        Ok(self)
    }

    /// Runs `f` on the read connection (one consistent snapshot per statement, or per
    /// transaction if `f` opens one).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        match &self.reader {
            Some(reader) => f(&reader.lock().unwrap_or_else(|p| p.into_inner())),
            None => f(&self.lock_writer()),
        }
    }

    fn lock_writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (the transaction rolls
        // back on drop), so a poisoned lock is safe to keep using.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A read-only connection of its own for a long read of the whole file (a backup, an
    /// export), so the app's reads on the shared reader do not wait for it. `None` without a
    /// file.
    pub(crate) fn separate_reader(&self) -> Result<Option<Connection>> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(Some(conn))
    }

    pub fn schema_version(&self) -> Result<i64> {
        self.read(|c| Ok(migrations::current_version(c)?))
    }

    /// SQLite's own `PRAGMA integrity_check`: "ok" or the list of problems.
    pub fn integrity_check(&self) -> Result<String> {
        self.read(|c| {
            let found = integrity::problems(c, "integrity_check")?;
            Ok(if found.is_empty() {
                "ok".to_string()
            } else {
                found.join("; ")
            })
        })
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    keep_statements(conn);
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

/// Statements the app prepares with `prepare_cached` (a page alone runs a dozen or so, a
/// household page with its `Scope` variants more, and a sync its own). rusqlite keeps 16 by
/// default and evicts the least recently used, so moving between pages and syncs re-prepared
/// the pages' statements every time; room for all of them keeps each prepared once per
/// connection (a prepared statement is a few KiB).
const CACHED_STATEMENTS: usize = 256;

fn keep_statements(conn: &Connection) {
    conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
}

fn open_error(path: &Path, e: rusqlite::Error) -> CoreError {
    CoreError::DatabaseOpen {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

pub(crate) use file_modes::{create_private_dir, restrict_file_mode};

/// The schema version of any connection (`PRAGMA user_version`).
pub(crate) fn migrations_version(conn: &Connection) -> Result<i64> {
    Ok(migrations::current_version(conn)?)
}

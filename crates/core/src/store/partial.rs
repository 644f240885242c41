//! The `.partial` file a backup is written into before it is checked and renamed into place
//! (`verified_copy.rs`), and the clean-up of those a killed process left behind.
//!
//! The writer holds an exclusive advisory lock from before the partial exists until it is
//! renamed or removed. The lock is taken on a small file beside it, `<partial>.lock`, not on
//! the partial itself: on Windows a file lock is mandatory and would refuse SQLite's own
//! writes to the partial. The OS drops the locks of a process that dies, so a partial whose
//! lock can be taken has no writer: [`remove_abandoned`] removes it — at every open of the
//! store and before every backup — with the files SQLite keeps beside it, and leaves a partial
//! that is still being written alone.

use std::collections::BTreeSet;
use std::fs::{File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use super::file_modes::create_private_file;
use crate::error::Result;

const PARTIAL: &str = ".partial";
const LOCK: &str = ".lock";
/// What may sit beside a partial: SQLite's journal, WAL and shared memory while it is written
/// or checked, and its lock.
const BESIDE: [&str; 4] = ["-journal", "-wal", "-shm", LOCK];

/// A partial claimed for writing: its lock is held until this is finished, discarded or
/// dropped.
pub(crate) struct Partial {
    path: PathBuf,
    lock_path: PathBuf,
    /// The open lock file; closing it releases the lock.
    _lock: File,
}

impl Partial {
    /// Claims `<target>.partial`: creates its lock file and locks it, then creates the partial
    /// itself, private from its first byte, for SQLite to write.
    pub(crate) fn claim(target: &Path) -> Result<Partial> {
        let path = PathBuf::from(format!("{}{PARTIAL}", target.display()));
        let lock_path = lock_path_of(&path);
        let lock = create_private_file(&lock_path)?;
        let taken = lock.try_lock();
        // A clean-up that took the lock between its creation and ours has removed it: this
        // name is no longer ours to write.
        if taken.is_err() || !lock_path.exists() {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{} is being cleaned up; try again", path.display()),
            )
            .into());
        }
        let claimed = Partial {
            path,
            lock_path,
            _lock: lock,
        };
        drop(create_private_file(&claimed.path)?);
        Ok(claimed)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the partial to `target`, still locked, so no clean-up sees it half-moved. On
    /// failure the partial is removed.
    pub(crate) fn finish(self, target: &Path) -> io::Result<()> {
        let renamed = std::fs::rename(&self.path, target);
        if renamed.is_err() {
            self.discard();
        }
        renamed
    }

    /// Removes the partial and what SQLite kept beside it: it is never taken for a backup.
    pub(crate) fn discard(self) {
        remove_with_side_files(&self.path);
    }
}

impl Drop for Partial {
    /// The lock file goes while still locked; the lock itself is released when the file
    /// closes, right after.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.lock_path);
    }
}

/// Removes, in the backups folder `dir`, every partial no live process is writing (its lock
/// can be taken, or it has none: a build before locks, or a lock file the writer's death left
/// alone) with its side files. Returns how many were removed. Best effort: a file that cannot
/// be inspected or removed is left for the next time.
pub(crate) fn remove_abandoned(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let partials: BTreeSet<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| partial_named_by(&e.file_name().to_string_lossy()).map(|n| dir.join(n)))
        .collect();
    let mut removed = 0;
    for partial in partials {
        match File::open(lock_path_of(&partial)) {
            Ok(lock) => match lock.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => continue,
                Err(TryLockError::Error(e)) => {
                    tracing::warn!(path = %partial.display(), error = %e, "partial backup: lock not readable; left");
                    continue;
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %partial.display(), error = %e, "partial backup: lock not readable; left");
                continue;
            }
        }
        // Held (or never locked): no process is writing it. The lock file goes last.
        remove_with_side_files(&partial);
        tracing::info!(path = %partial.display(), "removed a partial backup a stopped process left");
        removed += 1;
    }
    removed
}

/// The partial a file in the backups folder belongs to (its own name or a side file's), by
/// name.
fn partial_named_by(name: &str) -> Option<&str> {
    let end = name.rfind(PARTIAL)? + PARTIAL.len();
    let rest = &name[end..];
    (rest.is_empty() || BESIDE.contains(&rest)).then_some(&name[..end])
}

fn lock_path_of(partial: &Path) -> PathBuf {
    PathBuf::from(format!("{}{LOCK}", partial.display()))
}

/// Removes `partial`, then SQLite's files beside it, then its lock file; files already gone
/// are fine.
fn remove_with_side_files(partial: &Path) {
    let _ = std::fs::remove_file(partial);
    for side in BESIDE {
        let _ = std::fs::remove_file(format!("{}{side}", partial.display()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_is_named_by_itself_and_its_side_files_only() {
        let base = "backup-20260301T080000.000Z-daily.sqlite3.partial";
        for name in [
            base.to_string(),
            format!("{base}-journal"),
            format!("{base}-wal"),
            format!("{base}-shm"),
            format!("{base}.lock"),
        ] {
            assert_eq!(partial_named_by(&name), Some(base), "{name}");
        }
        for name in [
            "backup-20260301T080000.000Z-daily.sqlite3",
            "backup-20260301T080000.000Z-daily.sqlite3.partial.bak",
            "notes.txt",
        ] {
            assert_eq!(partial_named_by(name), None, "{name}");
        }
    }

    #[test]
    fn a_claimed_partial_is_kept_from_clean_up_until_finished() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("backup-x.sqlite3");
        let partial = Partial::claim(&target).unwrap();
        std::fs::write(partial.path(), b"pages").unwrap();
        assert_eq!(remove_abandoned(dir.path()), 0, "its writer holds it");
        assert!(partial.path().exists());
        partial.finish(&target).unwrap();
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            left,
            ["backup-x.sqlite3"],
            "the lock file went with the claim"
        );
    }

    #[test]
    fn a_discarded_partial_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let partial = Partial::claim(&dir.path().join("backup-y.sqlite3")).unwrap();
        std::fs::write(format!("{}-journal", partial.path().display()), b"j").unwrap();
        partial.discard();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

//! File privacy: everything in the data folder holds client data, so it is readable by the
//! advisor's account only — folders `0700`, files `0600`. New files are created that way, and
//! at every open the files an older build left readable by others are tightened.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::Result;
use crate::paths::BACKUP_DIR;
use crate::reads::export::EXPORTS_DIR;

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // Never follow a link planted in the folder: only real files and folders are changed.
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_symlink() => {
            if meta.permissions().mode() & 0o777 != mode {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
            }
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<()> {
    // Windows: the data folder is under the user's profile, whose ACL is the user's own.
    Ok(())
}

/// Creates `dir` (and its parents) and makes it private.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o700)
}

/// Makes an existing file private (the database, a backup, an export).
pub(crate) fn restrict_file_mode(path: &Path) -> Result<()> {
    set_mode(path, 0o600)
}

/// A new file that no one else can read from the first byte (`create_new`: never replaces a
/// file that is already there).
pub fn create_private_file(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// The database at `db`, its WAL and shared-memory files, and the `backups/` and `exports/`
/// folders beside it with every file in them: folders `0700`, files `0600`.
pub fn tighten_data_folder(db: &Path) -> Result<()> {
    let dir = db.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        set_mode(dir, 0o700)?;
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        restrict_file_mode(Path::new(&format!("{}{suffix}", db.display())))?;
    }
    let Some(dir) = dir else { return Ok(()) };
    for sub in [BACKUP_DIR, EXPORTS_DIR] {
        let sub = dir.join(sub);
        if !sub.is_dir() || sub.is_symlink() {
            continue;
        }
        set_mode(&sub, 0o700)?;
        for entry in std::fs::read_dir(&sub)? {
            let path = entry?.path();
            if path.is_file() {
                restrict_file_mode(&path)?;
            }
        }
    }
    Ok(())
}

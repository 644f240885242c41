//! Which mode this desktop is in, kept beside the solo book: `firm-mode.json` in the data folder
//! holds the `FirmSettings` (no secret — the password and keys are in the keychain) while in firm
//! mode; no file is solo mode. A file rather than a row of the solo database, so that choosing
//! or leaving firm mode never writes to the solo book.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use advisor_desk_core::firm::FirmSettings;
use advisor_desk_core::store::create_private_file;

const FILE: &str = "firm-mode.json";

#[derive(Debug, thiserror::Error)]
pub enum SavedModeError {
    #[error("the firm mode file {path} cannot be read or written: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the firm mode file {path} is not valid ({detail}); leave firm mode and join again")]
    Invalid { path: String, detail: String },
}

impl SavedModeError {
    pub fn code(&self) -> &'static str {
        match self {
            SavedModeError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::StorageFull =>
            {
                "disk_full"
            }
            SavedModeError::Io { .. } => "io",
            SavedModeError::Invalid { .. } => "firm_settings_invalid",
        }
    }
}

impl From<&SavedModeError> for advisor_desk_core::IpcError {
    fn from(e: &SavedModeError) -> Self {
        advisor_desk_core::IpcError {
            code: e.code().into(),
            message: e.to_string(),
        }
    }
}

fn file(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The saved firm settings, or `None` in solo mode.
pub fn load(data_dir: &Path) -> Result<Option<FirmSettings>, SavedModeError> {
    let path = file(data_dir);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(io(&path, source)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| SavedModeError::Invalid {
            path: path.display().to_string(),
            detail: e.to_string(),
        })
}

/// Saves firm mode: written whole to a private file beside, then renamed over the old one.
pub fn save(data_dir: &Path, settings: &FirmSettings) -> Result<(), SavedModeError> {
    let path = file(data_dir);
    let partial = data_dir.join(format!("{FILE}.partial"));
    let _ = fs::remove_file(&partial);
    let json = serde_json::to_vec_pretty(settings).expect("FirmSettings serialise");
    let written = create_private_file(&partial).and_then(|mut f| {
        f.write_all(&json)?;
        f.sync_all()
    });
    written
        .and_then(|()| fs::rename(&partial, &path))
        .map_err(|source| {
            let _ = fs::remove_file(&partial);
            io(&path, source)
        })
}

/// Back to solo mode. Solo already is fine.
pub fn forget(data_dir: &Path) -> Result<(), SavedModeError> {
    let path = file(data_dir);
    match fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&path, e)),
        _ => Ok(()),
    }
}

fn io(path: &Path, source: std::io::Error) -> SavedModeError {
    SavedModeError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use advisor_desk_core::firm::{DatabaseSettings, FirmId, SslMode};

    fn settings() -> FirmSettings {
        FirmSettings {
            firm: FirmId::new("ruiz").unwrap(),
            firm_name: "Ruiz & Partners".into(),
            database: DatabaseSettings {
                host: "db.ruiz.example".into(),
                port: 5432,
                dbname: "book".into(),
                sslmode: SslMode::Require,
                ca_certificate_pem: None,
            },
            role: "book_ana".into(),
            key_versions: vec![1, 2],
        }
    }

    #[test]
    fn firm_mode_is_saved_read_back_and_forgotten() {
        let folder = tempfile::tempdir().unwrap();
        assert_eq!(load(folder.path()).unwrap(), None);
        save(folder.path(), &settings()).unwrap();
        assert_eq!(load(folder.path()).unwrap(), Some(settings()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(file(folder.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let mut other = settings();
        other.firm_name = "Ruiz Partners SL".into();
        save(folder.path(), &other).unwrap();
        assert_eq!(load(folder.path()).unwrap(), Some(other));
        forget(folder.path()).unwrap();
        forget(folder.path()).unwrap();
        assert_eq!(load(folder.path()).unwrap(), None);
    }

    #[test]
    fn a_damaged_file_is_refused_with_its_path_and_left_alone() {
        let folder = tempfile::tempdir().unwrap();
        fs::write(file(folder.path()), "{not json").unwrap();
        let refused = load(folder.path()).unwrap_err();
        assert_eq!(refused.code(), "firm_settings_invalid");
        assert!(file(folder.path()).exists());
    }
}

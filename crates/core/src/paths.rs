//! Where the advisor's data lives. The platform convention by default
//! (`~/.local/share/app.advisordesk.desktop` on Linux, `~/Library/Application Support/…` on
//! macOS, `%APPDATA%\…` on Windows); `ADVISOR_DESK_DATA_DIR` overrides it so tests and demos
//! never touch a real advisor's data.

use std::path::PathBuf;

pub const APP_IDENTIFIER: &str = "app.advisordesk.desktop";
pub const DATA_DIR_ENV: &str = "ADVISOR_DESK_DATA_DIR";
pub const DATABASE_FILE: &str = "advisor-desk.sqlite3";
pub const BACKUP_DIR: &str = "backups";

pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(APP_IDENTIFIER)
}

pub fn database_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join(DATABASE_FILE)
}

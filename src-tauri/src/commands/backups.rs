//! Backups commands: the list (also when the database did not open, for the recovery
//! screen), a backup now, and the restore the recovery screen offers. A restore from the
//! window is offered only while the database is refused as damaged — nothing has it open
//! then; the app restarts afterwards to open the restored book.

use advisor_desk_core::book::{self, Restored};
use advisor_desk_core::store::{backup_summaries, BackupKind, BackupSummary, TakenBackup};
use advisor_desk_core::{paths, CoreError, ErrorCode};
use tauri::{AppHandle, State};

use crate::error::CommandError;
use crate::state::AppState;

pub fn list_backups_in(state: &AppState) -> Result<Vec<BackupSummary>, CommandError> {
    Ok(backup_summaries(&paths::database_path(state.data_dir()))?)
}

pub fn take_backup_in(state: &AppState) -> Result<TakenBackup, CommandError> {
    state
        .store()?
        .take_backup(BackupKind::OnDemand)?
        .ok_or_else(|| CoreError::invalid("this book has no file to back up").into())
}

/// Restores the newest sound backup, only while the database is refused as damaged.
pub fn restore_latest_backup_in(state: &AppState) -> Result<Restored, CommandError> {
    match state.store() {
        Err(e) if e.0.code == ErrorCode::DatabaseDamaged.as_str() => {}
        _ => {
            return Err(CoreError::invalid(
                "restoring from the window is offered when the database is damaged; otherwise \
                 close the app and run advisor-desk-cli restore",
            )
            .into())
        }
    }
    let db = paths::database_path(state.data_dir());
    let latest = book::latest_backup(&db)?;
    Ok(book::restore(&db, &latest, state.secrets())?)
}

#[tauri::command]
pub async fn list_backups(state: State<'_, AppState>) -> Result<Vec<BackupSummary>, CommandError> {
    list_backups_in(&state)
}

#[tauri::command]
pub async fn take_backup(state: State<'_, AppState>) -> Result<TakenBackup, CommandError> {
    take_backup_in(&state)
}

#[tauri::command]
pub async fn restore_latest_backup(state: State<'_, AppState>) -> Result<Restored, CommandError> {
    restore_latest_backup_in(&state)
}

/// Restarts the app so it opens the restored book.
#[tauri::command]
pub async fn restart_app(app: AppHandle) {
    app.restart();
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, SeekFrom, Write};
    use std::sync::Arc;

    use advisor_desk_core::clients::NewClient;
    use advisor_desk_core::secrets::MemorySecretStore;
    use advisor_desk_core::Store;

    use super::*;

    fn garble_first_clients_page(db: &std::path::Path) {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        let page: i64 = conn
            .query_row(
                "SELECT pageno FROM dbstat WHERE name = 'clients' LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        drop(conn);
        let mut f = std::fs::OpenOptions::new().write(true).open(db).unwrap();
        f.seek(SeekFrom::Start(((page - 1) * 4096) as u64)).unwrap();
        f.write_all(&[0xA5; 4096]).unwrap();
    }

    #[test]
    fn a_damaged_book_is_listed_restored_and_opens_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = paths::database_path(dir.path());
        let secrets = Arc::new(MemorySecretStore::new());
        {
            let state = AppState::open_with_secrets(dir.path(), secrets.clone());
            let store = state.store().unwrap();
            advisor_desk_core::clients::add(
                store,
                &NewClient {
                    name: "Ana Ruiz".into(),
                    ..Default::default()
                },
                "t",
            )
            .unwrap();
            let taken = take_backup_in(&state).unwrap();
            assert_eq!(taken.rows["clients"], 1);
            assert!(
                restore_latest_backup_in(&state).is_err(),
                "no restore under an open book"
            );
        }
        garble_first_clients_page(&db);

        let state = AppState::open_with_secrets(dir.path(), secrets.clone());
        assert_eq!(state.store().err().unwrap().0.code, "database_damaged");
        let listed = list_backups_in(&state).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].rows.as_ref().unwrap()["clients"], 1);
        let restored = restore_latest_backup_in(&state).unwrap();
        assert_eq!(restored.rows["clients"], 1);
        assert!(restored.set_aside.unwrap().exists());
        drop(state);

        let reopened = Store::open(&db).unwrap();
        assert_eq!(
            advisor_desk_core::clients::list(&reopened, true).unwrap()[0].name,
            "Ana Ruiz"
        );
    }
}

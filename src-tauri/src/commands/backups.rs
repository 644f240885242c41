//! Backups and recovery commands: the database's health (the recovery screen; the first call
//! starts the check of the whole file, see `AppState::check_health`), the list of backups
//! (also when the database did not open), a backup now, a restore staged for the next start
//! (the newest sound backup, or one the advisor picked; the app restarts to apply it, since it
//! holds the database open), what that restore did, and re-attaching the connections it found
//! again.

use std::path::PathBuf;

use advisor_desk_core::book::{self, RestoreOutcome, StoreHealth};
use advisor_desk_core::store::{
    backup_summaries, BackupFile, BackupKind, BackupSummary, TakenBackup,
};
use advisor_desk_core::{paths, CoreError};
use tauri::{AppHandle, Emitter, Manager, State};

use super::args::{Arg, Id};
use super::ACTOR;
use crate::error::CommandError;
use crate::state::AppState;

/// The event the window hears when the database's health changes.
pub const STORE_HEALTH_EVENT: &str = "store-health";

pub fn list_backups_in(state: &AppState) -> Result<Vec<BackupSummary>, CommandError> {
    Ok(backup_summaries(&paths::database_path(state.data_dir()))?)
}

pub fn take_backup_in(state: &AppState) -> Result<TakenBackup, CommandError> {
    state
        .store()?
        .take_backup(BackupKind::OnDemand)?
        .ok_or_else(|| CoreError::invalid("this book has no file to back up").into())
}

/// Stages the newest sound backup for the next start.
pub fn restore_latest_backup_in(state: &AppState) -> Result<BackupFile, CommandError> {
    Ok(book::stage_latest_restore(&paths::database_path(
        state.data_dir(),
    ))?)
}

/// Stages the listed backup at `path` for the next start.
pub fn restore_backup_in(state: &AppState, path: &str) -> Result<BackupFile, CommandError> {
    let db = paths::database_path(state.data_dir());
    Ok(book::stage_restore(&db, &PathBuf::from(path))?)
}

/// Re-attaches a connection the last restore found again (named by its token's hash, never
/// its token) to `client_id`.
pub fn reattach_found_in(
    state: &AppState,
    token_hash: &str,
    client_id: i64,
) -> Result<i64, CommandError> {
    let found = state
        .last_restore()
        .and_then(|o| o.restored.as_ref())
        .and_then(|r| {
            r.found_since_backup
                .iter()
                .find(|f| f.token_hash == token_hash)
        })
        .ok_or_else(|| CoreError::not_found("connection found by the last restore", token_hash))?;
    Ok(book::reattach_found(
        state.store()?,
        state.secrets(),
        found,
        client_id,
        ACTOR,
    )?)
}

/// The health as last checked; the first call starts the check of the whole file on a
/// thread of its own and announces its verdict with [`STORE_HEALTH_EVENT`].
#[tauri::command]
pub async fn store_health(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<StoreHealth, CommandError> {
    start_health_check(&app);
    Ok(state.health())
}

/// Starts the check of the whole file, once per run (the window asks once the book is painted;
/// the shell's timer makes sure it runs even if the window never asks).
pub fn start_health_check(app: &AppHandle) {
    if !app.state::<AppState>().claim_health_check() {
        return;
    }
    let app = app.clone();
    std::thread::spawn(move || {
        let health = app.state::<AppState>().check_health();
        let _ = app.emit(STORE_HEALTH_EVENT, &health);
    });
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
pub async fn restore_latest_backup(state: State<'_, AppState>) -> Result<BackupFile, CommandError> {
    restore_latest_backup_in(&state)
}

#[tauri::command]
pub async fn restore_backup(
    state: State<'_, AppState>,
    path: Arg<String>,
) -> Result<BackupFile, CommandError> {
    restore_backup_in(&state, &path.0)
}

#[tauri::command]
pub async fn last_restore(
    state: State<'_, AppState>,
) -> Result<Option<RestoreOutcome>, CommandError> {
    Ok(state.last_restore().cloned())
}

#[tauri::command]
pub async fn reattach_found_connection(
    state: State<'_, AppState>,
    token_hash: Arg<String>,
    client_id: Id,
) -> Result<i64, CommandError> {
    reattach_found_in(&state, &token_hash.0, client_id.0)
}

/// Restarts the app so it applies a staged restore and opens the restored book.
#[tauri::command]
pub async fn restart_app(app: AppHandle) {
    app.restart();
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, SeekFrom, Write};
    use std::path::Path;
    use std::sync::Arc;

    use advisor_desk_core::book::HealthState;
    use advisor_desk_core::clients::NewClient;
    use advisor_desk_core::domain::Provider;
    use advisor_desk_core::secrets::{MemorySecretStore, Secret};
    use advisor_desk_core::sync::connections::NewConnection;

    use super::*;

    fn garble_first_page_of(db: &Path, table: &str) {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        let page: i64 = conn
            .query_row(
                "SELECT pageno FROM dbstat WHERE name = ?1 AND pagetype = 'leaf' LIMIT 1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        drop(conn);
        let mut f = std::fs::OpenOptions::new().write(true).open(db).unwrap();
        f.seek(SeekFrom::Start(((page - 1) * 4096) as u64)).unwrap();
        f.write_all(&[0xA5; 4096]).unwrap();
    }

    fn add_client(state: &AppState, name: &str) -> i64 {
        advisor_desk_core::clients::add(
            state.store().unwrap(),
            &NewClient {
                name: name.into(),
                ..Default::default()
            },
            "t",
        )
        .unwrap()
        .id
    }

    /// Cached provider data: rates pages enough to have leaves of their own.
    fn cache_rates(db: &Path) {
        let conn = rusqlite::Connection::open(db).unwrap();
        for day in 0..400 {
            conn.execute(
                "INSERT INTO reference_rates (source, currency, rate_date, rate, fetched_at)
                 VALUES ('ecb', 'USD', date('2024-01-01', ?1 || ' days'), '1.0842', '2026-01-01')",
                [day],
            )
            .unwrap();
        }
    }

    #[test]
    fn a_damaged_book_is_listed_restored_at_the_next_start_and_opens_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = paths::database_path(dir.path());
        let secrets = Arc::new(MemorySecretStore::new());
        {
            let state = AppState::open_with_secrets(dir.path(), secrets.clone());
            add_client(&state, "Ana Ruiz");
            let taken = take_backup_in(&state).unwrap();
            assert_eq!(taken.rows["clients"], 1);
            assert_eq!(state.check_health().state, HealthState::Ok);
        }
        garble_first_page_of(&db, "clients");

        let state = AppState::open_with_secrets(dir.path(), secrets.clone());
        assert_eq!(state.store().err().unwrap().0.code, "database_damaged");
        let health = state.check_health();
        assert_eq!(health.state, HealthState::Damaged);
        assert_eq!(health.newest_backup.unwrap().rows.unwrap()["clients"], 1);
        let listed = list_backups_in(&state).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].rows.as_ref().unwrap()["clients"], 1);
        let staged = restore_latest_backup_in(&state).unwrap();
        assert_eq!(staged.path, listed[0].file.path);
        drop(state);

        // The restart applies it before the store opens.
        let state = AppState::open_with_secrets(dir.path(), secrets.clone());
        let outcome = state.last_restore().unwrap();
        let restored = outcome.restored.as_ref().unwrap();
        assert_eq!(restored.rows["clients"], 1);
        assert!(restored.set_aside.as_ref().unwrap().exists());
        assert_eq!(state.check_health().state, HealthState::Ok);
        assert_eq!(
            advisor_desk_core::clients::list(state.store().unwrap(), true).unwrap()[0].name,
            "Ana Ruiz"
        );
    }

    #[test]
    fn damage_in_cached_data_found_after_start_closes_the_book_until_restored() {
        let dir = tempfile::tempdir().unwrap();
        let db = paths::database_path(dir.path());
        let secrets = Arc::new(MemorySecretStore::new());
        {
            let state = AppState::open_with_secrets(dir.path(), secrets.clone());
            add_client(&state, "Ana Ruiz");
            cache_rates(&db);
            take_backup_in(&state).unwrap();
        }
        garble_first_page_of(&db, "reference_rates");

        // The book's tables are sound: the store opens and answers…
        let state = AppState::open_with_secrets(dir.path(), secrets.clone());
        assert_eq!(state.health().state, HealthState::Checking);
        assert!(state.store().is_ok());
        // …until the check after start finds the damaged page: then it refuses.
        let health = state.check_health();
        assert_eq!(health.state, HealthState::Damaged, "{:?}", health.problem);
        assert!(health.newest_backup.is_some());
        assert_eq!(state.store().err().unwrap().0.code, "database_damaged");
        assert_eq!(
            take_backup_in(&state).unwrap_err().0.code,
            "database_damaged"
        );
        restore_latest_backup_in(&state).unwrap();
        drop(state);

        let state = AppState::open_with_secrets(dir.path(), secrets.clone());
        let restored = state.last_restore().unwrap().restored.as_ref().unwrap();
        assert_eq!(restored.rows["reference_rates"], 400);
        assert!(
            restored.backup_before.is_none(),
            "a damaged book is set aside as it is"
        );
        assert_eq!(state.check_health().state, HealthState::Ok);
    }

    #[test]
    fn a_chosen_backup_is_restored_and_what_came_after_it_is_offered_again() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemorySecretStore::new());
        let backup = {
            let state = AppState::open_with_secrets(dir.path(), secrets.clone());
            add_client(&state, "Ana Ruiz");
            let taken = take_backup_in(&state).unwrap();
            // After the backup: a client and a connection.
            let eva = add_client(&state, "Eva Martín");
            advisor_desk_core::sync::connections::add(
                state.store().unwrap(),
                &NewConnection {
                    client_id: eva,
                    provider: Provider::Flanks,
                    flow: "flanks_link".into(),
                    institution_id: Some("caixabank".into()),
                    institution_name: Some("CaixaBank".into()),
                },
                &Secret::new("ct-eva-after"),
                secrets.as_ref(),
                "t",
            )
            .unwrap();
            assert_eq!(
                restore_backup_in(&state, "/etc/passwd").unwrap_err().0.code,
                "not_found"
            );
            restore_backup_in(&state, taken.file.path.to_str().unwrap()).unwrap();
            taken.file.path
        };

        let state = AppState::open_with_secrets(dir.path(), secrets.clone());
        let outcome = state.last_restore().unwrap().clone();
        assert_eq!(
            outcome.backup,
            backup.file_name().unwrap().to_str().unwrap()
        );
        let restored = outcome.restored.unwrap();
        assert_eq!(restored.rows["clients"], 1);
        assert!(
            restored.backup_before.is_some(),
            "the healthy book was backed up first"
        );
        let found = &restored.found_since_backup[0];
        assert_eq!(found.former_client_name.as_deref(), Some("Eva Martín"));
        assert!(!serde_json::to_string(&restored)
            .unwrap()
            .contains("ct-eva-after"));

        let ana = advisor_desk_core::clients::list(state.store().unwrap(), true).unwrap()[0].id;
        assert_eq!(
            reattach_found_in(&state, "0000", ana).unwrap_err().0.code,
            "not_found"
        );
        let id = reattach_found_in(&state, &found.token_hash, ana).unwrap();
        let connection =
            advisor_desk_core::sync::connections::get(state.store().unwrap(), id).unwrap();
        assert_eq!(connection.client_id, ana);
    }
}

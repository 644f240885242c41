//! Sync wiring: runs the core's engine for a connection, a client or the whole book, sends
//! progress to the main window, and refreshes every due connection once a day.

use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::sync::{SyncProgress, SyncSummary};
use advisor_desk_core::{time, CoreError};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager};

use crate::error::CommandError;
use crate::state::AppState;

pub const PROGRESS_EVENT: &str = "sync://progress";
pub const FINISHED_EVENT: &str = "sync://finished";
/// Setting: when the last scheduled refresh started (RFC 3339).
pub const LAST_SCHEDULED_SETTING: &str = "sync.last_scheduled_at";
const DAILY: chrono::Duration = chrono::Duration::hours(24);

/// What to sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum SyncScope {
    Connection(i64),
    Client(i64),
    All,
}

/// The end of a sync, for the main window (its toast).
#[derive(Debug, Clone, Serialize)]
pub struct SyncFinished {
    pub trigger: String,
    #[serde(flatten)]
    pub summary: SyncSummary,
}

/// The connection ids a scope covers.
pub fn scope_ids(state: &AppState, scope: SyncScope) -> Result<Vec<i64>, CommandError> {
    let store = state.store()?;
    let removed = |s: &advisor_desk_core::domain::ConnectionStatus| s.as_str() == "removed";
    Ok(match scope {
        SyncScope::Connection(id) => vec![store.connection(id)?.id],
        SyncScope::Client(id) => {
            store.client(id)?;
            store
                .connections(Some(id))?
                .into_iter()
                .filter(|c| !removed(&c.status))
                .map(|c| c.id)
                .collect()
        }
        SyncScope::All => store
            .connections(None)?
            .into_iter()
            .filter(|c| !removed(&c.status))
            .map(|c| c.id)
            .collect(),
    })
}

/// Runs one sync of `ids` (one at a time app-wide), with progress events to the main window.
pub async fn run_sync(
    app: &AppHandle,
    ids: Vec<i64>,
    trigger: &str,
) -> Result<SyncSummary, CommandError> {
    let state = app.state::<AppState>();
    let engine = state.engine(trigger)?;
    let Some(cancel) = state.begin_sync() else {
        return Err(
            CoreError::invalid("a sync is already running; wait for it or cancel it").into(),
        );
    };
    let progress_app = app.clone();
    let progress = Arc::new(move |p: SyncProgress| {
        let _ = progress_app.emit_to("main", PROGRESS_EVENT, p);
    });
    let summary = engine.sync_many(ids, progress, cancel).await;
    state.end_sync();
    let _ = app.emit_to(
        "main",
        FINISHED_EVENT,
        SyncFinished {
            trigger: trigger.into(),
            summary: summary.clone(),
        },
    );
    Ok(summary)
}

/// Whether the daily refresh is due: never ran, or ran more than a day ago.
pub fn daily_refresh_due(state: &AppState, now: time::Timestamp) -> Result<bool, CommandError> {
    let last = state.store()?.setting(LAST_SCHEDULED_SETTING)?;
    Ok(last
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .is_none_or(|at| now - at.with_timezone(&chrono::Utc) >= DAILY))
}

/// Checks every `every` whether the daily refresh is due and runs it with the same engine.
pub fn spawn_daily_refresh(app: AppHandle, first_check: Duration, every: Duration) {
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(first_check).await;
        loop {
            let state = app.state::<AppState>();
            let now = time::now();
            if matches!(daily_refresh_due(&state, now), Ok(true)) {
                let due = state
                    .engine("schedule")
                    .and_then(|e| e.due_connections(now).map_err(CommandError::from));
                if let Ok(ids) = due {
                    if let Ok(store) = state.store() {
                        let _ = store.set_setting(LAST_SCHEDULED_SETTING, &now.to_rfc3339());
                    }
                    if !ids.is_empty() {
                        if let Err(e) = run_sync(&app, ids, "schedule").await {
                            eprintln!("advisor-desk: daily refresh: {}", e.0.message);
                        }
                    }
                }
            }
            tokio::time::sleep(every).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use advisor_desk_core::Store;

    #[test]
    fn the_daily_refresh_is_due_once_a_day() {
        let state = AppState::from_store(Store::open_in_memory().unwrap());
        let now = time::now();
        assert!(daily_refresh_due(&state, now).unwrap());
        state
            .store()
            .unwrap()
            .set_setting(LAST_SCHEDULED_SETTING, &now.to_rfc3339())
            .unwrap();
        assert!(!daily_refresh_due(&state, now + chrono::Duration::hours(23)).unwrap());
        assert!(daily_refresh_due(&state, now + chrono::Duration::hours(24)).unwrap());
    }

    #[test]
    fn scopes_deserialise_from_the_ui_payload() {
        let s: SyncScope =
            serde_json::from_value(serde_json::json!({"kind": "client", "id": 3})).unwrap();
        assert_eq!(s, SyncScope::Client(3));
        let s: SyncScope = serde_json::from_value(serde_json::json!({"kind": "all"})).unwrap();
        assert_eq!(s, SyncScope::All);
    }
}

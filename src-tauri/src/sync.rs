//! Sync wiring: runs the core's engine for a connection, a client or the whole book, sends
//! progress to the main window, and refreshes every due connection once a day (what a scope
//! covers and when the refresh is due are decided in `advisor_desk_core::sync::schedule`).

use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::sync::{run_report, RunReport, SyncProgress, SyncSummary};
use advisor_desk_core::{time, CoreError};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

use crate::error::CommandError;
use crate::state::{AppState, SyncSlot};
use advisor_desk_core::sync::schedule;

pub const PROGRESS_EVENT: &str = "sync://progress";
pub const FINISHED_EVENT: &str = "sync://finished";
/// The trigger of a sync the advisor asked for (a click).
pub const MANUAL: &str = "manual";

/// The end of a sync, for the main window: the counts and what needs whom.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SyncFinished {
    pub trigger: String,
    #[serde(flatten)]
    pub summary: SyncSummary,
    /// Who must act on what, by client and institution (None when the store could not be
    /// read after the sync).
    pub report: Option<RunReport>,
}

/// Runs one sync of `ids`, with progress events to the main window. One at a time app-wide:
/// a request while a sync runs joins it and gets its summary when that sync covers all its
/// connections (a second click on "Update all"), else runs once that sync has ended.
pub async fn run_sync(
    app: &AppHandle,
    ids: Vec<i64>,
    trigger: &str,
) -> Result<SyncSummary, CommandError> {
    let state = app.state::<AppState>();
    let engine = state.engine(trigger)?;
    let cancel = loop {
        match state.begin_sync(&ids, trigger == MANUAL) {
            SyncSlot::Started(cancel) => break cancel,
            SyncSlot::Covered(end) => return end_of(end).await,
            // Never lose a request: what the running sync does not cover runs after it.
            SyncSlot::Busy(end) => {
                end_of(end).await?;
            }
        }
    };
    let progress_app = app.clone();
    let progress = Arc::new(move |p: SyncProgress| {
        let _ = progress_app.emit_to("main", PROGRESS_EVENT, p);
    });
    let summary = engine.sync_many(ids, progress, cancel).await;
    // A scheduled refresh the advisor's "Update all" joined ends as theirs: the summary in the
    // window instead of a desktop notification.
    let trigger = if state.end_sync(&summary) {
        MANUAL
    } else {
        trigger
    };
    let report = state
        .store()
        .ok()
        .and_then(|store| run_report(store, &summary).ok());
    // Told when something breaks: only an update the advisor did not start themself.
    if trigger == "schedule" {
        if let (Some(report), Ok(store)) = (&report, state.store()) {
            crate::notify::alert_if_news(app, store, report);
        }
    }
    let _ = app.emit_to(
        "main",
        FINISHED_EVENT,
        SyncFinished {
            trigger: trigger.into(),
            summary: summary.clone(),
            report,
        },
    );
    Ok(summary)
}

/// The summary the running sync ends with.
async fn end_of(
    mut end: tokio::sync::watch::Receiver<Option<SyncSummary>>,
) -> Result<SyncSummary, CommandError> {
    let summary = end
        .wait_for(Option::is_some)
        .await
        .map(|s| s.clone().unwrap_or_default())
        .map_err(|_| CoreError::invalid("the running sync ended without a summary"))?;
    Ok(summary)
}

/// Environment: seconds from start to the first daily-refresh check (default 120, so the
/// refresh never competes with the window's start; end-to-end tests shorten it).
pub const FIRST_REFRESH_ENV: &str = "ADVISOR_DESK_FIRST_REFRESH_SECS";

/// Environment: seconds between the daily loop's checks (default 900; tests shorten it).
pub const REFRESH_EVERY_ENV: &str = "ADVISOR_DESK_REFRESH_EVERY_SECS";

/// When the daily loop first looks (see [`FIRST_REFRESH_ENV`]).
pub fn first_refresh_check() -> Duration {
    seconds_from_env(FIRST_REFRESH_ENV, 120)
}

/// How often the daily loop looks (see [`REFRESH_EVERY_ENV`]).
pub fn refresh_check_every() -> Duration {
    seconds_from_env(REFRESH_EVERY_ENV, 15 * 60)
}

fn seconds_from_env(name: &str, default: u64) -> Duration {
    let secs = std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(default);
    Duration::from_secs(secs)
}

/// Checks every `every` whether the daily refresh is due and runs it with the same engine.
pub fn spawn_daily_refresh(app: AppHandle, first_check: Duration, every: Duration) {
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(first_check).await;
        loop {
            let state = app.state::<AppState>();
            let now = time::now();
            // The daily backup (checked, retention applied) before the day's refresh writes.
            if let Ok(Err(e)) = state.store().map(|s| s.backup_if_due(now)) {
                eprintln!("advisor-desk: daily backup: {e}");
            }
            let due_today = state.store().map(|s| schedule::daily_refresh_due(s, now));
            if matches!(due_today, Ok(Ok(true))) {
                let due = state
                    .engine("schedule")
                    .and_then(|e| e.due_connections(now).map_err(CommandError::from));
                if let Ok(ids) = due {
                    if let Ok(store) = state.store() {
                        let _ = schedule::mark_daily_refresh(store, now);
                    }
                    if !ids.is_empty() {
                        if let Err(e) = run_sync(&app, ids, "schedule").await {
                            eprintln!("advisor-desk: daily refresh: {}", e.0.message);
                        }
                    }
                }
            }
            // Reference rates: each feed fetched at most once a day (the fetcher decides).
            if let Err(e) = crate::commands::households::refresh_rates_in(&state).await {
                eprintln!("advisor-desk: reference rates: {}", e.0.message);
            }
            tokio::time::sleep(every).await;
        }
    });
}

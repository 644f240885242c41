//! Sync wiring: runs the core's engine for a connection, a client or the whole book, sends
//! progress to the main window, and refreshes every due connection once a day (what a scope
//! covers and when the refresh is due are decided in `advisor_desk_core::sync::schedule`).
//! In firm mode the same calls take part in the firm's refresh round instead
//! (`advisor_desk_firm::refresh::app_round`), with the same events and report.

use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::sync::progress::ProgressSink;
use advisor_desk_core::sync::{
    run_report, CancelToken, RunReport, SyncEngine, SyncProgress, SyncScope, SyncSummary,
};
use advisor_desk_core::{time, CoreError, IpcError};
use advisor_desk_firm::refresh::{app_round, ProviderRefresher, WorkerConfig};
use advisor_desk_firm::FirmStore;
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
    // The firm's book while in firm mode (its round), else the solo engine.
    let firm = state.firm.store()?;
    let updater = match &firm {
        Some(firm) => Updater::Firm(firm.clone()),
        None => Updater::Solo(state.engine(trigger)?),
    };
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
    let run = match updater {
        Updater::Firm(firm) => refresh_firm(app, firm, ids, progress, cancel).await,
        Updater::Solo(engine) => Ok(engine.sync_many(ids, progress, cancel).await),
    };
    // The slot is freed whatever happened; a failed firm round ends with nothing done.
    let summary = run.clone().unwrap_or_default();
    // A scheduled refresh the advisor's "Update all" joined ends as theirs: the summary in the
    // window instead of a desktop notification.
    let trigger = if state.end_sync(&summary) {
        MANUAL
    } else {
        trigger
    };
    let report = match &firm {
        Some(firm) => {
            tokio::task::block_in_place(|| firm.read(|db| app_round::run_report(db, &summary)).ok())
        }
        None => state
            .store()
            .ok()
            .and_then(|store| run_report(store, &summary).ok()),
    };
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
    run
}

/// What runs an update: the solo book's engine, or this desktop's part in the firm's round.
enum Updater {
    Solo(SyncEngine),
    Firm(Arc<FirmStore>),
}

/// This desktop's part in the firm's refresh round, on a blocking thread (the firm's client
/// and the worker are synchronous): the gateways of the chosen environment drive the fetches on
/// the app's runtime; the provider calls then go to this desktop's call log, as a solo sync's.
async fn refresh_firm(
    app: &AppHandle,
    firm: Arc<FirmStore>,
    ids: Vec<i64>,
    progress: ProgressSink,
    cancel: CancelToken,
) -> Result<SyncSummary, CommandError> {
    let state = app.state::<AppState>();
    let gateways = state.providers()?.gateways;
    let keychain = state.secrets_arc();
    let calls = state.calls().clone();
    let solo = state.store_arc().ok();
    // Who holds a lease: this data folder's installation id (no secret).
    let desktop = solo
        .as_ref()
        .and_then(|s| s.installation_id().ok())
        .unwrap_or_else(|| "desktop".into());
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let pool = firm.pool();
        let mut refresher = ProviderRefresher::new(pool.clone(), keychain, gateways)
            .map_err(|e| CoreError::invalid(format!("the firm refresh did not start: {e}")))?
            .on_runtime(runtime)
            .with_cancel(cancel.clone());
        let config = WorkerConfig::new(desktop);
        let summary =
            app_round::refresh_in_round(pool, &config, &ids, &mut refresher, progress, &cancel);
        if let Some(store) = solo {
            if let Err(e) = calls.flush(&store) {
                eprintln!("advisor-desk: provider call log: {e}");
            }
        }
        summary.map_err(|e| CommandError(IpcError::from(&e)))
    })
    .await
    .map_err(|e| CoreError::invalid(format!("the firm refresh stopped: {e}")))?
}

/// The connections a scope covers on the book in use: the firm's (as this member sees them)
/// in firm mode, else the solo book's.
pub fn scope_ids(state: &AppState, scope: SyncScope) -> Result<Vec<i64>, CommandError> {
    match state.firm.store()? {
        Some(firm) => tokio::task::block_in_place(|| {
            firm.read(|db| app_round::scope_ids(db, scope))
                .map_err(|e| CommandError(IpcError::from(&e)))
        }),
        None => Ok(schedule::scope_ids(state.store()?, scope)?),
    }
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
                let due = if state.firm.is_firm() {
                    scope_ids(&state, SyncScope::All)
                } else {
                    state
                        .engine("schedule")
                        .and_then(|e| e.due_connections(now).map_err(CommandError::from))
                };
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

//! Sync commands: a connection, a client or the whole book, with progress events; cancel.

use advisor_desk_core::sync::{SyncScope, SyncSummary};
use tauri::{AppHandle, State};

use super::args::Arg;
use crate::error::CommandError;
use crate::state::AppState;
use crate::sync::run_sync;

#[tauri::command]
pub async fn sync_now(
    app: AppHandle,
    state: State<'_, AppState>,
    scope: Arg<SyncScope>,
) -> Result<SyncSummary, CommandError> {
    let ids = crate::sync::scope_ids(&state, scope.0)?;
    run_sync(&app, ids, crate::sync::MANUAL).await
}

/// Cancels the running sync (connections already synced keep their data).
#[tauri::command]
pub async fn cancel_sync(state: State<'_, AppState>) -> Result<bool, CommandError> {
    Ok(state.cancel_sync())
}

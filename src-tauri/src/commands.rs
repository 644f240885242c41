//! Tauri commands: each is a one-liner over `advisor-desk-core`. The `*_in` functions hold
//! that line so tests can call it without a window; the `#[tauri::command]` wrappers only
//! unpack Tauri's state. Commands are `async` so SQLite work stays off the UI thread.

use advisor_desk_core::clients::{Client, NewClient};
use advisor_desk_core::doctor::PROVIDER_ENVIRONMENT_SETTING;
use serde::Serialize;
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// Who the audit log names for changes made in the window.
const ACTOR: &str = "advisor";

/// What the window's chrome shows: the version and the provider environment (the
/// "Sandbox" badge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppInfo {
    pub version: String,
    pub provider_environment: String,
}

pub fn app_info_in(state: &AppState) -> Result<AppInfo, CommandError> {
    let environment = state.store()?.setting(PROVIDER_ENVIRONMENT_SETTING)?;
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        // The core's default environment is the sandbox until the advisor switches.
        provider_environment: environment.unwrap_or_else(|| "sandbox".to_string()),
    })
}

pub fn list_clients_in(state: &AppState) -> Result<Vec<Client>, CommandError> {
    Ok(state.store()?.clients(false)?)
}

pub fn add_client_in(state: &AppState, client: &NewClient) -> Result<Client, CommandError> {
    Ok(state.store()?.add_client(client, ACTOR)?)
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, CommandError> {
    app_info_in(&state)
}

#[tauri::command]
pub async fn list_clients(state: State<'_, AppState>) -> Result<Vec<Client>, CommandError> {
    list_clients_in(&state)
}

#[tauri::command]
pub async fn add_client(
    state: State<'_, AppState>,
    client: NewClient,
) -> Result<Client, CommandError> {
    add_client_in(&state, &client)
}

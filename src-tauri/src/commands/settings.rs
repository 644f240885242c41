//! Settings commands: environment, keychain-only API keys, base URLs, test connection, and
//! the sandbox's demo book. Keys go in; nothing comes back but "set".

use std::sync::Arc;

use advisor_desk_core::secrets::Secret;
use advisor_desk_core::settings::{self, FlanksIntegration, ProviderEnvironment, ProviderSettings};
use advisor_desk_core::store::book_reads::BookReads;
use advisor_desk_core::store::AuditEntry;
use advisor_desk_core::sync::CallLog;
use advisor_desk_core::CoreError;
use advisor_desk_providers::demo::{self, DemoBook, ProbeResult};
use advisor_desk_providers::{FlanksConfig, FlinksConfig};
use serde::Deserialize;
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt;

use super::args::{Arg, OptionalArg};
use crate::book::page;
use crate::error::CommandError;
use crate::read_book;
use crate::state::AppState;

const ACTOR: &str = "advisor";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderName {
    Flanks,
    Flinks,
}

impl ProviderName {
    fn as_str(self) -> &'static str {
        match self {
            ProviderName::Flanks => "flanks",
            ProviderName::Flinks => "flinks",
        }
    }
}

pub fn provider_settings_in(state: &AppState) -> Result<ProviderSettings, CommandError> {
    let store = state.book()?.solo_only("The provider settings")?;
    Ok(settings::provider_settings(store, state.secrets())?)
}

/// The solo book for a provider setting: in firm mode those are the firm's (its administrator
/// sets them), not this desktop's.
fn solo(state: &AppState) -> Result<&advisor_desk_core::Store, CommandError> {
    state.book()?.solo_only("Changing the provider settings")
}

#[tauri::command]
pub async fn provider_settings(
    state: State<'_, AppState>,
) -> Result<ProviderSettings, CommandError> {
    provider_settings_in(&state)
}

/// Switches the environment and rebuilds the gateways at once.
#[tauri::command]
pub async fn set_provider_environment(
    state: State<'_, AppState>,
    environment: Arg<ProviderEnvironment>,
) -> Result<ProviderSettings, CommandError> {
    settings::set_provider_environment(solo(&state)?, environment.0, ACTOR)?;
    state.configure_providers()?;
    provider_settings_in(&state)
}

/// Stores one API key in the keychain. The value is never sent back.
#[tauri::command]
pub async fn set_provider_key(
    state: State<'_, AppState>,
    provider: Arg<ProviderName>,
    field: Arg<String>,
    value: Arg<String>,
) -> Result<ProviderSettings, CommandError> {
    let value = Secret::new(value.0);
    settings::set_provider_key(
        solo(&state)?,
        state.secrets(),
        provider.0.as_str(),
        &field.0,
        &value,
        ACTOR,
    )?;
    drop(value);
    state.configure_providers()?;
    provider_settings_in(&state)
}

#[tauri::command]
pub async fn remove_provider_key(
    state: State<'_, AppState>,
    provider: Arg<ProviderName>,
    field: Arg<String>,
) -> Result<ProviderSettings, CommandError> {
    settings::remove_provider_key(
        solo(&state)?,
        state.secrets(),
        provider.0.as_str(),
        &field.0,
        ACTOR,
    )?;
    state.configure_providers()?;
    provider_settings_in(&state)
}

#[tauri::command]
pub async fn set_provider_base_url(
    state: State<'_, AppState>,
    provider: Arg<ProviderName>,
    url: OptionalArg<String>,
) -> Result<ProviderSettings, CommandError> {
    settings::set_base_url(solo(&state)?, provider.0.as_str(), url.0.as_deref(), ACTOR)?;
    state.configure_providers()?;
    provider_settings_in(&state)
}

/// Calls the provider's token endpoint with the environment's keys.
#[tauri::command]
pub async fn test_provider_connection(
    state: State<'_, AppState>,
    provider: Arg<ProviderName>,
) -> Result<ProbeResult, CommandError> {
    let Arg(provider) = provider;
    let providers = state.providers()?;
    let log: Arc<dyn CallLog> = Arc::new(advisor_desk_core::sync::CallBuffer::new());
    let store = solo(&state)?;
    if let Some(url) = &providers.sandbox_url {
        let (flanks, flinks) = demo::sandbox_configs(url, &crate::state::sandbox_keys());
        return Ok(match provider {
            ProviderName::Flanks => demo::probe_flanks(flanks, log).await,
            ProviderName::Flinks => demo::probe_flinks(flinks, log).await,
        });
    }
    Ok(match provider {
        ProviderName::Flanks => {
            let mut c = FlanksConfig::from_secrets(state.secrets())?;
            if let Some(u) = settings::get(store, settings::FLANKS_BASE_URL_SETTING)? {
                c = c.with_base_url(u);
            }
            demo::probe_flanks(c, log).await
        }
        ProviderName::Flinks => {
            let mut c = FlinksConfig::from_secrets(state.secrets())?;
            if let Some(u) = settings::get(store, settings::FLINKS_BASE_URL_SETTING)? {
                c = c.with_base_url(u);
            }
            demo::probe_flinks(c, log).await
        }
    })
}

/// Sandbox mode, empty book: the sandbox's seeded clients and connections, then a first sync.
#[tauri::command]
pub async fn load_demo_book(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<DemoBook, CommandError> {
    let providers = state.providers()?;
    let Some(url) = providers.sandbox_url else {
        return Err(CoreError::invalid("the demo book exists only in sandbox mode").into());
    };
    let store = state.book()?.solo_only("The demo book")?;
    let book = demo::load_demo_book(store, state.secrets(), &url, ACTOR).await?;
    let ids = book.connection_ids.clone();
    // The first sync runs in the background with progress events; the book shows at once.
    tauri::async_runtime::spawn(async move {
        if let Err(e) = crate::sync::run_sync(&app, ids, "demo").await {
            eprintln!("advisor-desk: first sync of the demo book: {}", e.0.message);
        }
    });
    Ok(book)
}

/// Which Flanks integration "a bank in Spain or Europe" uses from now on.
#[tauri::command]
pub async fn set_flanks_integration(
    state: State<'_, AppState>,
    integration: Arg<FlanksIntegration>,
) -> Result<ProviderSettings, CommandError> {
    settings::set_flanks_integration(solo(&state)?, integration.0, ACTOR)?;
    provider_settings_in(&state)
}

/// Whether the app starts when the advisor logs in (the OS's own autostart entry, so the
/// morning update has run before the window is opened).
#[tauri::command]
pub async fn start_at_login(app: AppHandle) -> Result<bool, CommandError> {
    app.autolaunch().is_enabled().map_err(autostart_error)
}

/// Turns starting at login on or off (opt-in: off until the advisor asks).
#[tauri::command]
pub async fn set_start_at_login(app: AppHandle, enabled: Arg<bool>) -> Result<bool, CommandError> {
    let launcher = app.autolaunch();
    if enabled.0 {
        launcher.enable()
    } else {
        launcher.disable()
    }
    .map_err(autostart_error)?;
    launcher.is_enabled().map_err(autostart_error)
}

fn autostart_error(e: tauri_plugin_autostart::Error) -> CommandError {
    CoreError::invalid(format!(
        "the start-at-login entry could not be changed: {e}"
    ))
    .into()
}

/// Entries the audit log screen shows, newest first.
const AUDIT_SHOWN: u32 = 200;

/// The newest audit entries of the book in use: the solo book's, or in firm mode the firm's
/// `audit_log` as far as row-level security lets this member see it (kept for when the
/// server is gone, as a page).
pub fn audit_log_in(state: &AppState) -> Result<Vec<AuditEntry>, CommandError> {
    page(
        state,
        || "audit_log".into(),
        || Ok(read_book!(state, |r| r.audit_entries(AUDIT_SHOWN))?),
    )
}

/// The newest audit entries (refused links, counted floods, settings changes…).
#[tauri::command]
pub async fn audit_log(state: State<'_, AppState>) -> Result<Vec<AuditEntry>, CommandError> {
    audit_log_in(&state)
}

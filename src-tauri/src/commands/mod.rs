//! Tauri commands: each is a one-liner over `advisor-desk-core`. The `*_in` functions hold
//! that line so tests can call it without a window; the `#[tauri::command]` wrappers only
//! unpack Tauri's state. Commands are `async` so SQLite work stays off the UI thread.
//!
//! In firm mode every command of the book reads or writes the firm's (`crate::book`): pages
//! through `read_book!` (kept for when the server is gone, `book::page`), writes through
//! `book::write_book`, and the rest refuse with `firm_not_available`. The window's own
//! preferences (its language, app info) stay on this desktop in either mode.

pub mod args;
pub mod firm;
pub mod households;
pub mod workspace;

pub mod backups;
pub mod links;
pub mod rebuild;
pub mod settings;
pub mod sync;

pub use backups::*;
pub use links::*;
pub use rebuild::*;
pub use settings::*;
pub use sync::*;

use advisor_desk_core::clients::{Client, NewClient};
#[cfg(test)]
use advisor_desk_core::doctor::PROVIDER_ENVIRONMENT_SETTING;
use advisor_desk_core::settings::{ProviderEnvironment, UiLocale};
use serde::Serialize;
use tauri::State;

use self::args::{Arg, Id, OptionalArg};
use crate::book::{page, write_book};
use crate::error::CommandError;
use crate::read_book;
use crate::state::AppState;
use advisor_desk_core::clients;
use advisor_desk_firm::book_writes;

/// Who the audit log names for changes made in the window.
const ACTOR: &str = "advisor";

/// What the window's chrome needs: the version, the provider environment (the "Sandbox"
/// badge) and the saved interface language, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AppInfo {
    pub version: String,
    pub provider_environment: String,
    pub ui_locale: Option<UiLocale>,
    /// The embedded sandbox's base URL while the app runs on it (not a secret: loopback,
    /// public test keys); shown in Settings.
    pub sandbox_url: Option<String>,
    /// Sandbox mode with an empty book: the UI offers the demo book.
    pub demo_book_offered: bool,
}

pub fn app_info_in(state: &AppState) -> Result<AppInfo, CommandError> {
    let store = state.store()?;
    let environment = advisor_desk_core::settings::provider_environment(store)?;
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        // The core's default environment is the sandbox until the advisor switches.
        provider_environment: environment.as_str().to_string(),
        // A value this version does not know (a newer app wrote it) falls back to the OS.
        ui_locale: advisor_desk_core::settings::ui_locale(store)?,
        sandbox_url: state.current_providers().and_then(|p| p.sandbox_url),
        // Never in firm mode: the demo book fills the solo book, not the firm's.
        demo_book_offered: environment == ProviderEnvironment::Sandbox
            && !state.firm.is_firm()
            && advisor_desk_providers::demo::demo_book_offered(store)?,
    })
}

pub fn set_ui_locale_in(state: &AppState, locale: UiLocale) -> Result<(), CommandError> {
    Ok(advisor_desk_core::settings::set_ui_locale(
        state.store()?,
        locale,
    )?)
}

pub fn list_clients_in(state: &AppState) -> Result<Vec<Client>, CommandError> {
    page(
        state,
        || "list_clients".into(),
        || Ok(read_book!(state, |r| clients::list_from(r, false))?),
    )
}

pub fn add_client_in(state: &AppState, client: &NewClient) -> Result<Client, CommandError> {
    write_book(
        state,
        |store| clients::add(store, client, ACTOR),
        |firm| book_writes::clients::add(firm, client, ACTOR),
    )
}

pub fn set_client_contact_in(
    state: &AppState,
    client_id: i64,
    email: &Option<String>,
    language: UiLocale,
) -> Result<Client, CommandError> {
    write_book(
        state,
        |store| clients::set_contact(store, client_id, email, language, ACTOR),
        |firm| book_writes::clients::set_contact(firm, client_id, email, language, ACTOR),
    )
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, CommandError> {
    app_info_in(&state)
}

#[tauri::command]
pub async fn set_ui_locale(
    state: State<'_, AppState>,
    locale: Arg<UiLocale>,
) -> Result<(), CommandError> {
    set_ui_locale_in(&state, locale.0)
}

#[tauri::command]
pub async fn list_clients(state: State<'_, AppState>) -> Result<Vec<Client>, CommandError> {
    list_clients_in(&state)
}

/// The client's e-mail address and the language of messages sent to them.
#[tauri::command]
pub async fn set_client_contact(
    state: State<'_, AppState>,
    client_id: Id,
    email: OptionalArg<String>,
    language: Arg<UiLocale>,
) -> Result<Client, CommandError> {
    set_client_contact_in(&state, client_id.0, &email.0, language.0)
}

/// How often the advisor's banks ask for SCA again: "90" or "180" days.
#[tauri::command]
pub async fn set_consent_period(
    state: State<'_, AppState>,
    days: Arg<String>,
) -> Result<advisor_desk_core::reads::ConsentPeriod, CommandError> {
    let store = state.book()?.solo_only("Changing the SCA period")?;
    Ok(advisor_desk_core::reads::consent::set_consent_period(
        store, &days.0,
    )?)
}

/// After how many days unmoving Flinks data counts as frozen (needs the client present).
#[tauri::command]
pub async fn flinks_frozen_after_days(state: State<'_, AppState>) -> Result<i64, CommandError> {
    let freshness = read_book!(state, |r| advisor_desk_core::sync::Freshness::read_from(r))?;
    Ok(freshness.frozen_after_days())
}

#[tauri::command]
pub async fn set_flinks_frozen_after_days(
    state: State<'_, AppState>,
    days: Arg<i64>,
) -> Result<i64, CommandError> {
    let store = state
        .book()?
        .solo_only("Changing when Flinks data counts as frozen")?;
    Ok(
        advisor_desk_core::sync::Freshness::set_frozen_after_days(store, days.0)?
            .frozen_after_days(),
    )
}

#[tauri::command]
pub async fn add_client(
    state: State<'_, AppState>,
    client: Arg<NewClient>,
) -> Result<Client, CommandError> {
    add_client_in(&state, &client.0)
}

#[cfg(test)]
mod tests {
    use advisor_desk_core::settings;
    use std::path::Path;

    use advisor_desk_core::clients::ClientKind;
    use advisor_desk_core::Store;

    use super::*;

    fn open(dir: &Path) -> AppState {
        AppState::open(dir)
    }

    #[test]
    fn commands_add_and_list_through_a_real_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let state = open(dir.path());
        assert!(list_clients_in(&state).unwrap().is_empty());
        let added = add_client_in(
            &state,
            &NewClient {
                kind: Some(ClientKind::Household),
                name: "Álvarez family".into(),
                email: Some("alvarez@example.es".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(added.kind, ClientKind::Household);
        drop(state);

        // A new state on the same folder (an app restart) lists it.
        let state = open(dir.path());
        let names: Vec<_> = list_clients_in(&state)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["Álvarez family"]);
        let audit = Store::open(&dir.path().join("advisor-desk.sqlite3"))
            .unwrap()
            .audit_log(5)
            .unwrap();
        assert_eq!(audit[0].actor, "advisor");
    }

    #[test]
    fn bad_input_comes_back_as_code_and_message() {
        let state = AppState::from_store(Store::open_in_memory().unwrap());
        let err = add_client_in(
            &state,
            &NewClient {
                name: "Carla".into(),
                email: Some("nope".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({
                "code": "invalid_input",
                "message": "\"nope\" is not an e-mail address"
            })
        );
    }

    #[test]
    fn the_ui_payload_deserialises_into_the_cores_input() {
        // Exactly what ui/src/lib/api.ts sends as the `client` argument.
        let payload = serde_json::json!({
            "kind": "person", "name": "Ana", "email": null, "phone": "+34 600 000 000", "notes": null
        });
        let input: NewClient = serde_json::from_value(payload).unwrap();
        let state = AppState::from_store(Store::open_in_memory().unwrap());
        let client = add_client_in(&state, &input).unwrap();
        assert_eq!(client.phone.as_deref(), Some("+34 600 000 000"));
        assert_eq!(client.email, None);
    }

    #[test]
    fn app_info_reports_the_sandbox_until_the_environment_is_set() {
        let state = AppState::from_store(Store::open_in_memory().unwrap());
        let info = app_info_in(&state).unwrap();
        assert_eq!(info.provider_environment, "sandbox");
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        settings::set(
            state.store().unwrap(),
            PROVIDER_ENVIRONMENT_SETTING,
            "production",
        )
        .unwrap();
        assert_eq!(
            app_info_in(&state).unwrap().provider_environment,
            "production"
        );
    }

    #[test]
    fn the_interface_language_is_saved_and_reported() {
        let state = AppState::from_store(Store::open_in_memory().unwrap());
        assert_eq!(app_info_in(&state).unwrap().ui_locale, None);
        // The IPC argument as the UI sends it.
        let es: UiLocale = serde_json::from_value(serde_json::json!("es")).unwrap();
        set_ui_locale_in(&state, es).unwrap();
        assert_eq!(app_info_in(&state).unwrap().ui_locale, Some(UiLocale::Es));
        assert_eq!(
            serde_json::to_value(app_info_in(&state).unwrap()).unwrap()["ui_locale"],
            "es"
        );
        // Unknown languages never reach the store, and one left by a newer app is ignored.
        assert!(serde_json::from_value::<UiLocale>(serde_json::json!("de")).is_err());
        let store = state.store().unwrap();
        settings::set(store, settings::UI_LOCALE_SETTING, "de").unwrap();
        assert_eq!(app_info_in(&state).unwrap().ui_locale, None);
    }

    #[test]
    fn a_database_that_does_not_open_makes_every_command_answer_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the database file should be: SQLite cannot open it.
        std::fs::create_dir(dir.path().join("advisor-desk.sqlite3")).unwrap();
        let state = open(dir.path());
        let err = list_clients_in(&state).unwrap_err();
        assert_eq!(err.0.code, "database");
        assert!(err.0.message.contains("advisor-desk.sqlite3"), "{err}");
        assert_eq!(app_info_in(&state).unwrap_err(), err);
    }
}

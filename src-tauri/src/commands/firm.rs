//! Settings → Firm: which mode this desktop is in, joining a firm with an invite file, leaving
//! it. Each command is a few calls into `advisor_desk_core::firm` (the invite) and
//! `advisor_desk_firm::session` (the saved mode, the session).

use std::path::Path;

use advisor_desk_core::firm::{accept_invite, keychain, read_invite, FirmSettings};
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::IpcError;
use advisor_desk_firm::session::{saved, FirmStatus, SessionEvent};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};

use super::args::Arg;
use crate::error::CommandError;
use crate::firm::{emitter, FirmModeNow, FIRM_STATUS_EVENT};
use crate::state::AppState;

/// Whether the firm database answers, as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FirmStatusView {
    Connecting,
    /// `since`: RFC 3339.
    Connected {
        since: String,
        schema_version: i32,
    },
    /// Unreachable since the first failure of this outage; the latest reason (no secret);
    /// `last_loaded` (RFC 3339): when the pages the window keeps showing were last loaded.
    Unreachable {
        since: String,
        code: String,
        message: String,
        last_loaded: Option<String>,
    },
    /// Firm mode is chosen but could not start (its password is not in the keychain, its saved
    /// settings cannot be used).
    NotStarted {
        code: String,
        message: String,
    },
    /// Sent once when firm mode is left: there is no firm database to reach any more.
    Solo,
}

impl From<&FirmStatus> for FirmStatusView {
    fn from(status: &FirmStatus) -> Self {
        match status {
            FirmStatus::Connecting => FirmStatusView::Connecting,
            FirmStatus::Connected {
                since,
                schema_version,
            } => FirmStatusView::Connected {
                since: since.to_rfc3339(),
                schema_version: *schema_version,
            },
            FirmStatus::Unreachable { since, error } => FirmStatusView::Unreachable {
                since: since.to_rfc3339(),
                code: error.code.clone(),
                message: error.message.clone(),
                last_loaded: None,
            },
        }
    }
}

/// The firm this desktop is in: what Settings → Firm shows. No secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FirmView {
    pub firm_name: String,
    /// The advisor's database role.
    pub role: String,
    /// `host:port/dbname`.
    pub server: String,
    /// libpq's `sslmode` as the invite set it (`disable`, `require`, …).
    pub tls: String,
    pub status: FirmStatusView,
}

/// Solo (`firm: null`) or the firm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FirmModeView {
    pub firm: Option<FirmView>,
}

/// A change on the firm database: the table, or `null` when anything may have changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FirmChange {
    pub table: Option<String>,
}

fn view(now: FirmModeNow) -> FirmModeView {
    match now {
        FirmModeNow::Solo => FirmModeView { firm: None },
        FirmModeNow::Firm { settings, status } => {
            let settings = *settings;
            FirmModeView {
                firm: Some(FirmView {
                    server: format!(
                        "{}:{}/{}",
                        settings.database.host, settings.database.port, settings.database.dbname
                    ),
                    tls: serde_json::to_value(settings.database.sslmode)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    firm_name: settings.firm_name,
                    role: settings.role,
                    status,
                }),
            }
        }
    }
}

pub fn firm_mode_in(state: &AppState) -> FirmModeView {
    view(state.firm.now())
}

/// Joins the firm of the invite at `invite_path`: its secrets into the keychain, the mode saved
/// beside the book, the session started (an unreachable server is a status, not a refusal).
pub fn join_firm_in(
    state: &AppState,
    invite_path: &str,
    passphrase: &str,
    on_event: impl Fn(SessionEvent) + Send + Sync + 'static,
) -> Result<FirmModeView, CommandError> {
    if state.firm.is_firm() {
        return Err(invalid(
            "this desktop is already in firm mode: leave it first",
        ));
    }
    let path = Path::new(invite_path.trim());
    if !path.is_file() {
        return Err(invalid(&format!("no invite file at {}", path.display())));
    }
    let firm_error = |e: advisor_desk_core::firm::FirmError| CommandError(IpcError::from(&e));
    let invite = read_invite(path, passphrase).map_err(firm_error)?;
    let settings = accept_invite(state.secrets(), invite).map_err(firm_error)?;
    saved::save(state.data_dir(), &settings).map_err(|e| CommandError(IpcError::from(&e)))?;
    // A session that cannot start is shown as such; the mode stays chosen.
    let _ = state.firm.start(settings, state.secrets(), on_event);
    Ok(firm_mode_in(state))
}

/// Back to solo: the session stopped, the saved mode and the firm's keychain entries removed.
/// The solo book is not touched.
pub fn leave_firm_in(state: &AppState) -> Result<FirmModeView, CommandError> {
    let settings = match state.firm.now() {
        FirmModeNow::Firm { settings, .. } => Some(*settings),
        FirmModeNow::Solo => saved::load(state.data_dir()).ok().flatten(),
    };
    state.firm.stop();
    saved::forget(state.data_dir()).map_err(|e| CommandError(IpcError::from(&e)))?;
    if let Some(settings) = settings {
        forget_secrets(state.secrets(), &settings)?;
    }
    Ok(firm_mode_in(state))
}

/// Starts the firm mode saved by an earlier run, if any (at start-up).
pub fn resume_firm_mode(
    state: &AppState,
    on_event: impl Fn(SessionEvent) + Send + Sync + 'static,
) -> Result<(), IpcError> {
    match saved::load(state.data_dir()) {
        Ok(Some(settings)) => state.firm.start(settings, state.secrets(), on_event),
        Ok(None) => Ok(()),
        Err(e) => Err(IpcError::from(&e)),
    }
}

fn forget_secrets(secrets: &dyn SecretStore, settings: &FirmSettings) -> Result<(), CommandError> {
    let firm_error = |e: advisor_desk_core::firm::FirmError| CommandError(IpcError::from(&e));
    let mut entries = vec![keychain::password_entry(&settings.firm).map_err(firm_error)?];
    for version in &settings.key_versions {
        entries.push(keychain::key_entry(&settings.firm, *version).map_err(firm_error)?);
    }
    for entry in entries {
        secrets
            .delete(&entry)
            .map_err(|e| CommandError::from(advisor_desk_core::CoreError::from(e)))?;
    }
    Ok(())
}

fn invalid(message: &str) -> CommandError {
    CommandError::from(advisor_desk_core::CoreError::invalid(message))
}

#[tauri::command]
pub async fn firm_mode(state: State<'_, AppState>) -> Result<FirmModeView, CommandError> {
    Ok(firm_mode_in(&state))
}

#[tauri::command]
pub async fn join_firm(
    app: AppHandle,
    state: State<'_, AppState>,
    invite_path: Arg<String>,
    passphrase: Arg<String>,
) -> Result<FirmModeView, CommandError> {
    // The firm crate's client is synchronous: it runs (and drops) its own small runtime, which
    // tokio refuses on an async worker unless the worker is lent out for blocking first.
    tokio::task::block_in_place(|| {
        join_firm_in(&state, &invite_path.0, &passphrase.0, emitter(&app))
    })
}

#[tauri::command]
pub async fn leave_firm(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<FirmModeView, CommandError> {
    // Stopping the session drops its connections: blocking work (see `join_firm`).
    let left = tokio::task::block_in_place(|| leave_firm_in(&state))?;
    // The banner, if it showed an outage, goes with the firm.
    let _ = app.emit_to("main", FIRM_STATUS_EVENT, FirmStatusView::Solo);
    Ok(left)
}

#[tauri::command]
pub async fn firm_try_again(state: State<'_, AppState>) -> Result<(), CommandError> {
    state.firm.probe_now();
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use advisor_desk_core::firm::{
        write_invite, DatabaseSettings, FirmId, FirmKey, Invite, SslMode,
    };
    use advisor_desk_core::secrets::{MemorySecretStore, Secret};
    use advisor_desk_core::Store;

    use super::*;

    fn invite(port: u16) -> Invite {
        Invite {
            firm: FirmId::new("ruiz").unwrap(),
            firm_name: "Ruiz & Partners".into(),
            database: DatabaseSettings {
                host: "127.0.0.1".into(),
                port,
                dbname: "ruiz_book".into(),
                sslmode: SslMode::Disable,
                ca_certificate_pem: None,
            },
            role: "ruiz_ana".into(),
            password: Secret::new("role-password-5e1c"),
            keys: vec![FirmKey::generate(1).unwrap()],
        }
    }

    fn state(folder: &Path, secrets: Arc<MemorySecretStore>) -> AppState {
        let store = Store::open(&folder.join("book.sqlite3")).unwrap();
        AppState::with_secrets(store, folder, secrets)
    }

    #[test]
    fn a_wrong_passphrase_joins_nothing_and_stays_solo() {
        let folder = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemorySecretStore::new());
        let app = state(folder.path(), secrets.clone());
        let path = folder.path().join("ana.invite");
        write_invite(&path, &invite(1), "the right passphrase").unwrap();
        let refused =
            join_firm_in(&app, path.to_str().unwrap(), "a wrong passphrase", |_| {}).unwrap_err();
        assert_eq!(refused.0.code, "wrong_passphrase");
        assert_eq!(firm_mode_in(&app), FirmModeView { firm: None });
        assert!(saved::load(folder.path()).unwrap().is_none());
        let password = keychain::password_entry(&FirmId::new("ruiz").unwrap()).unwrap();
        assert!(secrets.get(&password).unwrap().is_none());
        let missing = join_firm_in(&app, "/no/such/file.invite", "x", |_| {}).unwrap_err();
        assert_eq!(missing.0.code, "invalid_input");
    }

    #[test]
    fn joining_shows_the_firm_without_a_secret_and_leaving_forgets_it() {
        let folder = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemorySecretStore::new());
        let app = state(folder.path(), secrets.clone());
        let path = folder.path().join("ana.invite");
        // Port 1 on loopback: nothing listens, so the session is unreachable, not refused.
        write_invite(&path, &invite(1), "the right passphrase").unwrap();
        let joined =
            join_firm_in(&app, path.to_str().unwrap(), "the right passphrase", |_| {}).unwrap();
        let firm = joined.firm.expect("in firm mode");
        assert_eq!(firm.firm_name, "Ruiz & Partners");
        assert_eq!(firm.role, "ruiz_ana");
        assert_eq!(firm.server, "127.0.0.1:1/ruiz_book");
        assert_eq!(firm.tls, "disable");
        let json = serde_json::to_string(&firm_mode_in(&app)).unwrap();
        assert!(!json.contains("role-password-5e1c"), "{json}");
        assert!(saved::load(folder.path()).unwrap().is_some());
        let again = join_firm_in(&app, path.to_str().unwrap(), "the right passphrase", |_| {});
        assert_eq!(again.unwrap_err().0.code, "invalid_input");

        // The firm's book, not the solo one: with the server gone and nothing loaded yet, a page
        // is firm_unreachable; what a page last loaded is given again; a write is refused
        // plainly and the solo book is not written.
        let unreachable = crate::commands::list_clients_in(&app).unwrap_err();
        assert_eq!(unreachable.0.code, "firm_unreachable");
        let shown = advisor_desk_core::clients::Client {
            id: 7,
            kind: advisor_desk_core::clients::ClientKind::Person,
            name: "Lucía".into(),
            email: None,
            phone: None,
            notes: String::new(),
            language: advisor_desk_core::clients::Language::Es,
            archived: false,
            created_at: "2026-12-05T09:00:00Z".into(),
            updated_at: "2026-12-05T09:00:00Z".into(),
        };
        app.firm
            .last_loaded
            .keep("list_clients".into(), &vec![shown.clone()]);
        assert_eq!(crate::commands::list_clients_in(&app).unwrap(), [shown]);
        let new = advisor_desk_core::clients::NewClient {
            name: "Marta".into(),
            ..Default::default()
        };
        let refused = crate::commands::add_client_in(&app, &new).unwrap_err();
        assert_eq!(refused.0.code, "firm_unreachable");
        assert!(
            refused.0.message.contains("nothing was changed"),
            "{}",
            refused.0.message
        );
        let solo = advisor_desk_core::clients::list(app.store().unwrap(), true).unwrap();
        assert!(solo.is_empty(), "never the solo book");

        let left = leave_firm_in(&app).unwrap();
        assert!(
            app.firm.last_loaded.newest().is_none(),
            "forgotten on leaving"
        );
        assert_eq!(left, FirmModeView { firm: None });
        assert!(saved::load(folder.path()).unwrap().is_none());
        let password = keychain::password_entry(&FirmId::new("ruiz").unwrap()).unwrap();
        assert!(secrets.get(&password).unwrap().is_none());
        // The solo book is still there and opens.
        assert!(app.store().is_ok());
    }
}

//! Firm mode's link flow in the shell: while the desktop is in firm mode, "Connect account",
//! "Reauthorize" and "Renew now", removals, the holder check's answers, a client's deletion,
//! the callback, the window closed and a widget's error event go to the firm's book through
//! `advisor_desk_firm::links::FirmLinkFlow` (the code is still exchanged by this desktop, the
//! result kept in this keychain until the firm database took it). Kept results are applied
//! when the session connects and after each reconnect ([`apply_kept_results`]).
//!
//! The firm store is blocking: everything here runs on a blocking thread, with the providers'
//! async calls handed back to the runtime.

use std::collections::HashMap;
use std::sync::Arc;

use advisor_desk_core::domain::ConnectionStatus;
use advisor_desk_core::firm::{FirmId, PendingLinks};
use advisor_desk_core::links::{CallbackSource, LinkOutcome};
use advisor_desk_core::{CoreError, IpcError};
use advisor_desk_firm::links::{apply_pending, FirmLinkError, FirmLinkFlow, Mapped};
use advisor_desk_firm::store::FirmStore;
use tauri::{AppHandle, Manager, Runtime};

use crate::error::CommandError;
use crate::firm::FirmModeNow;
use crate::links::{publish, LinkEvent};
use crate::state::AppState;

/// The firm's book as this member's link flow sees it.
pub struct FirmLinks {
    store: Arc<FirmStore>,
    firm: FirmId,
    /// The member's database role: who the firm's audit log says acted.
    actor: String,
}

impl FirmLinks {
    /// In firm mode, the firm's book (refused with its reason while it was never reached);
    /// `None` in solo mode.
    pub fn of(state: &AppState) -> Result<Option<FirmLinks>, CommandError> {
        let Some(store) = state.firm.store()? else {
            return Ok(None);
        };
        match state.firm.now() {
            FirmModeNow::Firm { settings, .. } => Ok(Some(FirmLinks {
                store,
                firm: settings.firm.clone(),
                actor: settings.role.clone(),
            })),
            FirmModeNow::Solo => Ok(None),
        }
    }

    /// Runs `step` on a blocking thread with the flow over the current providers.
    pub async fn run<R: Runtime, T: Send + 'static>(
        self,
        app: &AppHandle<R>,
        step: impl FnOnce(&FirmLinkFlow<'_>) -> Result<T, FirmLinkError> + Send + 'static,
    ) -> Result<T, CommandError> {
        let app = app.clone();
        tauri::async_runtime::spawn_blocking(move || {
            let state = app.state::<AppState>();
            let providers = state.providers()?.link_apis;
            let runtime = tokio::runtime::Handle::current();
            let flow = FirmLinkFlow {
                store: &self.store,
                keychain: state.secrets(),
                firm: &self.firm,
                actor: &self.actor,
                providers: &providers,
                runtime: &runtime,
            };
            step(&flow).map_err(firm_link_error)
        })
        .await
        .map_err(|e| {
            CommandError::from(CoreError::invalid(format!("the link step stopped: {e}")))
        })?
    }
}

/// A firm link refusal as the window receives it: the stable code (a provider's failure named
/// by its kind, as the solo flow does) and a message without any secret.
pub fn firm_link_error(e: FirmLinkError) -> CommandError {
    let code = match &e {
        FirmLinkError::Provider(f) => format!("provider_{}", f.kind.as_str()),
        other => other.code().to_string(),
    };
    CommandError(IpcError {
        code,
        message: e.to_string(),
    })
}

/// A callback in firm mode: claimed on the firm, exchanged here, delivered to the firm.
pub async fn handle_callback<R: Runtime>(
    app: &AppHandle<R>,
    firm: FirmLinks,
    raw: String,
    window_session: Option<i64>,
    source: CallbackSource,
) -> Result<LinkOutcome, CommandError> {
    firm.run(app, move |flow| {
        flow.handle_callback(raw.as_bytes(), window_session, source)
    })
    .await
}

/// Maps the link results this desktop kept while the firm database was away, and tells the
/// window what joined the firm's book. Called when the firm session connects (at start and
/// after every reconnect): the single hook the session's status callback makes.
pub fn apply_kept_results<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        // The session is filed before this can read the mode (`FirmMode::start` holds it
        // while the session opens); a desktop back in solo mode since has nothing to apply.
        let Ok(Some(firm)) = FirmLinks::of(&state) else {
            return;
        };
        // Which client each kept result is for (the pass reports sessions only).
        let clients: HashMap<i64, i64> = match PendingLinks::new(state.secrets(), &firm.firm).list()
        {
            Ok(kept) if kept.is_empty() => return,
            Ok(kept) => kept
                .into_iter()
                .map(|link| (link.session_id, link.client_id))
                .collect(),
            Err(e) => {
                let error = CommandError(IpcError::from(&e));
                return publish(&app, LinkEvent::new(CallbackSource::Poller, Err(error)));
            }
        };
        match apply_pending(&firm.store, state.secrets(), &firm.firm, &firm.actor) {
            Ok(applied) => {
                for (session_id, mapped) in applied.mapped {
                    let client_id = clients.get(&session_id).copied().unwrap_or_default();
                    if let Some(outcome) = kept_outcome(session_id, client_id, mapped) {
                        publish(&app, LinkEvent::new(CallbackSource::Poller, Ok(outcome)));
                    }
                }
                for (session_id, code) in applied.refused {
                    let error = CommandError(IpcError {
                        code: code.into(),
                        message: format!(
                            "The link result kept for session {session_id} was refused by the \
                             firm database; it stays in this computer's keychain."
                        ),
                    });
                    publish(&app, LinkEvent::new(CallbackSource::Poller, Err(error)));
                }
            }
            Err(e) => publish(
                &app,
                LinkEvent::new(CallbackSource::Poller, Err(firm_link_error(e))),
            ),
        }
    });
}

/// What the window is told of a kept result now in the firm's book: connected or reauthorized
/// (its status the firm's refresh fetches next), for the client the kept result named (the
/// client's page then re-reads its connections).
fn kept_outcome(session_id: i64, client_id: i64, mapped: Mapped) -> Option<LinkOutcome> {
    match mapped {
        Mapped::Created { connection_id }
        | Mapped::AlreadyMapped {
            connection_id: Some(connection_id),
        } => Some(LinkOutcome::Connected {
            session_id,
            client_id,
            connection_id,
            status: ConnectionStatus::Pending,
        }),
        Mapped::Reauthorized { connection_id } => Some(LinkOutcome::Reauthorized {
            session_id,
            client_id,
            connection_id,
            status: ConnectionStatus::Pending,
        }),
        _ => None,
    }
}

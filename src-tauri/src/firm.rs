//! Firm mode in the shell: the running `FirmSession` (or why it could not start) and its
//! events to the window. The session's logic is in `advisor_desk_firm::session`.

use std::sync::{Arc, Mutex};

use advisor_desk_core::firm::FirmSettings;
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::IpcError;
use advisor_desk_firm::session::{
    FirmSession, FirmStatus, LastLoaded, SessionEvent, SessionOptions,
};
use advisor_desk_firm::store::FirmStore;
use tauri::{AppHandle, Emitter, Manager};

use crate::book::firm_unreachable;
use crate::commands::firm::{FirmChange, FirmStatusView};
use crate::error::CommandError;

/// Reachability changed: a `FirmStatusView`.
pub const FIRM_STATUS_EVENT: &str = "firm://status";
/// Something changed on the firm database (or may have, after an outage): a `FirmChange`.
pub const FIRM_CHANGED_EVENT: &str = "firm://changed";

/// What the desktop runs: solo (nothing), a session, or saved settings that did not start; and
/// what its pages last loaded from the firm, shown while the server is gone.
#[derive(Default)]
pub struct FirmMode {
    running: Mutex<Running>,
    pub last_loaded: LastLoaded,
}

#[derive(Default)]
enum Running {
    #[default]
    Solo,
    Session(FirmSession),
    Failed {
        settings: FirmSettings,
        error: IpcError,
    },
}

/// What Settings → Firm and the banner are given.
pub enum FirmModeNow {
    Solo,
    Firm {
        // Boxed: the settings are large beside `Solo`, and the value is handed around.
        settings: Box<FirmSettings>,
        status: FirmStatusView,
    },
}

impl FirmMode {
    /// Starts (or restarts) firm mode with `settings`. A failure is kept for the window to show
    /// and returned.
    pub fn start(
        &self,
        settings: FirmSettings,
        secrets: &dyn SecretStore,
        on_event: impl Fn(SessionEvent) + Send + Sync + 'static,
    ) -> Result<(), IpcError> {
        self.stop();
        // Held until the session is filed: its threads may call back before `open` returns,
        // and whoever reads the mode because of a callback (the kept link results, on a thread
        // of their own) waits here for the session instead of finding none.
        let mut running = lock(&self.running);
        self.last_loaded.clear();
        let started = FirmSession::open(
            settings.clone(),
            secrets,
            SessionOptions::default(),
            on_event,
        );
        match started {
            Ok(session) => {
                *running = Running::Session(session);
                Ok(())
            }
            Err(e) => {
                let error = IpcError::from(&e);
                *running = Running::Failed {
                    settings,
                    error: error.clone(),
                };
                Err(error)
            }
        }
    }

    /// Back to solo; the session's threads are stopped and joined.
    pub fn stop(&self) {
        let previous = std::mem::take(&mut *lock(&self.running));
        if let Running::Session(session) = previous {
            session.close();
        }
        // Another firm's pages, or none, from now on.
        self.last_loaded.clear();
    }

    pub fn is_firm(&self) -> bool {
        !matches!(*lock(&self.running), Running::Solo)
    }

    pub fn now(&self) -> FirmModeNow {
        match &*lock(&self.running) {
            Running::Solo => FirmModeNow::Solo,
            Running::Session(session) => FirmModeNow::Firm {
                settings: Box::new(session.settings().clone()),
                status: self.status_view(&session.status()),
            },
            Running::Failed { settings, error } => FirmModeNow::Firm {
                settings: Box::new(settings.clone()),
                status: FirmStatusView::NotStarted {
                    code: error.code.clone(),
                    message: error.message.clone(),
                },
            },
        }
    }

    /// The firm's name (from its invite) while in firm mode: the report's signature.
    pub fn firm_name(&self) -> Option<String> {
        match &*lock(&self.running) {
            Running::Solo => None,
            Running::Session(session) => Some(session.settings().firm_name.clone()),
            Running::Failed { settings, .. } => Some(settings.firm_name.clone()),
        }
    }

    /// The firm store while in firm mode and connected at least once; `Ok(None)` in solo mode.
    /// A session that never connected, or did not start, is refused with its reason.
    pub fn store(&self) -> Result<Option<Arc<FirmStore>>, CommandError> {
        match &*lock(&self.running) {
            Running::Solo => Ok(None),
            Running::Session(session) => match session.store() {
                Some(store) => Ok(Some(store)),
                None => Err(match session.status() {
                    FirmStatus::Unreachable { error, .. } => firm_unreachable(&error.message),
                    _ => firm_unreachable("still connecting"),
                }),
            },
            Running::Failed { error, .. } => Err(CommandError(error.clone())),
        }
    }

    /// The status as the window shows it: while unreachable, with when the pages it shows were
    /// last loaded.
    pub fn status_view(&self, status: &FirmStatus) -> FirmStatusView {
        let mut view = FirmStatusView::from(status);
        if let FirmStatusView::Unreachable { last_loaded, .. } = &mut view {
            *last_loaded = self.last_loaded.newest().map(|at| at.to_rfc3339());
        }
        view
    }

    /// Asks the session to probe now (the banner's "Try again").
    pub fn probe_now(&self) {
        if let Running::Session(session) = &*lock(&self.running) {
            session.probe_now();
        }
    }
}

/// The session's events as the window's. Called on the session's threads, possibly while
/// [`FirmMode::start`] still holds the mode: nothing here waits for the mode on that thread.
pub fn emitter(app: &AppHandle) -> impl Fn(SessionEvent) + Send + Sync + 'static {
    let app = app.clone();
    move |event| {
        // Connected (at start or after an outage): link results kept meanwhile join the book.
        if matches!(&event, SessionEvent::Status(status) if status.is_connected()) {
            crate::firm_links::apply_kept_results(&app);
        }
        let _ = match event {
            SessionEvent::Status(status) => {
                let view = match app.try_state::<crate::state::AppState>() {
                    Some(state) => state.firm.status_view(&status),
                    None => FirmStatusView::from(&status),
                };
                app.emit_to("main", FIRM_STATUS_EVENT, view)
            }
            SessionEvent::Changed(change) => app.emit_to(
                "main",
                FIRM_CHANGED_EVENT,
                FirmChange {
                    table: Some(change.table),
                },
            ),
            SessionEvent::ResyncNeeded => {
                app.emit_to("main", FIRM_CHANGED_EVENT, FirmChange { table: None })
            }
        };
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

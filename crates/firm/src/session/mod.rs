//! Firm mode as the app runs it: `FirmSession`, opened from the saved `FirmSettings` and the
//! role password in the keychain.
//!
//! - reachability: a probe thread asks the database for its schema version (one pooled query)
//!   every few seconds while it answers, and with a doubling pause while it does not; the
//!   status is connected (since when, which schema) or unreachable (since the first failure,
//!   with the latest reason);
//! - live changes: the `live` listener on its own connection; each change goes to the caller's
//!   callback, and a lost or regained listening connection wakes the probe at once, so a
//!   stopped server is noticed within a second or two instead of at the next probe.
//!
//! - `saved`: which mode this desktop is in (`firm-mode.json` beside the solo book).
//!
//! Everything runs on the session's own threads; the callback is called on them.

mod connect;
mod error;
mod last_loaded;
pub mod saved;
mod status;

use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use advisor_desk_core::firm::{keychain, FirmSettings};
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::IpcError;

use crate::live::{Change, Listener, ListenerConfig, LiveEvent};
use crate::{migrations, FirmDbError, FirmStore};

pub use connect::member_config;
use connect::Address;
pub use error::{without_credentials, SessionError};
pub use last_loaded::LastLoaded;
pub use status::FirmStatus;

/// What the session tells the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// Reachability changed (connected ↔ unreachable).
    Status(FirmStatus),
    /// A row changed on the firm database (by any desktop).
    Changed(Change),
    /// Changes may have been missed (the listener was away): re-read what is shown.
    ResyncNeeded,
}

#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// The pause between probes while the database answers.
    pub probe_every: Duration,
    /// The pauses between attempts while it does not: doubling from the first to the most.
    pub retry_first: Duration,
    pub retry_max: Duration,
    /// How long one connection attempt may take.
    pub connect_timeout: Duration,
    pub listener: ListenerConfig,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            probe_every: Duration::from_secs(5),
            retry_first: Duration::from_secs(1),
            retry_max: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(3),
            listener: ListenerConfig::default(),
        }
    }
}

type OnEvent = dyn Fn(SessionEvent) + Send + Sync;

/// What the probe thread and the session's readers share.
struct Shared {
    address: Address,
    store: Mutex<Option<Arc<FirmStore>>>,
    status: Mutex<FirmStatus>,
    /// Set to wake the probe early (`wake`) or for good (`stop`).
    signal: Mutex<Signal>,
    signalled: Condvar,
    on_event: Box<OnEvent>,
}

#[derive(Default)]
struct Signal {
    wake: bool,
    stop: bool,
}

pub struct FirmSession {
    settings: FirmSettings,
    shared: Arc<Shared>,
    probe: Option<JoinHandle<()>>,
    listener: Option<Listener>,
}

impl FirmSession {
    /// Starts firm mode: reads the role password from `secrets`, then probes and listens on
    /// threads of its own. A database that cannot be reached is not an error here (the status
    /// says so, and the probe keeps trying); a missing password or unusable settings are.
    pub fn open(
        settings: FirmSettings,
        secrets: &dyn SecretStore,
        options: SessionOptions,
        on_event: impl Fn(SessionEvent) + Send + Sync + 'static,
    ) -> Result<FirmSession, SessionError> {
        let password = secrets
            .get(&keychain::password_entry(&settings.firm)?)?
            .ok_or(SessionError::PasswordMissing)?;
        let address = Address::new(settings.clone(), password, options.connect_timeout);
        address.check()?;
        let shared = Arc::new(Shared {
            address,
            store: Mutex::new(None),
            status: Mutex::new(FirmStatus::Connecting),
            signal: Mutex::new(Signal::default()),
            signalled: Condvar::new(),
            on_event: Box::new(on_event),
        });
        let probe = {
            let shared = shared.clone();
            let options = options.clone();
            thread::Builder::new()
                .name("firm-probe".into())
                .spawn(move || shared.probe_loop(&options))
                .map_err(|e| SessionError::Thread(e.to_string()))?
        };
        let mut session = FirmSession {
            settings,
            shared: shared.clone(),
            probe: Some(probe),
            listener: None,
        };
        let connecting = shared.clone();
        let listener = Listener::start(
            options.listener,
            move || connecting.address.single_connection(),
            move |event| shared.on_live(event),
        )
        .map_err(|e| SessionError::Thread(e.to_string()))?;
        session.listener = Some(listener);
        Ok(session)
    }

    pub fn settings(&self) -> &FirmSettings {
        &self.settings
    }

    pub fn status(&self) -> FirmStatus {
        lock(&self.shared.status).clone()
    }

    /// The firm store while connected at least once (its pool reconnects by itself).
    pub fn store(&self) -> Option<Arc<FirmStore>> {
        lock(&self.shared.store).clone()
    }

    /// Probes now rather than at the next pause (a "Try again" button).
    pub fn probe_now(&self) {
        self.shared.signal(|s| s.wake = true);
    }

    /// Stops the probe and the listener and waits for both.
    pub fn close(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.signal(|s| s.stop = true);
        if let Some(listener) = self.listener.take() {
            listener.stop();
        }
        if let Some(probe) = self.probe.take() {
            let _ = probe.join();
        }
    }
}

impl Drop for FirmSession {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    fn probe_loop(&self, options: &SessionOptions) {
        let mut pause = options.retry_first;
        loop {
            let probe = self.probe().map_err(|e| IpcError::from(&e));
            let answered = probe.is_ok();
            let changed = {
                let mut status = lock(&self.status);
                let (next, changed) = status.after(probe);
                *status = next.clone();
                changed.then_some(next)
            };
            if let Some(status) = changed {
                (self.on_event)(SessionEvent::Status(status));
            }
            let wait = if answered {
                pause = options.retry_first;
                options.probe_every
            } else {
                let wait = pause;
                pause = (pause * 2).min(options.retry_max);
                wait
            };
            if self.wait(wait) {
                return;
            }
        }
    }

    /// One cheap round trip: the schema version (checked against this build's), through the
    /// pool, which is built at the first success and reconnects by itself after that.
    fn probe(&self) -> Result<i32, FirmDbError> {
        // Bound first: a guard in the match's scrutinee would live through its arms.
        let existing = lock(&self.store).clone();
        let store = match existing {
            Some(store) => store,
            None => {
                let store = Arc::new(FirmStore::connect(&self.address.pool_config())?);
                *lock(&self.store) = Some(store.clone());
                store
            }
        };
        store.read(|client| {
            migrations::check_version(client)?;
            migrations::current_version(client)
        })
    }

    fn on_live(&self, event: LiveEvent) {
        match event {
            LiveEvent::Change(change) => (self.on_event)(SessionEvent::Changed(change)),
            LiveEvent::ResyncNeeded(_) => {
                self.signal(|s| s.wake = true);
                (self.on_event)(SessionEvent::ResyncNeeded);
            }
            // The listener's connection is the first to notice the server leave or come back.
            LiveEvent::Disconnected { .. } | LiveEvent::Listening => {
                self.signal(|s| s.wake = true);
            }
        }
    }

    /// Waits `pause` or until woken; true when the session is stopping.
    fn wait(&self, pause: Duration) -> bool {
        let signal = lock(&self.signal);
        let (mut signal, _) = self
            .signalled
            .wait_timeout_while(signal, pause, |s| !s.wake && !s.stop)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        signal.wake = false;
        signal.stop
    }

    fn signal(&self, set: impl FnOnce(&mut Signal)) {
        set(&mut lock(&self.signal));
        self.signalled.notify_all();
    }
}

/// A poisoned lock still holds a usable value here (plain data, no invariant across fields).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

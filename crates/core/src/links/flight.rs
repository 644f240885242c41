//! One worker per link session in this process: the poller and the start-up resume leave a
//! session alone while a callback's exchange runs it, so a one-use code is never sent twice
//! from here.

use std::sync::Arc;

use super::service::LinkService;

/// Sessions whose exchange this process is running right now: the poller and the start-up
/// resume leave them alone, so a one-use code is never sent twice from here. Process-wide
/// (keyed by the store and the session), so it holds however many `LinkService` values the
/// app builds over the same store.
#[derive(Default)]
struct InFlight(std::sync::Mutex<std::collections::HashSet<(usize, i64)>>);

static IN_FLIGHT: std::sync::OnceLock<InFlight> = std::sync::OnceLock::new();

pub(super) struct FlightGuard<'a> {
    set: &'a InFlight,
    key: (usize, i64),
}

impl InFlight {
    fn begin_key(&self, key: (usize, i64)) -> Option<FlightGuard<'_>> {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Not `then_some`: it would build (and drop, re-locking) a guard on failure too.
        if set.insert(key) {
            Some(FlightGuard { set: self, key })
        } else {
            None
        }
    }
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        let mut set = self.set.0.lock().unwrap_or_else(|p| p.into_inner());
        set.remove(&self.key);
    }
}

impl LinkService {
    /// Exclusive use of a session in this process, or `None` when someone else has it.
    pub(super) fn begin_flight(&self, session_id: i64) -> Option<FlightGuard<'static>> {
        let store = Arc::as_ptr(&self.store) as usize;
        IN_FLIGHT
            .get_or_init(InFlight::default)
            .begin_key((store, session_id))
    }

    /// Waits until no one else in this process works on the session.
    pub(super) async fn wait_flight(&self, session_id: i64) -> FlightGuard<'static> {
        loop {
            if let Some(g) = self.begin_flight(session_id) {
                return g;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

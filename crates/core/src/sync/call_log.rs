//! The provider call log (endpoint, status, duration, provider request id; never a body or
//! a secret). Clients record into a [`CallLog`]; [`CallBuffer`] keeps calls in memory until the
//! engine flushes them to SQLite in one transaction, so logging never waits on the writer.

use std::sync::Mutex;

use crate::store::queries::call_log;
use serde::Serialize;

use crate::domain::Provider;
use crate::error::Result;
use crate::store::Store;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderCall {
    pub at: Timestamp,
    pub provider: Provider,
    /// A path template such as `/v0/bank/credentials/status`, never a URL with ids in it.
    pub endpoint: String,
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub request_id: Option<String>,
    /// `ok`, `http_error`, `timeout`, `network`, `bad_body` …
    pub outcome: String,
}

pub trait CallLog: Send + Sync {
    fn record(&self, call: ProviderCall);
}

#[derive(Default)]
pub struct CallBuffer {
    calls: Mutex<Vec<ProviderCall>>,
}

impl CallBuffer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.calls.lock().map(|c| c.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn drain(&self) -> Vec<ProviderCall> {
        std::mem::take(&mut *self.calls.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Writes the buffered calls to `provider_calls` in their own transaction.
    pub fn flush(&self, store: &Store) -> Result<usize> {
        if self.is_empty() {
            return Ok(0);
        }
        store.write(|tx| self.flush_into(tx))
    }

    /// Writes the buffered calls inside the caller's transaction (the engine uses the
    /// snapshot's transaction, so logging costs no extra commit).
    pub fn flush_into(&self, db: &rusqlite::Connection) -> Result<usize> {
        let calls = self.drain();
        call_log::write::append_calls(db, &calls)?;
        Ok(calls.len())
    }
}

impl CallLog for CallBuffer {
    fn record(&self, call: ProviderCall) {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(call);
    }
}

/// The newest provider calls first, for troubleshooting.
pub fn latest(store: &Store, limit: u32) -> Result<Vec<ProviderCall>> {
    store.read(|c| call_log::read::latest(c, limit))
}

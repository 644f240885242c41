//! The provider call log (endpoint, status, duration, provider request id; never a body or
//! a secret). Clients record into a [`CallLog`]; [`CallBuffer`] keeps calls in memory until the
//! engine flushes them to SQLite in one transaction, so logging never waits on the writer.

use std::sync::Mutex;

use rusqlite::params;
use serde::Serialize;

use crate::domain::Provider;
use crate::error::Result;
use crate::store::Store;
use crate::time::{self, Timestamp};

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
        {
            let mut stmt = db.prepare_cached(
                "INSERT INTO provider_calls (at, provider, endpoint, status, duration_ms,
                     request_id, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for c in &calls {
                stmt.execute(params![
                    time::to_db(c.at),
                    c.provider.as_str(),
                    c.endpoint,
                    c.status,
                    c.duration_ms as i64,
                    c.request_id,
                    c.outcome
                ])?;
            }
        }
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

impl Store {
    /// The newest provider calls first, for troubleshooting.
    pub fn provider_calls(&self, limit: u32) -> Result<Vec<ProviderCall>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT at, provider, endpoint, status, duration_ms, request_id, outcome
                 FROM provider_calls ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt
                .query_map([limit], |r| {
                    let at: String = r.get(0)?;
                    let provider: String = r.get(1)?;
                    Ok(ProviderCall {
                        at: time::from_db(&at).unwrap_or_default(),
                        provider: Provider::parse(&provider).unwrap_or(Provider::Flanks),
                        endpoint: r.get(2)?,
                        status: r.get(3)?,
                        duration_ms: r.get::<_, i64>(4)?.max(0) as u64,
                        request_id: r.get(5)?,
                        outcome: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
    }
}

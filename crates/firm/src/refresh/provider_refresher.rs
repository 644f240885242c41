//! The firm's production [`Refresher`]: each claimed connection fetched from its provider through
//! the core's sync gateway (`ProviderGateway`, implemented by `advisor-desk-providers`), its
//! credentials opened from `sealed_secrets` with the firm key in this advisor's keychain, and the
//! result written by the core's own snapshot writer into the lease's completing transaction,
//! with the core's holder check on a new connection's first snapshot and the connection's
//! status, failures and data date recorded as the solo sync records them.
//!
//! Generic over the gateway trait rather than naming the providers crate, as the core's engine
//! is: the app hands in the gateways of its chosen environment (the sandbox by default).

use std::collections::HashMap;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use advisor_desk_core::domain::{FailureKind, Provider, ProviderFailure, Snapshot};
use advisor_desk_core::secrets::{Secret, SecretStore};
use advisor_desk_core::store::snapshot_store::SnapshotStore;
use advisor_desk_core::sync::holder_check::check_first_snapshot;
use advisor_desk_core::sync::{
    fetch_snapshot, write_snapshot, CancelToken, FailureRecord, ProviderGateway, StatusPolling,
};
use advisor_desk_core::time;
use postgres::Transaction;
use serde_json::json;

use super::claims::{Outcome, OutcomeKind};
use super::keychain_cache::KeychainCache;
use super::worker::Refresher;
use super::RefreshError;
use crate::secrets::{self, FirmSecretsError, SecretPlace};
use crate::snapshot::{connection_state, PgSnapshotRows, SnapshotRowsError};
use crate::{FirmDbError, FirmPool};

/// What one fetch gave.
#[derive(Debug)]
pub enum Fetched {
    /// Nothing was fetched and nothing is written: the connection is no longer in the book
    /// (deleted, or no longer this advisor's), or its row could not be read.
    NotFetched,
    /// The provider's answer — a failure included — or ours before any provider call (no
    /// gateway for the provider, credentials that cannot be opened), as a `Configuration`
    /// failure the advisor must act on, like the solo engine.
    Answered {
        provider: Provider,
        /// Boxed: a snapshot is large, the other answers small.
        result: Result<Box<Snapshot>, ProviderFailure>,
    },
    /// The run was cancelled while the provider was being asked: nothing is recorded, the
    /// lease is given back (`Refresher::abandoned`).
    Cancelled,
}

pub struct ProviderRefresher {
    pool: FirmPool,
    keychain: KeychainCache,
    gateways: HashMap<Provider, Arc<dyn ProviderGateway>>,
    polling: StatusPolling,
    /// How long the reads before a fetch wait out an unreachable database.
    patience: Duration,
    runtime: Runtime,
    /// Set by the app's round: a cancelled run stops the fetch in flight.
    cancel: Option<CancelToken>,
}

/// Where the async gateways run: a runtime of the refresher's own (a desktop process, a test
/// thread), or the app's, whose runtime already drives the same HTTP clients for its other
/// work (a client's pooled connections belong to the runtime that opened them).
enum Runtime {
    Own(tokio::runtime::Runtime),
    Shared(tokio::runtime::Handle),
}

impl Runtime {
    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        match self {
            Runtime::Own(runtime) => runtime.block_on(future),
            Runtime::Shared(handle) => handle.block_on(future),
        }
    }
}

impl ProviderRefresher {
    /// `keychain` holds the firm key (by version); `gateways` one per provider the firm uses.
    pub fn new(
        pool: FirmPool,
        keychain: Arc<dyn SecretStore>,
        gateways: impl IntoIterator<Item = Arc<dyn ProviderGateway>>,
    ) -> std::io::Result<ProviderRefresher> {
        Ok(ProviderRefresher {
            pool,
            keychain: KeychainCache::new(keychain),
            gateways: gateways.into_iter().map(|g| (g.provider(), g)).collect(),
            polling: StatusPolling {
                initial: Duration::from_secs(2),
                max: Duration::from_secs(30),
                deadline: Duration::from_secs(120),
            },
            patience: Duration::from_secs(120),
            // The gateways are async; a desktop's worker is a plain thread.
            runtime: Runtime::Own(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?,
            ),
            cancel: None,
        })
    }

    /// Drives the gateways on `handle` (the app's runtime) instead of a runtime of its own.
    /// The refresher must then be used from a thread outside that runtime's async tasks (a
    /// blocking thread), as `Handle::block_on` requires.
    pub fn on_runtime(mut self, handle: tokio::runtime::Handle) -> Self {
        self.runtime = Runtime::Shared(handle);
        self
    }

    /// A fetch in flight ends as [`Fetched::Cancelled`] once `cancel` is cancelled.
    pub fn with_cancel(mut self, cancel: CancelToken) -> Self {
        self.cancel = Some(cancel);
        self
    }

    pub fn with_status_polling(mut self, polling: StatusPolling) -> Self {
        self.polling = polling;
        self
    }

    pub fn with_patience(mut self, patience: Duration) -> Self {
        self.patience = patience;
        self
    }

    /// The connection's provider and its opened credentials, waiting out a database outage
    /// (its lease is renewed by the heartbeat meanwhile).
    fn credentials(&self, connection_id: i64) -> Result<Credentials, RefreshError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            match self.try_credentials(connection_id) {
                Err(error) if error.is_transient() && started.elapsed() < self.patience => {
                    tracing::warn!(%error, "firm database unavailable before a fetch; trying again");
                    thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                other => return other,
            }
        }
    }

    fn try_credentials(&self, connection_id: i64) -> Result<Credentials, RefreshError> {
        let mut client = self.pool.get()?;
        let state = connection_state(&mut *client, connection_id)
            .map_err(|e| e.for_connection(connection_id))?;
        let Some(state) = state else {
            return Ok(Credentials::Gone);
        };
        let place = SecretPlace::Credentials { connection_id };
        match secrets::open(&mut *client, &self.keychain, place) {
            Ok(token) => Ok(Credentials::Opened(state.provider, token)),
            Err(FirmSecretsError::Database(FirmDbError::Database(e))) => {
                Err(RefreshError::Database(e))
            }
            Err(FirmSecretsError::Database(FirmDbError::Unreachable(why))) => {
                Err(RefreshError::Unreachable(why))
            }
            // Ours and final for this round (a key this desktop lacks, nothing stored): the
            // advisor's to fix, as the solo engine records a missing keychain entry. The code
            // and message name a row, never a secret.
            Err(other) => Ok(Credentials::Unopened(
                state.provider,
                ProviderFailure::new(FailureKind::Configuration)
                    .with_code(other.code())
                    .with_message(other.to_string()),
            )),
        }
    }
}

/// A connection's credentials, as far as they could be opened.
enum Credentials {
    /// The connection is no longer in the book (deleted, or no longer this advisor's).
    Gone,
    Opened(Provider, Secret),
    Unopened(Provider, ProviderFailure),
}

impl Refresher for ProviderRefresher {
    type Fetched = Fetched;

    fn fetch(&mut self, connection_id: i64) -> Fetched {
        let (provider, token) = match self.credentials(connection_id) {
            Ok(Credentials::Opened(provider, token)) => (provider, token),
            Ok(Credentials::Unopened(provider, failure)) => {
                return Fetched::Answered {
                    provider,
                    result: Err(failure),
                }
            }
            Ok(Credentials::Gone) => return Fetched::NotFetched,
            Err(error) => {
                // Nothing is known to be wrong with the connection (the database stayed away
                // longer than our patience, or holds a value this version cannot read): it is
                // left as it is, for the next round.
                tracing::warn!(%error, connection_id, "credentials not read; not fetched");
                return Fetched::NotFetched;
            }
        };
        let Some(gateway) = self.gateways.get(&provider).cloned() else {
            let failure = ProviderFailure::new(FailureKind::Configuration)
                .with_code("provider_not_configured")
                .with_message(format!("{} is not configured", provider.as_str()));
            return Fetched::Answered {
                provider,
                result: Err(failure),
            };
        };
        let quiet = |_| {};
        let fetch = fetch_snapshot(gateway.as_ref(), &token, self.polling, &quiet);
        let result = match self.cancel.clone() {
            None => self.runtime.block_on(fetch),
            Some(cancel) => {
                let answered = self.runtime.block_on(async {
                    tokio::select! {
                        result = fetch => Some(result),
                        _ = cancel.cancelled() => None,
                    }
                });
                match answered {
                    Some(result) => result,
                    None => return Fetched::Cancelled,
                }
            }
        };
        Fetched::Answered {
            provider,
            result: result.map(Box::new),
        }
    }

    fn outcome(&self, _connection_id: i64, fetched: &Fetched) -> Outcome {
        outcome_of(fetched)
    }

    fn abandoned(&self, fetched: &Fetched) -> bool {
        matches!(fetched, Fetched::Cancelled)
    }

    fn write(
        &mut self,
        tx: &mut Transaction<'_>,
        connection_id: i64,
        fetched: &Fetched,
    ) -> Result<(), RefreshError> {
        let Fetched::Answered { result, .. } = fetched else {
            return Ok(());
        };
        let as_refresh = |e: SnapshotRowsError| e.for_connection(connection_id);
        // Read in the completing transaction: the status a failure leads from is the current one.
        let Some(state) = connection_state(tx, connection_id).map_err(as_refresh)? else {
            return Ok(()); // deleted since the fetch
        };
        let now = time::now();
        let rows = PgSnapshotRows::new(tx);
        match result {
            Ok(snapshot) => {
                write_snapshot(&rows, connection_id, snapshot, now).map_err(as_refresh)?;
                // A new connection's first data: held back when its holders are someone else.
                check_first_snapshot(&rows, connection_id, state.client_id, snapshot, "sync")
                    .map_err(as_refresh)?;
                rows.record_success(
                    connection_id,
                    now,
                    snapshot.data_as_of,
                    snapshot.institution.name.as_deref(),
                )
                .map_err(as_refresh)
            }
            Err(failure) => {
                let record =
                    FailureRecord::after(state.status, state.consecutive_failures, failure, now);
                rows.record_failure(
                    connection_id,
                    record.status,
                    &record.failure,
                    record.failures,
                    now,
                )
                .map_err(as_refresh)
            }
        }
    }
}

/// The outcome row of a fetch: non-secret facts only (the provider, counts, a failure's kind).
pub fn outcome_of(fetched: &Fetched) -> Outcome {
    match fetched {
        Fetched::NotFetched => Outcome {
            kind: OutcomeKind::Failed,
            detail: json!({"failure": "not_fetched"}),
        },
        // Never recorded (the worker gives the lease back); named for completeness.
        Fetched::Cancelled => Outcome {
            kind: OutcomeKind::Failed,
            detail: json!({"failure": "cancelled"}),
        },
        Fetched::Answered {
            provider,
            result: Ok(snapshot),
        } => Outcome {
            kind: OutcomeKind::Refreshed,
            detail: json!({
                "provider": provider.as_str(),
                "accounts": snapshot.accounts.len(),
                "holdings": snapshot.holdings.len(),
                "transactions": snapshot.transactions.len(),
            }),
        },
        Fetched::Answered {
            provider,
            result: Err(failure),
        } => Outcome {
            kind: OutcomeKind::Failed,
            detail: json!({"provider": provider.as_str(), "failure": failure.kind.as_str()}),
        },
    }
}

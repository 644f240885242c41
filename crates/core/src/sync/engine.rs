//! Runs syncs: one connection at a time through the seed-003 state machine, or many with
//! bounded concurrency, where one failing connection never stops the others.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::store::queries::call_log::write::SyncRun;
use crate::store::queries::{call_log, connections};
use serde::Serialize;

use super::call_log::CallBuffer;
use super::cancel::CancelToken;
use super::connections::Connection;
use super::fetch::{fetch_snapshot, StatusPolling};
use super::gateway::ProviderGateway;
use super::holder_check::check_first_snapshot;
use super::progress::{ProgressSink, SyncProgress, SyncStep};
use super::snapshot_writer::{write_snapshot, WriteStats};
use crate::credentials;
use crate::domain::{ConnectionStatus, FailureKind, Provider, ProviderFailure, Snapshot};
use crate::error::{CoreError, IpcError, Result};
use crate::secrets::{Secret, SecretStore};
use crate::store::Store;
use crate::time::{self, Timestamp};

#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Connections synced at the same time.
    pub concurrency: usize,
    /// First wait between status polls while the provider is still pending; doubles up to
    /// `status_poll_max`.
    pub status_poll_initial: Duration,
    pub status_poll_max: Duration,
    /// How long one sync waits for a pending credential before giving up until next time.
    pub status_deadline: Duration,
    /// `trigger` written to `sync_runs` (`manual`, `cli`, `schedule` …).
    pub trigger: String,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            concurrency: 8,
            status_poll_initial: Duration::from_secs(2),
            status_poll_max: Duration::from_secs(30),
            status_deadline: Duration::from_secs(120),
            trigger: "manual".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum SyncResult {
    Synced {
        stats: WriteStats,
    },
    Failed {
        failure: ProviderFailure,
    },
    /// Not a provider problem: keychain, database.
    Error {
        error: IpcError,
    },
    Cancelled,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct ConnectionOutcome {
    pub connection_id: i64,
    pub client_id: i64,
    pub provider: Provider,
    pub status: ConnectionStatus,
    /// The state before this sync: what "newly needs someone" compares against.
    pub previous_status: ConnectionStatus,
    #[serde(flatten)]
    pub result: SyncResult,
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct SyncSummary {
    pub total: usize,
    pub synced: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub rows_written: u64,
    pub elapsed_ms: u64,
    pub outcomes: Vec<ConnectionOutcome>,
}

#[derive(Clone)]
pub struct SyncEngine {
    store: Arc<Store>,
    secrets: Arc<dyn SecretStore>,
    gateways: HashMap<Provider, Arc<dyn ProviderGateway>>,
    calls: Arc<CallBuffer>,
    options: SyncOptions,
    /// Connections fetching from providers at once. Held only while fetching, not while
    /// saving, so a connection waiting for the single writer never idles a fetch slot.
    fetch_slots: Arc<tokio::sync::Semaphore>,
}

impl SyncEngine {
    /// `calls` is the buffer the provider clients record into; the engine flushes it to the
    /// store after each connection.
    pub fn new(
        store: Arc<Store>,
        secrets: Arc<dyn SecretStore>,
        gateways: Vec<Arc<dyn ProviderGateway>>,
        calls: Arc<CallBuffer>,
        options: SyncOptions,
    ) -> Self {
        let gateways = gateways.into_iter().map(|g| (g.provider(), g)).collect();
        SyncEngine {
            store,
            secrets,
            gateways,
            calls,
            fetch_slots: Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1))),
            options,
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Connections a scheduled refresh should try now: not removed, and not waiting for a
    /// retry time in the future.
    pub fn due_connections(&self, now: Timestamp) -> Result<Vec<i64>> {
        Ok(super::connections::list(&self.store, None)?
            .into_iter()
            .filter(|c| c.status != ConnectionStatus::Removed)
            .filter(|c| c.next_retry_at.is_none_or(|at| at <= now))
            .map(|c| c.id)
            .collect())
    }

    /// What a scheduled refresh runs: every due connection (see
    /// [`due_connections`](Self::due_connections)), with the same engine as a manual sync.
    pub async fn sync_due(
        &self,
        progress: ProgressSink,
        cancel: CancelToken,
    ) -> Result<SyncSummary> {
        let ids = self.due_connections(time::now())?;
        Ok(self.sync_many(ids, progress, cancel).await)
    }

    /// Syncs the given connections, at most `concurrency` at a time.
    pub async fn sync_many(
        &self,
        ids: Vec<i64>,
        progress: ProgressSink,
        cancel: CancelToken,
    ) -> SyncSummary {
        let started = Instant::now();
        let total = ids.len();
        let done = Arc::new(AtomicUsize::new(0));
        let mut labels = self.institution_labels().await;
        let mut set = tokio::task::JoinSet::new();
        for (index, id) in ids.into_iter().enumerate() {
            let engine = self.clone();
            let (progress, cancel, done) = (progress.clone(), cancel.clone(), done.clone());
            let institution = labels.remove(&id).unwrap_or_default();
            set.spawn(async move {
                let report = |step| {
                    progress(SyncProgress {
                        done: done.load(Ordering::SeqCst),
                        total,
                        connection_id: id,
                        institution: institution.clone(),
                        step,
                    })
                };
                let outcome = if cancel.is_cancelled() {
                    engine.cancelled_outcome(id)
                } else {
                    tokio::select! {
                        o = engine.sync_one(id, &report) => o,
                        _ = cancel.cancelled() => engine.cancelled_outcome(id),
                    }
                };
                done.fetch_add(1, Ordering::SeqCst);
                report(match &outcome.result {
                    SyncResult::Cancelled => SyncStep::Cancelled,
                    r => SyncStep::Finished {
                        status: outcome.status,
                        ok: matches!(r, SyncResult::Synced { .. }),
                    },
                });
                (index, outcome)
            });
        }
        let mut outcomes = Vec::with_capacity(total);
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(pair) => outcomes.push(pair),
                Err(e) => tracing::error!(error = %e, "a sync task panicked"),
            }
        }
        outcomes.sort_by_key(|(i, _)| *i);
        let mut summary = SyncSummary {
            total,
            elapsed_ms: started.elapsed().as_millis() as u64,
            ..Default::default()
        };
        for (_, o) in outcomes {
            match &o.result {
                SyncResult::Synced { stats } => {
                    summary.synced += 1;
                    summary.rows_written += stats.written();
                }
                SyncResult::Cancelled => summary.cancelled += 1,
                _ => summary.failed += 1,
            }
            summary.outcomes.push(o);
        }
        summary
    }

    /// Every connection's institution as the progress bar names it (empty when the store
    /// cannot be read: the bar then shows the count alone).
    async fn institution_labels(&self) -> HashMap<i64, String> {
        self.blocking(|s| super::connections::list(&s.store, None))
            .await
            .map(|list| {
                list.iter()
                    .map(|c| (c.id, crate::reads::client::institution_label(c)))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn cancelled_outcome(&self, id: i64) -> ConnectionOutcome {
        let (client_id, provider, status) = match super::connections::get(&self.store, id) {
            Ok(c) => (c.client_id, c.provider, c.status),
            Err(_) => (0, Provider::Flanks, ConnectionStatus::Pending),
        };
        ConnectionOutcome {
            connection_id: id,
            client_id,
            provider,
            status,
            previous_status: status,
            result: SyncResult::Cancelled,
        }
    }

    /// Syncs one connection and records the outcome (status, timestamps, sync run).
    pub async fn sync_one(&self, id: i64, report: &(dyn Fn(SyncStep) + Sync)) -> ConnectionOutcome {
        let conn = match self
            .blocking(move |s| super::connections::get(&s.store, id))
            .await
        {
            Ok(c) => c,
            Err(e) => {
                return ConnectionOutcome {
                    connection_id: id,
                    client_id: 0,
                    provider: Provider::Flanks,
                    status: ConnectionStatus::Pending,
                    previous_status: ConnectionStatus::Pending,
                    result: SyncResult::Error { error: e.into() },
                }
            }
        };
        let previous_status = conn.status;
        let (started, fetched) = {
            let _slot = self.fetch_slots.acquire().await;
            // The attempt starts when its fetch slot is granted (for `sync_runs`).
            (time::now(), self.fetch(&conn, report).await)
        };
        let (client_id, provider) = (conn.client_id, conn.provider);
        let trigger = self.options.trigger.clone();
        let result = match fetched {
            Ok(Ok(snapshot)) => {
                report(SyncStep::Saving);
                self.blocking(move |s| {
                    s.record_success(&conn, &snapshot, started, &trigger)
                        .map(|(st, status)| (SyncResult::Synced { stats: st }, status))
                })
                .await
            }
            Ok(Err(failure)) => {
                self.blocking(move |s| {
                    s.record_failure(&conn, &failure, started, &trigger)
                        .map(|(failure, status)| (SyncResult::Failed { failure }, status))
                })
                .await
            }
            // Ours, before any provider call (keychain, configuration): the advisor must act,
            // and the connection says so instead of silently keeping its old state.
            Err(e) => {
                let failure = ProviderFailure::new(FailureKind::Configuration)
                    .with_code(e.code().as_str())
                    .with_message(e.to_string());
                let error = IpcError::from(&e);
                self.blocking(move |s| {
                    s.record_failure(&conn, &failure, started, &trigger)
                        .map(|(_, status)| (SyncResult::Error { error }, status))
                })
                .await
            }
        };
        match result {
            Ok((result, status)) => ConnectionOutcome {
                connection_id: id,
                client_id,
                provider,
                status,
                previous_status,
                result,
            },
            Err(e) => ConnectionOutcome {
                connection_id: id,
                client_id,
                provider,
                status: super::connections::get(&self.store, id)
                    .map(|c| c.status)
                    .unwrap_or(ConnectionStatus::Pending),
                previous_status,
                result: SyncResult::Error { error: e.into() },
            },
        }
    }

    /// Status polling (pending → ready with backoff and a deadline), then the snapshot.
    /// The outer error is ours (keychain, missing gateway); the inner one the provider's.
    async fn fetch(
        &self,
        conn: &Connection,
        report: &(dyn Fn(SyncStep) + Sync),
    ) -> Result<Result<Snapshot, ProviderFailure>> {
        let gateway = self.gateways.get(&conn.provider).cloned().ok_or_else(|| {
            CoreError::invalid(format!("{} is not configured", conn.provider.as_str()))
        })?;
        let row = conn.clone();
        let token: Secret = self
            .blocking(move |s| credentials::token_of(s.secrets.as_ref(), &row))
            .await?
            .ok_or_else(|| {
                CoreError::invalid(
                    "the connection's token is missing from the keychain: connect it again",
                )
            })?;
        let polling = StatusPolling {
            initial: self.options.status_poll_initial,
            max: self.options.status_poll_max,
            deadline: self.options.status_deadline,
        };
        Ok(fetch_snapshot(gateway.as_ref(), &token, polling, report).await)
    }

    fn record_success(
        &self,
        conn: &Connection,
        snapshot: &Snapshot,
        started: Timestamp,
        trigger: &str,
    ) -> Result<(WriteStats, ConnectionStatus)> {
        let now = time::now();
        self.store.write(|tx| {
            self.calls.flush_into(tx)?;
            let stats = write_snapshot(tx, conn.id, snapshot, now)?;
            // A new connection's first data: held back when its holders are someone else.
            check_first_snapshot(tx, conn.id, conn.client_id, snapshot, "sync")?;
            connections::write::record_success(
                tx,
                conn.id,
                now,
                snapshot.data_as_of,
                snapshot.institution.name.as_deref(),
            )?;
            call_log::write::record_sync_run(
                tx,
                &SyncRun {
                    connection_id: conn.id,
                    trigger,
                    started,
                    finished: now,
                    result: Ok(&stats),
                },
            )?;
            Ok((stats, ConnectionStatus::Ready))
        })
    }

    fn record_failure(
        &self,
        conn: &Connection,
        failure: &ProviderFailure,
        started: Timestamp,
        trigger: &str,
    ) -> Result<(ProviderFailure, ConnectionStatus)> {
        let now = time::now();
        let FailureRecord {
            status,
            failures,
            failure,
        } = FailureRecord::after(conn.status, conn.consecutive_failures, failure, now);
        self.store.write(|tx| {
            self.calls.flush_into(tx)?;
            connections::write::record_failure(tx, conn.id, status, &failure, failures, now)?;
            call_log::write::record_sync_run(
                tx,
                &SyncRun {
                    connection_id: conn.id,
                    trigger,
                    started,
                    finished: now,
                    result: Err(failure.kind.as_str()),
                },
            )?;
            Ok(())
        })?;
        Ok((failure, status))
    }

    /// Runs blocking store / keychain work off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&SyncEngine) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let engine = self.clone();
        tokio::task::spawn_blocking(move || f(&engine))
            .await
            .map_err(|e| CoreError::invalid(format!("a background task failed: {e}")))?
    }
}

/// What a failed sync records on its connection (the solo engine's and a firm's refresh).
#[derive(Debug, Clone)]
pub struct FailureRecord {
    /// The status the failure leads to from the connection's status before it.
    pub status: ConnectionStatus,
    /// Consecutive failures, this one included.
    pub failures: u32,
    /// The failure, with when to try again when it is transient and the provider gave no date.
    pub failure: ProviderFailure,
}

impl FailureRecord {
    pub fn after(
        status: ConnectionStatus,
        consecutive_failures: u32,
        failure: &ProviderFailure,
        now: Timestamp,
    ) -> FailureRecord {
        let failures = consecutive_failures.saturating_add(1);
        let mut failure = failure.clone();
        if failure.kind.is_transient() && failure.retry_at.is_none() {
            failure.retry_at = Some(now + retry_backoff(failure.kind, failures));
        }
        FailureRecord {
            status: status.after_failure(failure.kind),
            failures,
            failure,
        }
    }
}

/// When to retry after a transient failure: 5 minutes, doubling per consecutive failure, at
/// most 6 hours. Pending credentials are checked again after 10 minutes.
pub fn retry_backoff(kind: FailureKind, consecutive_failures: u32) -> chrono::Duration {
    if kind == FailureKind::Pending {
        return chrono::Duration::minutes(10);
    }
    let exp = consecutive_failures.saturating_sub(1).min(7);
    chrono::Duration::minutes(5 * (1i64 << exp)).min(chrono::Duration::hours(6))
}

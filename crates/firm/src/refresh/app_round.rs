//! "Update all" (or "Update client") in firm mode, as the app runs it: this desktop starts the
//! firm's refresh round or joins the one open, works on it with the production refresher
//! through the worker (claims with leases, so a connection another desktop holds is not fetched
//! twice), and ends with the solo sync's own shapes — `SyncProgress` events while it runs and a
//! `SyncSummary` and `RunReport` read from the round's outcomes — so the window shows a firm
//! update exactly as a solo one.
//!
//! The round is the firm's, not this click's: a joined round may hold connections another
//! desktop brought, and this desktop works on (and reports) every one of them its role sees.

use std::collections::HashMap;
use std::time::Instant;

use advisor_desk_core::domain::{ConnectionStatus, FailureKind, ProviderFailure};
use advisor_desk_core::reads::client::institution_label;
use advisor_desk_core::sync::progress::ProgressSink;
use advisor_desk_core::sync::run_report::report_of;
use advisor_desk_core::sync::{
    CancelToken, Connection, ConnectionOutcome, RunReport, SyncProgress, SyncResult, SyncScope,
    SyncStep, SyncSummary, WriteStats,
};
use advisor_desk_core::IpcError;
use postgres::{Client, GenericClient};
use serde_json::Value;

use super::claims::{self, Outcome, OutcomeKind};
use super::worker::{run_round_until, Refresher, WorkerConfig};
use super::RefreshError;
use crate::queries::{clients, connections};
use crate::snapshot::connection_state;
use crate::{FirmDbError, FirmPool};

/// The connection ids a scope covers on the firm book, as the member sees it (removed ones
/// never), as the core's `schedule::scope_ids` on the solo book; an unknown connection is
/// `not_found` there, here it is simply not in the answer.
pub fn scope_ids(db: &mut impl GenericClient, scope: SyncScope) -> Result<Vec<i64>, FirmDbError> {
    let client = match scope {
        SyncScope::Client(id) => Some(id),
        SyncScope::Connection(_) | SyncScope::All => None,
    };
    Ok(connections::read::list(db, client)?
        .into_iter()
        .filter(|c| c.status != ConnectionStatus::Removed)
        .filter(|c| !matches!(scope, SyncScope::Connection(id) if id != c.id))
        .map(|c| c.id)
        .collect())
}

/// Brings `due` into the firm's round (started or joined), refreshes this desktop's share of
/// it through `refresher` until the round has nothing left this desktop sees, or `cancel`
/// (then the leases not yet fetched are given back), and sums up the round's outcomes.
pub fn refresh_in_round<R: Refresher>(
    pool: &FirmPool,
    config: &WorkerConfig,
    due: &[i64],
    refresher: &mut R,
    progress: ProgressSink,
    cancel: &CancelToken,
) -> Result<SyncSummary, RefreshError> {
    let started = Instant::now();
    let mut client = pool.get()?;
    // The states before: what "newly needs someone" compares against, and the bar's names.
    let before: HashMap<i64, Connection> = connections::read::list(&mut *client, None)?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let round_id = claims::start_round(&mut client, &config.desktop, due)?.round_id();
    drop(client);
    let mut reporting = Reporting {
        inner: refresher,
        pool: pool.clone(),
        round_id,
        labels: before
            .values()
            .map(|c| (c.id, institution_label(c)))
            .collect(),
        progress,
        done: 0,
        total: 0,
    };
    reporting.count();
    run_round_until(pool, config, round_id, &mut reporting, &|| {
        cancel.is_cancelled()
    })?;
    let mut client = pool.get()?;
    let mut summary = summary_of_round(&mut client, round_id, &before)?;
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    for outcome in summary.outcomes.iter().filter(|o| is_cancelled(o)) {
        reporting.emit(outcome.connection_id, SyncStep::Cancelled);
    }
    Ok(summary)
}

fn is_cancelled(outcome: &ConnectionOutcome) -> bool {
    matches!(outcome.result, SyncResult::Cancelled)
}

/// The round as this desktop's role sees it: each connection's outcome (by whichever desktop
/// recorded it), and the ones not completed (the run was cancelled) as cancelled.
pub fn summary_of_round(
    client: &mut Client,
    round_id: i64,
    before: &HashMap<i64, Connection>,
) -> Result<SyncSummary, RefreshError> {
    let rows = client.query(
        "select connection_id, outcome, detail from refresh_outcomes where round_id = $1
         union all
         select connection_id, null, null from refresh_leases
         where round_id = $1 and completed_at is null
         order by 1",
        &[&round_id],
    )?;
    let after: HashMap<i64, Connection> = connections::read::list(client, None)?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut summary = SyncSummary::default();
    for row in rows {
        let id: i64 = row.get(0);
        // Deleted since (or no longer this member's): nothing to report on it.
        let Some(now) = after.get(&id) else { continue };
        let result = result_of(row.get(1), row.get(2), now);
        match &result {
            SyncResult::Synced { .. } => summary.synced += 1,
            SyncResult::Cancelled => summary.cancelled += 1,
            _ => summary.failed += 1,
        }
        summary.outcomes.push(ConnectionOutcome {
            connection_id: id,
            client_id: now.client_id,
            provider: now.provider,
            status: now.status,
            previous_status: before.get(&id).map_or(now.status, |c| c.status),
            result,
        });
    }
    summary.total = summary.outcomes.len();
    Ok(summary)
}

/// An outcome row as the engine's result: refreshed, failed with the provider's kind (and the
/// wording the connection now carries), or not completed in this round.
fn result_of(outcome: Option<&str>, detail: Option<Value>, now: &Connection) -> SyncResult {
    let failure = detail
        .as_ref()
        .and_then(|d| d.get("failure"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match outcome {
        None => SyncResult::Cancelled,
        Some("refreshed") => SyncResult::Synced {
            // The counts of rows written stay with the desktop that wrote them.
            stats: WriteStats::default(),
        },
        Some(_) => match FailureKind::parse(&failure) {
            Some(kind) => {
                let mut f = ProviderFailure::new(kind);
                f.provider_code = now.provider_code.clone();
                f.provider_message = now.provider_message.clone();
                SyncResult::Failed { failure: f }
            }
            // Ours, not the provider's: the connection could not be read for its fetch.
            None => SyncResult::Error {
                error: IpcError {
                    code: failure,
                    message: "the connection was not fetched in this round".into(),
                },
            },
        },
    }
}

/// The end-of-update report of a firm round, with the client names and institutions the
/// member sees (the core's `report_of`, as the solo `run_report`).
pub fn run_report(
    db: &mut impl GenericClient,
    summary: &SyncSummary,
) -> Result<RunReport, FirmDbError> {
    let names = clients::read::list(db, true)?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let institutions = connections::read::list(db, None)?
        .iter()
        .map(|c| (c.id, institution_label(c)))
        .collect();
    Ok(report_of(summary, &names, &institutions))
}

/// The refresher as the window watches it: a `Fetching` step before each fetch, a `Finished`
/// step once its completion is committed, with the round's done / total as this role sees it.
struct Reporting<'r, R> {
    inner: &'r mut R,
    pool: FirmPool,
    round_id: i64,
    labels: HashMap<i64, String>,
    progress: ProgressSink,
    done: usize,
    total: usize,
}

impl<R> Reporting<'_, R> {
    /// Reads the round's done / total again (other desktops complete connections too). A read
    /// that fails keeps the counts the bar had: progress is never worth failing a round for.
    fn count(&mut self) {
        let counted = self
            .pool
            .get()
            .map_err(RefreshError::from)
            .and_then(|mut c| claims::progress(&mut c, self.round_id));
        if let Ok(p) = counted {
            self.done = usize::try_from(p.completed).unwrap_or_default();
            self.total = usize::try_from(p.due).unwrap_or_default();
        }
    }

    fn emit(&self, connection_id: i64, step: SyncStep) {
        (self.progress)(SyncProgress {
            done: self.done,
            total: self.total,
            connection_id,
            institution: self.labels.get(&connection_id).cloned().unwrap_or_default(),
            step,
        });
    }

    fn status_now(&self, connection_id: i64) -> Option<ConnectionStatus> {
        let mut client = self.pool.get().ok()?;
        Some(connection_state(&mut *client, connection_id).ok()??.status)
    }
}

impl<R: Refresher> Refresher for Reporting<'_, R> {
    type Fetched = R::Fetched;

    fn fetch(&mut self, connection_id: i64) -> R::Fetched {
        self.emit(connection_id, SyncStep::Fetching);
        self.inner.fetch(connection_id)
    }

    fn outcome(&self, connection_id: i64, fetched: &R::Fetched) -> Outcome {
        self.inner.outcome(connection_id, fetched)
    }

    fn write(
        &mut self,
        tx: &mut postgres::Transaction<'_>,
        connection_id: i64,
        fetched: &R::Fetched,
    ) -> Result<(), RefreshError> {
        self.inner.write(tx, connection_id, fetched)
    }

    fn abandoned(&self, fetched: &R::Fetched) -> bool {
        self.inner.abandoned(fetched)
    }

    fn recorded(&mut self, connection_id: i64, fetched: &R::Fetched) {
        self.inner.recorded(connection_id, fetched);
        self.count();
        let ok = self.inner.outcome(connection_id, fetched).kind == OutcomeKind::Refreshed;
        let status = self
            .status_now(connection_id)
            .unwrap_or(ConnectionStatus::Pending);
        self.emit(connection_id, SyncStep::Finished { status, ok });
    }
}

//! One desktop's part in a round: claim a few due connections, fetch each once, complete each
//! with its snapshot, until the round is finished — riding out a database that goes away.
//!
//! Exactly-once fetching rests on three rules: a connection is fetched only under a lease this
//! desktop still holds (renewed just before the fetch); a fetched result is completed, retried
//! through database outages, never fetched again; and a completion after a lost lease is refused
//! by the database (fencing), so another desktop's result is never overwritten.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use postgres::{Client, Transaction};

use super::claims::{self, Completion, Lease, Outcome};
use super::RefreshError;
use crate::FirmPool;

/// What a desktop does with one claimed connection. In the app: the core's sync gateway for
/// `fetch`, the snapshot writer for `write`.
pub trait Refresher {
    /// Everything the provider answered, kept until written.
    type Fetched;

    /// Calls the provider for `connection_id`: the one fetch of that connection this round.
    /// A provider failure is a result too (recorded as a failed outcome), not an error here.
    fn fetch(&mut self, connection_id: i64) -> Self::Fetched;

    /// The outcome row for what was fetched (non-secret facts only).
    fn outcome(&self, connection_id: i64, fetched: &Self::Fetched) -> Outcome;

    /// Writes what was fetched inside the completing transaction. May run more than once when
    /// the database fails before the commit is confirmed; only one run is ever committed.
    fn write(
        &mut self,
        tx: &mut Transaction<'_>,
        connection_id: i64,
        fetched: &Self::Fetched,
    ) -> Result<(), RefreshError>;

    /// The fetch was stopped before the provider answered (the run was cancelled): nothing is
    /// recorded and the lease is given back, so the connection stays due in the round.
    fn abandoned(&self, _fetched: &Self::Fetched) -> bool {
        false
    }

    /// Called once the connection's completion is committed (or found already committed).
    fn recorded(&mut self, _connection_id: i64, _fetched: &Self::Fetched) {}
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// This desktop's name in the lease and outcome rows (who holds or did what).
    pub desktop: String,
    /// Connections claimed at a time: small, so a desktop that dies strands few of them.
    pub batch: i64,
    /// How long a claim lasts without renewal; renewed before every fetch.
    pub lease: Duration,
    /// How often to look again when everything left is leased by others.
    pub poll: Duration,
    /// How long the database may stay unreachable before the round is abandoned.
    pub give_up_after: Duration,
}

impl WorkerConfig {
    pub fn new(desktop: impl Into<String>) -> Self {
        WorkerConfig {
            desktop: desktop.into(),
            batch: 4,
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(500),
            give_up_after: Duration::from_secs(120),
        }
    }
}

/// What one desktop did in a round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Connections this desktop fetched and recorded.
    pub completed: usize,
    /// Connections whose lease was lost before their fetch (skipped) or at completion (refused).
    pub lost: usize,
    /// Database operations repeated after a transient failure.
    pub retries: usize,
    /// The desktop stopped before the round's end (cancelled): its unfetched leases were given
    /// back for another desktop, or the next round, to take.
    pub stopped: bool,
}

/// Works on `round_id` until it is finished. The pool needs two connections: one for the
/// worker, one for the lease heartbeat.
pub fn run_round<R: Refresher>(
    pool: &FirmPool,
    config: &WorkerConfig,
    round_id: i64,
    refresher: &mut R,
) -> Result<RoundReport, RefreshError> {
    run_round_until(pool, config, round_id, refresher, &|| false)
}

/// [`run_round`] that also ends when `stop` says so (the advisor cancelled): checked before
/// each claim and each fetch; the leases not yet fetched are given back at once rather than
/// left to expire, so another desktop may take them.
pub fn run_round_until<R: Refresher>(
    pool: &FirmPool,
    config: &WorkerConfig,
    round_id: i64,
    refresher: &mut R,
    stop: &dyn Fn() -> bool,
) -> Result<RoundReport, RefreshError> {
    let mut worker = Worker {
        pool,
        config,
        report: RoundReport::default(),
    };
    let heartbeat = Heartbeat::start(pool.clone(), config.lease);
    loop {
        if stop() {
            heartbeat.stop();
            worker.report.stopped = true;
            return Ok(worker.report);
        }
        let mut batch = worker.with_retry(|client| {
            claims::claim(
                client,
                round_id,
                &config.desktop,
                config.batch,
                config.lease,
            )
        })?;
        if batch.is_empty() {
            if worker.round_is_over(round_id)? {
                heartbeat.stop();
                return Ok(worker.report);
            }
            // The rest is leased by others: wait for their completions or their expiry.
            thread::sleep(config.poll);
            continue;
        }
        while !batch.is_empty() {
            batch = worker.renew(&batch)?;
            // Renewed in the background while the fetches run, as long as this desktop lives.
            heartbeat.keep(&batch);
            if stop() {
                worker.release(&batch)?;
                heartbeat.stop();
                worker.report.stopped = true;
                return Ok(worker.report);
            }
            let Some(lease) = batch.first().cloned() else {
                break;
            };
            batch.remove(0);
            worker.refresh_one(&lease, refresher)?;
        }
        heartbeat.keep(&[]);
    }
}

/// Renews the leases a desktop holds every third of their duration, on its own thread and
/// pooled connection, so a fetch longer than a lease (a slow provider) does not lose it; the
/// leases of a desktop that dies stop being renewed and expire.
struct Heartbeat {
    held: Arc<Mutex<Vec<Lease>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Heartbeat {
    fn start(pool: FirmPool, lease: Duration) -> Heartbeat {
        let held: Arc<Mutex<Vec<Lease>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (beat_held, beat_stop) = (held.clone(), stop.clone());
        let thread = thread::spawn(move || {
            let tick = Duration::from_millis(50);
            let mut last = Instant::now();
            while !beat_stop.load(Ordering::Relaxed) {
                thread::sleep(tick);
                if last.elapsed() < lease / 3 {
                    continue;
                }
                last = Instant::now();
                let leases = beat_held.lock().unwrap_or_else(|e| e.into_inner()).clone();
                if leases.is_empty() {
                    continue;
                }
                let renewed = pool
                    .get()
                    .map_err(RefreshError::from)
                    .and_then(|mut client| claims::renew(&mut client, &leases, lease));
                // A failure here is met again (and retried) by the worker's own renewal.
                if let Err(error) = renewed {
                    tracing::warn!(%error, "lease heartbeat failed");
                }
            }
        });
        Heartbeat {
            held,
            stop,
            thread: Some(thread),
        }
    }

    fn keep(&self, leases: &[Lease]) {
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = leases.to_vec();
    }

    fn stop(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

struct Worker<'a> {
    pool: &'a FirmPool,
    config: &'a WorkerConfig,
    report: RoundReport,
}

impl Worker<'_> {
    /// Runs `op` on a pooled connection, again after a pause while the failure is transient.
    fn with_retry<T>(
        &mut self,
        mut op: impl FnMut(&mut Client) -> Result<T, RefreshError>,
    ) -> Result<T, RefreshError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            let attempt = self
                .pool
                .get()
                .map_err(RefreshError::from)
                .and_then(|mut client| op(&mut client));
            match attempt {
                Err(error)
                    if error.is_transient() && started.elapsed() < self.config.give_up_after =>
                {
                    tracing::warn!(%error, "firm database unavailable; trying again");
                    self.report.retries += 1;
                    thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                other => return other,
            }
        }
    }

    /// Renews the leases of the batch; drops (and counts) those lost.
    fn renew(&mut self, batch: &[Lease]) -> Result<Vec<Lease>, RefreshError> {
        let lease = self.config.lease;
        let held = self.with_retry(|client| claims::renew(client, batch, lease))?;
        let lost = batch.len() - held.len();
        if lost > 0 {
            tracing::warn!(
                lost,
                "leases lost before their fetch; left to their new holder"
            );
            self.report.lost += lost;
        }
        // Keep the claim order (the answer's order is the database's).
        Ok(batch
            .iter()
            .filter_map(|l| held.iter().find(|h| h.connection_id == l.connection_id))
            .cloned()
            .collect())
    }

    /// Gives back leases this desktop will not fetch.
    fn release(&mut self, leases: &[Lease]) -> Result<(), RefreshError> {
        if leases.is_empty() {
            return Ok(());
        }
        self.with_retry(|client| claims::release(client, leases))
    }

    fn refresh_one<R: Refresher>(
        &mut self,
        lease: &Lease,
        refresher: &mut R,
    ) -> Result<(), RefreshError> {
        let fetched = refresher.fetch(lease.connection_id);
        if refresher.abandoned(&fetched) {
            return self.release(std::slice::from_ref(lease));
        }
        let outcome = refresher.outcome(lease.connection_id, &fetched);
        let desktop = self.config.desktop.clone();
        let completion = self.with_retry(|client| {
            claims::complete(client, lease, &desktop, &outcome, |tx| {
                refresher.write(tx, lease.connection_id, &fetched)
            })
        });
        match completion {
            Ok(Completion::Recorded(())) | Ok(Completion::AlreadyRecorded) => {
                self.report.completed += 1;
                refresher.recorded(lease.connection_id, &fetched);
                Ok(())
            }
            Err(RefreshError::LeaseLost { connection_id, .. }) => {
                tracing::warn!(%connection_id, "lease lost before completion; result dropped");
                self.report.lost += 1;
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    /// Nothing left to claim: finished, or everything left is under someone's live lease.
    fn round_is_over(&mut self, round_id: i64) -> Result<bool, RefreshError> {
        let progress = self.with_retry(|client| claims::progress(client, round_id))?;
        if progress.finished {
            return Ok(true);
        }
        if progress.leased == 0 {
            // Completed, or left unclosed (its last connection deleted mid-round): close it.
            if self.with_retry(|client| claims::close_if_complete(client, round_id))? {
                return Ok(true);
            }
            // Still open for connections this desktop's role does not see (another advisor's,
            // for their desktops): this desktop's part is over once all it sees is completed.
            return Ok(progress.completed == progress.due);
        }
        Ok(false)
    }
}

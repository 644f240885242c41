//! Refresh throughput across the firm: one round of 200 connections refreshed by one, two and
//! three desktops (each a thread with its own pool, one fetch at a time) against a throw-away
//! PostgreSQL server. Two series, each printed as connections per second and the ratio to one
//! desktop measured in the same run:
//! - sandbox: each connection fetched through the providers' real clients from the sandbox over
//!   HTTP, with provider latency injected (`BENCH_LATENCY_MS`, default 50); checks that every
//!   connection was fetched once;
//! - coordination only: the fetch is a fixed sleep, so what is left is the claims, leases and
//!   completions themselves.

#[path = "../tests/refresh_support/mod.rs"]
mod refresh_support;

use std::thread;
use std::time::{Duration, Instant};

use advisor_desk_firm::refresh::{
    claims, worker, Outcome, OutcomeKind, RefreshError, Refresher, WorkerConfig,
};
use advisor_desk_firm::test_firm::TestFirm;
use advisor_desk_firm::test_server::TestServer;
use advisor_desk_firm::FirmDbConfig;
use advisor_desk_sandbox::{FaultKind, FaultRule};
use refresh_support::*;

const CONNECTIONS: usize = 200;
const SLEEP_FETCH: Duration = Duration::from_millis(100);

/// A fetch that only takes time: the coordination series.
struct SleepRefresher;

impl Refresher for SleepRefresher {
    type Fetched = ();

    fn fetch(&mut self, _connection_id: i64) {
        thread::sleep(SLEEP_FETCH);
    }

    fn outcome(&self, _connection_id: i64, _fetched: &()) -> Outcome {
        Outcome {
            kind: OutcomeKind::Refreshed,
            detail: serde_json::json!({}),
        }
    }

    fn write(
        &mut self,
        _tx: &mut postgres::Transaction<'_>,
        _connection_id: i64,
        _fetched: &(),
    ) -> Result<(), RefreshError> {
        Ok(())
    }
}

/// One round over `due` by `desktops` threads; returns its duration.
fn round<R: Refresher>(
    server: &TestServer,
    due: &[i64],
    desktops: usize,
    refresher: impl Fn() -> R + Sync,
) -> Duration {
    let database = TestFirm::migrated_on(server).database;
    let mut client = postgres::Client::connect(&database.superuser_url, postgres::NoTls).unwrap();
    install_tables(&mut client, due.iter().copied().max().unwrap_or(0));
    let round = claims::start_round(&mut client, "bench", due)
        .unwrap()
        .round_id();
    let started = Instant::now();
    thread::scope(|scope| {
        for n in 0..desktops {
            let (url, refresher) = (&database.superuser_url, &refresher);
            scope.spawn(move || {
                let pool = FirmDbConfig::new(url.as_str())
                    .with_pool_size(2)
                    .open_pool()
                    .unwrap();
                let config = WorkerConfig {
                    poll: Duration::from_millis(50),
                    ..WorkerConfig::new(format!("desktop-{n}"))
                };
                worker::run_round(&pool, &config, round, &mut refresher()).unwrap();
            });
        }
    });
    let elapsed = started.elapsed();
    let progress = claims::progress(&mut client, round).unwrap();
    assert!(progress.finished && progress.completed == due.len() as i64);
    elapsed
}

fn report(desktops: usize, elapsed: Duration, one_desktop: &mut Option<f64>) {
    let per_second = CONNECTIONS as f64 / elapsed.as_secs_f64();
    let ratio = per_second / *one_desktop.get_or_insert(per_second);
    println!(
        "  {desktops} desktop(s): {:6.2} s, {per_second:5.1} connections/s, ratio to one desktop {ratio:.2} (ideal {desktops}.00)",
        elapsed.as_secs_f64()
    );
}

fn main() {
    let latency_ms: u64 = std::env::var("BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let (runtime, sandbox) = start_sandbox(CONNECTIONS);
    let control = sandbox.control();
    let mut latency = FaultRule::new("*", FaultKind::Latency);
    latency.latency_ms = Some(latency_ms);
    runtime.block_on(control.add_fault(&latency)).unwrap();
    let book = runtime.block_on(control.book()).unwrap();
    let due: Vec<i64> = connections(&book).into_iter().map(|(id, _)| id).collect();
    let server = TestServer::start().unwrap();
    let sandbox_url = sandbox.base_url();

    println!(
        "refresh throughput, sandbox: {CONNECTIONS} connections, {latency_ms} ms latency per provider call"
    );
    let mut one_desktop = None;
    for desktops in 1..=3 {
        let before = fetches(&provider_calls(&runtime, &control));
        let elapsed = round(&server, &due, desktops, || {
            SandboxRefresher::new(&sandbox_url)
        });
        let after = fetches(&provider_calls(&runtime, &control));
        let fetched = (after.0 - before.0) + (after.1 - before.1);
        assert_eq!(fetched, CONNECTIONS as u64, "each connection fetched once");
        report(desktops, elapsed, &mut one_desktop);
    }

    println!(
        "refresh throughput, coordination only: {CONNECTIONS} connections, a fetch of {} ms",
        SLEEP_FETCH.as_millis()
    );
    let mut one_desktop = None;
    for desktops in 1..=3 {
        let elapsed = round(&server, &due, desktops, || SleepRefresher);
        report(desktops, elapsed, &mut one_desktop);
    }
    runtime.block_on(sandbox.shutdown());
}

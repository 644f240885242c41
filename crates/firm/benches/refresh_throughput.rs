//! Refresh throughput across the firm: one round of 200 sandbox connections refreshed by one,
//! two and three desktops (each a thread with its own pool, fetching one connection at a time
//! through the providers' real clients, with provider latency injected), against a throw-away
//! PostgreSQL server. Prints connections per second and the ratio to one desktop measured in
//! the same run; checks that every round fetched each connection once.

#[path = "../tests/refresh_support/mod.rs"]
mod refresh_support;

use std::thread;
use std::time::{Duration, Instant};

use advisor_desk_firm::refresh::{claims, worker, WorkerConfig};
use advisor_desk_firm::test_server::TestServer;
use advisor_desk_firm::FirmDbConfig;
use advisor_desk_sandbox::{FaultKind, FaultRule};
use refresh_support::*;

const CONNECTIONS: usize = 200;
const LATENCY_MS: u64 = 10;

fn main() {
    let (runtime, sandbox) = start_sandbox(CONNECTIONS);
    let control = sandbox.control();
    let mut latency = FaultRule::new("*", FaultKind::Latency);
    latency.latency_ms = Some(LATENCY_MS);
    runtime.block_on(control.add_fault(&latency)).unwrap();
    let book = runtime.block_on(control.book()).unwrap();
    let due: Vec<i64> = connections(&book).into_iter().map(|(id, _)| id).collect();
    let server = TestServer::start().unwrap();

    println!(
        "refresh throughput: {CONNECTIONS} sandbox connections, {LATENCY_MS} ms latency per provider call, one fetch at a time per desktop"
    );
    let mut one_desktop = None;
    for desktops in 1..=3 {
        let database = server.create_database().unwrap();
        let mut client =
            postgres::Client::connect(&database.superuser_url, postgres::NoTls).unwrap();
        install_tables(&mut client);
        let round = claims::start_round(&mut client, "bench", &due)
            .unwrap()
            .round_id();
        let calls_before = fetches(&provider_calls(&runtime, &control));

        let started = Instant::now();
        let workers: Vec<_> = (0..desktops)
            .map(|n| {
                let url = database.superuser_url.clone();
                let sandbox_url = sandbox.base_url();
                thread::spawn(move || {
                    let pool = FirmDbConfig::new(url)
                        .with_pool_size(2)
                        .open_pool()
                        .unwrap();
                    let mut refresher = SandboxRefresher::new(&sandbox_url);
                    let config = WorkerConfig {
                        poll: Duration::from_millis(50),
                        ..WorkerConfig::new(format!("desktop-{n}"))
                    };
                    worker::run_round(&pool, &config, round, &mut refresher).unwrap()
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        let elapsed = started.elapsed();

        let calls_after = fetches(&provider_calls(&runtime, &control));
        let fetched = (calls_after.0 - calls_before.0) + (calls_after.1 - calls_before.1);
        let progress = claims::progress(&mut client, round).unwrap();
        assert!(progress.finished && progress.completed == CONNECTIONS as i64);
        assert_eq!(fetched, CONNECTIONS as u64, "each connection fetched once");

        let per_second = CONNECTIONS as f64 / elapsed.as_secs_f64();
        let ratio = per_second / *one_desktop.get_or_insert(per_second);
        println!(
            "  {desktops} desktop(s): {:.2} s, {per_second:.1} connections/s, ratio to one desktop {ratio:.2} (ideal {desktops}.00)",
            elapsed.as_secs_f64()
        );
    }
    runtime.block_on(sandbox.shutdown());
}

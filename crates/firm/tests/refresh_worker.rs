//! The worker rides out a database that stays away longer than its pool waits: the completion
//! after a fetch fails as unreachable, is retried, and lands once when the server is back.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use advisor_desk_firm::refresh::{
    claims, worker, Outcome, OutcomeKind, RefreshError, Refresher, WorkerConfig,
};
use advisor_desk_firm::test_firm::{seed_connections, TestFirm};
use advisor_desk_firm::test_server::TestServer;
use advisor_desk_firm::FirmDbConfig;
use serde_json::json;

/// Stops the server during its third fetch and starts it again 2.5 s later.
struct StopsTheServer {
    server: Arc<TestServer>,
    fetched: Arc<Mutex<Vec<i64>>>,
}

impl Refresher for StopsTheServer {
    type Fetched = ();

    fn fetch(&mut self, connection_id: i64) {
        let mut fetched = self.fetched.lock().unwrap();
        fetched.push(connection_id);
        if fetched.len() == 3 {
            self.server.stop().unwrap();
            let server = self.server.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(2500));
                server.start_again().unwrap();
            });
        }
    }

    fn outcome(&self, _connection_id: i64, _fetched: &()) -> Outcome {
        Outcome {
            kind: OutcomeKind::Refreshed,
            detail: json!({}),
        }
    }

    fn write(
        &mut self,
        tx: &mut postgres::Transaction<'_>,
        connection_id: i64,
        _fetched: &(),
    ) -> Result<(), RefreshError> {
        tx.execute(
            "insert into snapshots (connection_id) values ($1)",
            &[&connection_id],
        )?;
        Ok(())
    }
}

#[test]
fn a_completion_while_the_server_is_down_is_retried_and_recorded_once() {
    let server = Arc::new(TestServer::start().unwrap());
    let database = TestFirm::migrated_on(&server).database;
    let pool = FirmDbConfig::new(&database.superuser_url)
        .with_pool_size(2)
        // Shorter than the outage: the pool gives up and the worker must retry.
        .with_connect_timeout(Duration::from_millis(500))
        .open_pool()
        .unwrap();
    let mut client = pool.get().unwrap();
    seed_connections(&mut *client, 10);
    client
        .batch_execute("create table snapshots (connection_id bigint primary key)")
        .unwrap();
    let due: Vec<i64> = (1..=10).collect();
    let round = claims::start_round(&mut client, "a", &due)
        .unwrap()
        .round_id();
    drop(client);

    let fetched = Arc::new(Mutex::new(Vec::new()));
    let mut refresher = StopsTheServer {
        server: server.clone(),
        fetched: fetched.clone(),
    };
    let config = WorkerConfig {
        lease: Duration::from_secs(30),
        give_up_after: Duration::from_secs(30),
        ..WorkerConfig::new("a")
    };
    let report = worker::run_round(&pool, &config, round, &mut refresher).unwrap();

    assert!(report.retries > 0, "the outage was met: {report:?}");
    assert_eq!(report.completed, 10);
    let mut fetched = fetched.lock().unwrap().clone();
    fetched.sort_unstable();
    assert_eq!(
        fetched, due,
        "each connection fetched once, none again after the outage"
    );
    let mut client = pool.get().unwrap();
    let snapshots: i64 = client
        .query_one("select count(*) from snapshots", &[])
        .unwrap()
        .get(0);
    assert_eq!(snapshots, 10);
    assert!(claims::progress(&mut client, round).unwrap().finished);
}

#[test]
fn a_database_that_stays_away_past_the_limit_ends_the_round_with_an_unreachable_error() {
    let server = TestServer::start().unwrap();
    let database = TestFirm::migrated_on(&server).database;
    let pool = FirmDbConfig::new(&database.superuser_url)
        .with_pool_size(2)
        // Long enough for a loaded machine's first checkout; a stopped server refuses at once.
        .with_connect_timeout(Duration::from_secs(5))
        .open_pool()
        .unwrap();
    let mut client = pool.get().unwrap();
    seed_connections(&mut *client, 1);
    let round = claims::start_round(&mut client, "a", &[1])
        .unwrap()
        .round_id();
    drop(client);
    server.stop().unwrap();

    let config = WorkerConfig {
        give_up_after: Duration::from_secs(2),
        ..WorkerConfig::new("a")
    };
    let outcome = worker::run_round(&pool, &config, round, &mut NeverFetched);
    assert!(
        matches!(outcome, Err(ref e) if e.is_transient()),
        "{outcome:?}"
    );
}

/// A refresher whose fetch must not run.
struct NeverFetched;

impl Refresher for NeverFetched {
    type Fetched = ();

    fn fetch(&mut self, connection_id: i64) {
        panic!("fetched {connection_id} without a lease");
    }

    fn outcome(&self, _connection_id: i64, _fetched: &()) -> Outcome {
        unreachable!("nothing is fetched")
    }

    fn write(
        &mut self,
        _tx: &mut postgres::Transaction<'_>,
        _connection_id: i64,
        _fetched: &(),
    ) -> Result<(), RefreshError> {
        unreachable!("nothing is fetched")
    }
}

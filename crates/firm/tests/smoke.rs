//! The test server and the pool: a real PostgreSQL server started by the test itself.

use std::time::{Duration, Instant};

use advisor_desk_firm::test_server::TestServer;
use advisor_desk_firm::FirmDbConfig;

#[test]
fn pool_connects_and_selects_one() {
    let database = TestServer::shared().create_database().unwrap();
    let pool = FirmDbConfig::new(&database.superuser_url)
        .open_pool()
        .unwrap();
    let mut client = pool.get().unwrap();
    let one: i32 = client.query_one("select 1", &[]).unwrap().get(0);
    assert_eq!(one, 1);
}

#[test]
fn a_restarted_server_is_reachable_again_on_the_same_port_through_the_same_pool() {
    let started = Instant::now();
    let server = TestServer::start().unwrap();
    eprintln!("private test server started in {:?}", started.elapsed());
    let database = server.create_database().unwrap();
    let pool = FirmDbConfig::new(&database.superuser_url)
        .open_pool()
        .unwrap();
    pool.get()
        .unwrap()
        .batch_execute("create table kept (n int); insert into kept values (7)")
        .unwrap();

    server.stop().unwrap();
    let refused = FirmDbConfig::new(&database.superuser_url)
        .with_connect_timeout(Duration::from_millis(500))
        .open_pool();
    assert!(refused.is_err(), "a stopped server must not answer");

    server.start_again().unwrap();
    // The pool from before the restart: its connection died with the server; checking out
    // tests it and opens a fresh one.
    let n: i32 = pool
        .get()
        .unwrap()
        .query_one("select n from kept", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 7, "the data survives the restart");
}

#[test]
fn a_server_abandoned_by_a_dead_test_process_is_removed_by_the_next_start() {
    let abandoned = TestServer::start().unwrap();
    let root = abandoned.folder_path().to_path_buf();
    let database = abandoned.create_database().unwrap();
    // As if its test process had been killed: a dead process id, and no drop.
    std::fs::write(root.join("test-process.pid"), "2147483646").unwrap();
    std::mem::forget(abandoned);

    let _next = TestServer::start().unwrap();
    assert!(!root.exists(), "the abandoned server's folder is removed");
    let gone = FirmDbConfig::new(&database.superuser_url)
        .with_connect_timeout(Duration::from_millis(500))
        .open_pool();
    assert!(gone.is_err(), "the abandoned server is stopped");
}

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

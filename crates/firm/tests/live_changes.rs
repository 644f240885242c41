//! Live changes between two desktops on one real PostgreSQL server: desktop A writes through its
//! pool, desktop B's listener (its own connection) sees each change; after a server restart B
//! reconnects and asks for a resync.

use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use advisor_desk_firm::live::{self, Change, Listener, ListenerConfig, LiveEvent, Operation};
use advisor_desk_firm::test_server::{TestDatabase, TestServer};
use advisor_desk_firm::{FirmDbConfig, FirmPool};

/// The issue asks for "within seconds"; a change must reach the other desktop within this.
const WITHIN: Duration = Duration::from_secs(2);
/// How long to wait for an event before calling it missing.
const PATIENCE: Duration = Duration::from_secs(15);
const SECRET_REF: &str = "keychain-entry-7f3c9e21d84b";

/// Minimal stand-ins for the firm schema's tables (the real ones are the firm migrations').
const STAND_INS: &str = "
    create table clients (id bigint generated always as identity primary key, name text not null);
    create table connections (
        id bigint generated always as identity primary key,
        client_id bigint not null references clients (id),
        status text not null,
        secret_ref text not null);
";

fn pool(database: &TestDatabase) -> FirmPool {
    FirmDbConfig::new(&database.superuser_url)
        .with_pool_size(2)
        .open_pool()
        .unwrap()
}

fn listen(database: &TestDatabase) -> (Listener, Receiver<LiveEvent>) {
    let url = database.superuser_url.clone();
    let (events, received) = channel();
    let config = ListenerConfig {
        tick: Duration::from_millis(50),
        reconnect_first: Duration::from_millis(100),
        reconnect_max: Duration::from_millis(500),
        ..ListenerConfig::default()
    };
    let listener = Listener::start(
        config,
        move || postgres::Client::connect(&url, postgres::NoTls),
        move |event| {
            let _ = events.send(event);
        },
    )
    .unwrap();
    assert_eq!(next(&received), LiveEvent::Listening);
    (listener, received)
}

fn next(received: &Receiver<LiveEvent>) -> LiveEvent {
    received
        .recv_timeout(PATIENCE)
        .expect("an event from the listener")
}

fn change(table: &str, id: i64, operation: Operation) -> LiveEvent {
    LiveEvent::Change(Change {
        table: table.into(),
        id: id.to_string(),
        operation,
    })
}

/// Runs `sql` on desktop A and returns how long B took to see `expected`.
fn seen_by_b(
    a: &FirmPool,
    b: &Receiver<LiveEvent>,
    sql: &str,
    expected: impl Fn(i64) -> LiveEvent,
) -> i64 {
    let written = Instant::now();
    let id: i64 = a.get().unwrap().query_one(sql, &[]).unwrap().get(0);
    assert_eq!(next(b), expected(id), "after {sql}");
    let waited = written.elapsed();
    assert!(waited < WITHIN, "{sql}: seen after {waited:?}");
    id
}

#[test]
fn a_change_on_desktop_a_reaches_desktop_b_and_a_restart_asks_b_for_a_resync() {
    let server = TestServer::start().unwrap();
    let database = server.create_database().unwrap();
    let a = pool(&database);
    a.get().unwrap().batch_execute(STAND_INS).unwrap();
    live::schema::install(&mut a.get().unwrap()).unwrap();
    let (listener, b) = listen(&database);

    let client = seen_by_b(
        &a,
        &b,
        "insert into clients (name) values ('Ana Ruiz') returning id",
        |id| change("clients", id, Operation::Insert),
    );
    let insert_connection = format!(
        "insert into connections (client_id, status, secret_ref) values ({client}, 'ok', '{SECRET_REF}') returning id"
    );
    let connection = seen_by_b(&a, &b, &insert_connection, |id| {
        change("connections", id, Operation::Insert)
    });
    seen_by_b(
        &a,
        &b,
        &format!("update clients set name = 'Ana Ruiz Gil' where id = {client} returning id"),
        |id| change("clients", id, Operation::Update),
    );
    seen_by_b(
        &a,
        &b,
        &format!("update connections set status = 'repaired' where id = {connection} returning id"),
        |id| change("connections", id, Operation::Update),
    );

    server.restart().unwrap();
    match next(&b) {
        LiveEvent::Disconnected { reason } => assert!(!reason.is_empty()),
        other => panic!("expected the loss to be reported first, got {other:?}"),
    }
    assert_eq!(
        next(&b),
        LiveEvent::ResyncNeeded(live::ResyncReason::Reconnected)
    );
    // Listening again: A's pool reconnects too, and B sees A's next change.
    seen_by_b(
        &a,
        &b,
        &format!("delete from connections where id = {connection} returning id"),
        |id| change("connections", id, Operation::Delete),
    );
    listener.stop();
}

#[test]
fn a_notice_carries_ids_only_and_an_unreadable_one_asks_for_a_resync() {
    let server = TestServer::shared();
    let database = server.create_database().unwrap();
    let a = pool(&database);
    a.get().unwrap().batch_execute(STAND_INS).unwrap();
    live::schema::install(&mut a.get().unwrap()).unwrap();

    // The raw payloads, as any listener on the database receives them.
    let mut raw = postgres::Client::connect(&database.superuser_url, postgres::NoTls).unwrap();
    raw.batch_execute(&format!("LISTEN {}", live::CHANNEL))
        .unwrap();
    a.get()
        .unwrap()
        .batch_execute(&format!(
            "insert into clients (name) values ('Ana Ruiz');
             insert into connections (client_id, status, secret_ref)
             select id, 'ok', '{SECRET_REF}' from clients"
        ))
        .unwrap();
    let mut payloads = Vec::new();
    let mut notices = raw.notifications();
    let mut waiting = notices.timeout_iter(PATIENCE);
    while payloads.len() < 2 {
        use postgres::fallible_iterator::FallibleIterator;
        let notice = waiting.next().unwrap().expect("two notices");
        payloads.push(notice.payload().to_string());
    }
    for payload in &payloads {
        assert!(!payload.contains(SECRET_REF), "{payload}");
        assert!(!payload.contains("Ana"), "{payload}");
        live::decode(payload).unwrap();
    }

    let (listener, b) = listen(&database);
    a.get()
        .unwrap()
        .execute("select pg_notify($1, 'not a change')", &[&live::CHANNEL])
        .unwrap();
    assert_eq!(
        next(&b),
        LiveEvent::ResyncNeeded(live::ResyncReason::UnreadableNotice)
    );
    drop(listener);
}

#[test]
fn a_watched_table_created_later_notifies_once_the_trigger_is_installed_again() {
    let database = TestServer::shared().create_database().unwrap();
    let a = pool(&database);
    a.get().unwrap().batch_execute(STAND_INS).unwrap();
    live::schema::install(&mut a.get().unwrap()).unwrap();
    let (_listener, b) = listen(&database);

    a.get()
        .unwrap()
        .batch_execute(
            "create table households (id bigint generated always as identity primary key, name text);
             insert into households (name) values ('Ruiz')",
        )
        .unwrap();
    live::schema::install(&mut a.get().unwrap()).unwrap();
    seen_by_b(
        &a,
        &b,
        "insert into households (name) values ('Gil') returning id",
        |id| change("households", id, Operation::Insert),
    );
    assert!(
        b.try_recv().is_err(),
        "the household inserted before the trigger sent nothing"
    );
}

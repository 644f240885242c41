//! Live changes between desktops on one real PostgreSQL server, on the migrated firm schema:
//! advisor Alice's desktop writes through its pool, Bob's listener (its own connection, his own
//! role) sees each change of a client they share and nothing of Alice's own; after a server
//! restart Bob reconnects and asks for a resync.

mod common;

use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use advisor_desk_firm::live::{self, Change, Listener, ListenerConfig, LiveEvent, Operation};
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::test_firm::{TestFirm, TestMember};
use advisor_desk_firm::test_server::TestServer;
use advisor_desk_firm::{FirmDbConfig, FirmPool};
use postgres::fallible_iterator::FallibleIterator;

/// The issue asks for "within seconds"; a change must reach the other desktop within this.
const WITHIN: Duration = Duration::from_secs(2);
/// How long to wait for an event before calling it missing.
const PATIENCE: Duration = Duration::from_secs(15);

fn pool(firm: &TestFirm, member: &TestMember) -> FirmPool {
    FirmDbConfig::new(firm.url_for(member))
        .with_pool_size(2)
        .open_pool()
        .unwrap()
}

fn listen(firm: &TestFirm, member: &TestMember) -> (Listener, Receiver<LiveEvent>) {
    let (events, received) = channel();
    let config = ListenerConfig {
        tick: Duration::from_millis(50),
        reconnect_first: Duration::from_millis(100),
        reconnect_max: Duration::from_millis(500),
        ..ListenerConfig::default()
    };
    let listener = Listener::for_firm(
        config,
        FirmDbConfig::new(firm.url_for(member)),
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

/// Runs `sql` on desktop A and checks B's next event is `expected` and came in time.
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

const NEW_CLIENT: &str = "insert into clients (kind, name, created_at, updated_at)
     values ('person', 'Ana Ruiz', now(), now()) returning id";

fn new_connection(client: i64) -> String {
    format!(
        "insert into connections (client_id, provider, flow, token_hash, created_at, updated_at)
         values ({client}, 'flanks', 'flanks_link', 'hash-' || gen_random_uuid(), now(), now())
         returning id"
    )
}

#[test]
fn a_change_to_a_shared_client_reaches_the_other_advisor_and_a_restart_asks_for_a_resync() {
    let server = TestServer::start().unwrap();
    let firm = TestFirm::migrated_on(&server);
    let (alice, bob) = (
        firm.add_member("alice", MemberKind::Advisor),
        firm.add_member("bob", MemberKind::Advisor),
    );
    let a = pool(&firm, &alice);
    let (listener, b) = listen(&firm, &bob);

    let client: i64 = a.get().unwrap().query_one(NEW_CLIENT, &[]).unwrap().get(0);
    // Alice's own client: nothing reaches Bob until she shares it, and then he is told.
    seen_by_b(
        &a,
        &b,
        // No RETURNING: the row is Bob's assignment, which Alice may write but not read.
        &format!(
            "with shared as (insert into client_assignments (client_id, advisor_role, kind)
                             values ({client}, '{}', 'shared'))
             select {client}::bigint",
            bob.role
        ),
        |id| change("client_assignments", id, Operation::Insert),
    );
    let connection = seen_by_b(&a, &b, &new_connection(client), |id| {
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
fn a_notice_carries_only_a_number_and_another_advisors_change_is_never_named() {
    let firm = TestFirm::migrated();
    let (alice, bob) = (
        firm.add_member("alice", MemberKind::Advisor),
        firm.add_member("bob", MemberKind::Advisor),
    );
    let a = pool(&firm, &alice);

    // The raw payloads, as any role on the database receives them (LISTEN has no permission).
    let mut raw = firm.connect_as(&bob);
    raw.batch_execute(&format!("LISTEN {}", live::CHANNEL))
        .unwrap();
    let (listener, b) = listen(&firm, &bob);
    let client: i64 = a.get().unwrap().query_one(NEW_CLIENT, &[]).unwrap().get(0);
    a.get()
        .unwrap()
        .query_one(&new_connection(client), &[])
        .unwrap();
    let mut payloads = Vec::new();
    let mut notices = raw.notifications();
    let mut waiting = notices.timeout_iter(PATIENCE);
    // The client, its assignment to Alice, the connection.
    while payloads.len() < 3 {
        let notice = waiting.next().unwrap().expect("three notices");
        payloads.push(notice.payload().to_string());
    }
    for payload in &payloads {
        assert!(!payload.contains("Ana"), "{payload}");
        assert!(!payload.contains("client"), "{payload}");
        live::decode(payload).unwrap();
    }
    // Read as Bob, the changes they number are not there.
    let mut bob_reads = firm.connect_as(&bob);
    let numbers: Vec<i64> = payloads.iter().map(|p| live::decode(p).unwrap()).collect();
    let visible = common::count(
        &mut bob_reads,
        "select count(*) from live_changes where seq = any($1)",
        &[&numbers],
    );
    assert_eq!(visible, 0, "Bob reads none of Alice's changes");

    // A firm-wide change after Alice's: Bob's next event is it, so none named hers before it.
    let mut owner = firm.owner();
    let round: i64 = owner
        .query_one(
            "insert into refresh_rounds (started_by) values ('owner') returning id",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(next(&b), change("refresh_rounds", round, Operation::Insert));

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

/// Tables under row-level security that the desktops do not follow live: read when a screen
/// opens, or written by the desktop itself. A new table must be added here or watched.
const NOT_SHOWN_LIVE: &[&str] = &[
    "account_owners",
    "accounts",
    "advisors",
    "audit_log",
    "cards",
    // Each client's counted positions and their marks (0007): derived in the same transaction
    // as the accounts, holdings, liabilities or connections whose change is what is followed.
    "counted_totals",
    "counted_totals_stale",
    "firm_schema_migrations",
    "firm_settings",
    "holdings",
    "liabilities",
    "live_changes",
    // Which solo books moved in (0006): the move-in's own bookkeeping, never on a screen.
    "moved_books",
    "provider_calls",
    "rate_fetches",
    "reference_rates",
    "refresh_leases",
    "sealed_secrets",
    "sync_runs",
    "transaction_months",
    "transactions",
];

#[test]
fn every_table_is_watched_or_said_not_to_be_and_a_later_table_is_watched_through_firm_watch() {
    let firm = TestFirm::migrated();
    let mut owner = firm.owner();
    let watched = |owner: &mut postgres::Client| -> Vec<String> {
        owner
            .query(
                "select c.relname::text from pg_trigger t join pg_class c on c.oid = t.tgrelid
                 where t.tgname = 'firm_live_change' order by 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    let tables: Vec<String> = owner
        .query(
            "select tablename::text from pg_tables where schemaname = 'public' order by 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let now_watched = watched(&mut owner);
    for table in &tables {
        assert!(
            now_watched.contains(table) != NOT_SHOWN_LIVE.contains(&table.as_str()),
            "{table}: watch it (firm_watch) or list it in NOT_SHOWN_LIVE, not both"
        );
    }
    assert_eq!(
        now_watched,
        [
            "client_assignments",
            "clients",
            "connections",
            "household_members",
            "households",
            "link_sessions",
            "refresh_outcomes",
            "refresh_rounds"
        ]
    );

    // What a later migration does for a table the desktops show.
    owner
        .batch_execute(
            "create table client_notes (
                 id bigint generated always as identity primary key,
                 client_id bigint not null references clients (id) on delete cascade,
                 body text not null);
             select firm_protect('client_notes', 'firm_sees_client(client_id)',
                                 'firm_sees_client(client_id)', 'SELECT, INSERT, UPDATE, DELETE');
             select firm_watch('client_notes', 'id', 'client', 'client_id');",
        )
        .unwrap();
    assert!(watched(&mut owner).contains(&"client_notes".to_string()));
    let (alice, bob) = (
        firm.add_member("alice", MemberKind::Advisor),
        firm.add_member("bob", MemberKind::Advisor),
    );
    let a = pool(&firm, &alice);
    let client: i64 = a.get().unwrap().query_one(NEW_CLIENT, &[]).unwrap().get(0);
    a.get()
        .unwrap()
        .execute(
            "insert into client_assignments (client_id, advisor_role, kind) values ($1, $2, 'shared')",
            &[&client, &bob.role],
        )
        .unwrap();
    let (_listener, b) = listen(&firm, &bob);
    seen_by_b(
        &a,
        &b,
        &format!("insert into client_notes (client_id, body) values ({client}, 'Call back') returning id"),
        |id| change("client_notes", id, Operation::Insert),
    );
}

#[test]
fn changes_older_than_a_day_are_pruned_every_thousandth_change() {
    let firm = TestFirm::migrated();
    let mut owner = firm.owner();
    owner
        .batch_execute(
            "insert into live_changes (table_name, row_id, op, at)
                 values ('clients', '1', 'update', now() - interval '2 days'),
                        ('clients', '2', 'update', now() - interval '1 hour');
             alter table live_changes alter column seq restart with 999;
             insert into refresh_rounds (started_by) values ('owner');",
        )
        .unwrap();
    let left = |owner: &mut postgres::Client| -> Vec<String> {
        owner
            .query(
                "select row_id from live_changes where table_name = 'clients'",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    assert_eq!(left(&mut owner), ["1", "2"], "change 999 prunes nothing");
    owner
        .batch_execute("update refresh_rounds set finished_at = now()")
        .unwrap();
    assert_eq!(left(&mut owner), ["2"], "change 1000 pruned the old one");
}

//! The firm schema's migrations against a real PostgreSQL server.

mod common;

use advisor_desk_firm::migrations::{self, LATEST_VERSION, MIGRATIONS};
use advisor_desk_firm::test_firm::TestFirm;
use advisor_desk_firm::test_server::TestServer;
use advisor_desk_firm::FirmDbError;
use common::count;
use postgres::{Client, NoTls};

#[test]
fn a_fresh_database_is_migrated_to_the_latest_version_once() {
    let database = TestServer::shared().create_database().unwrap();
    let mut owner = Client::connect(&database.owner_url(), NoTls).unwrap();
    assert!(matches!(
        migrations::check_version(&mut owner),
        Err(FirmDbError::SchemaNotMigrated { found: 0, .. })
    ));

    assert_eq!(migrations::migrate(&mut owner).unwrap(), LATEST_VERSION);
    assert_eq!(migrations::migrate(&mut owner).unwrap(), LATEST_VERSION);
    migrations::check_version(&mut owner).unwrap();

    let rows = owner
        .query(
            "SELECT version, sqlite_version, name FROM firm_schema_migrations ORDER BY version",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), MIGRATIONS.len(), "each migration recorded once");
    for (row, migration) in rows.iter().zip(MIGRATIONS) {
        assert_eq!(row.get::<_, i32>(0), migration.version);
        assert_eq!(row.get::<_, i64>(1), migration.sqlite_version);
        assert_eq!(row.get::<_, &str>(2), migration.name);
    }
}

#[test]
fn desktops_migrating_at_once_apply_each_migration_once() {
    let database = TestServer::shared().create_database().unwrap();
    let url = database.owner_url();
    let desktops: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut client = Client::connect(&url, NoTls).unwrap();
                migrations::migrate(&mut client).unwrap()
            })
        })
        .collect();
    for desktop in desktops {
        assert_eq!(desktop.join().unwrap(), LATEST_VERSION);
    }
    let mut owner = Client::connect(&url, NoTls).unwrap();
    let applied = count(
        &mut owner,
        "SELECT count(*) FROM firm_schema_migrations",
        &[],
    );
    assert_eq!(applied, MIGRATIONS.len() as i64);
}

#[test]
fn a_newer_schema_is_refused() {
    let book = TestFirm::migrated();
    let mut owner = book.owner();
    let newer = LATEST_VERSION + 1;
    owner
        .execute(
            "INSERT INTO firm_schema_migrations (version, sqlite_version, name) VALUES ($1, 99, 'from the future')",
            &[&newer],
        )
        .unwrap();
    let refused = migrations::check_version(&mut owner).unwrap_err();
    assert!(
        matches!(refused, FirmDbError::NewerSchema { found, supported } if found == newer && supported == LATEST_VERSION),
        "{refused}"
    );
    assert!(refused.to_string().contains("update the app"), "{refused}");
    assert!(matches!(
        migrations::migrate(&mut owner),
        Err(FirmDbError::NewerSchema { .. })
    ));
}

#[test]
fn every_migration_mirrors_a_sqlite_version_in_order() {
    let (mut previous, mut previous_version) = (0, 0);
    for migration in MIGRATIONS {
        // Numbers are reserved per branch, so a branch may lack some until they are merged.
        assert!(
            migration.version > previous_version,
            "versions increase: {}",
            migration.name
        );
        previous_version = migration.version;
        assert!(migration.sqlite_version >= previous, "{}", migration.name);
        previous = migration.sqlite_version;
    }
}

/// What the advisors' group may do with the identity behind `clients.id`.
fn advisor_sequence_rights(owner: &mut Client) -> (bool, bool) {
    let row = owner
        .query_one(
            "SELECT has_sequence_privilege(firm_group('advisor'), pg_get_serial_sequence('clients', 'id'), 'USAGE'),
                    has_sequence_privilege(firm_group('advisor'), pg_get_serial_sequence('clients', 'id'), 'UPDATE')",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

#[test]
fn moving_books_in_is_set_up_by_the_schema_the_same_for_every_firm() {
    // A firm made by the migrations alone (as TestFirm and the app make one): advisors draw
    // ids but never move an identity, and the firm records the books moved in.
    let fresh = TestFirm::migrated();
    let mut owner = fresh.owner();
    assert_eq!(advisor_sequence_rights(&mut owner), (true, false));
    assert_eq!(
        count(&mut owner, "SELECT count(*) FROM moved_books", &[]),
        0
    );

    // A firm `firm create` made before 0006 had granted UPDATE on every sequence by hand:
    // migrating takes it back, so both firms end alike.
    let database = TestServer::shared().create_database().unwrap();
    let mut owner = Client::connect(&database.owner_url(), NoTls).unwrap();
    migrations::migrate_to(&mut owner, 5).unwrap();
    owner
        .batch_execute(
            "DO $$ BEGIN
                 EXECUTE format('GRANT UPDATE ON ALL SEQUENCES IN SCHEMA public TO %I',
                                firm_group('advisor'));
             END $$",
        )
        .unwrap();
    assert_eq!(advisor_sequence_rights(&mut owner), (true, true));
    assert_eq!(migrations::migrate(&mut owner).unwrap(), LATEST_VERSION);
    assert_eq!(advisor_sequence_rights(&mut owner), (true, false));
}

#[test]
fn the_audit_log_is_append_only_even_for_the_owner() {
    let book = TestFirm::migrated();
    let mut owner = book.owner();
    owner
        .execute(
            "INSERT INTO audit_log (at, actor, action) VALUES (now(), 'test', 'opened')",
            &[],
        )
        .unwrap();
    for statement in [
        "UPDATE audit_log SET action = 'rewritten'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let error = owner.execute(statement, &[]).unwrap_err();
        assert!(
            error
                .as_db_error()
                .unwrap()
                .message()
                .contains("append-only"),
            "{statement}: {error}"
        );
    }
    let kept = count(&mut owner, "SELECT count(*) FROM audit_log", &[]);
    assert_eq!(kept, 1);
}

#[test]
fn transaction_months_follow_every_change_of_transactions() {
    let book = TestFirm::migrated();
    let mut owner = book.owner();
    owner
        .batch_execute(
            "INSERT INTO clients (id, kind, name, created_at, updated_at) VALUES (1, 'person', 'Ana', now(), now());
             INSERT INTO connections (id, client_id, provider, flow, token_hash, created_at, updated_at)
                 VALUES (1, 1, 'flanks', 'flanks_link', 'h1', now(), now());
             INSERT INTO accounts (id, connection_id, provider_id, dedupe_key, kind, name, currency, balance_minor)
                 VALUES (1, 1, 'a', 'a', 'checking', 'Main', 'EUR', 0);
             INSERT INTO transactions (connection_id, account_id, provider_id, dedupe_key, booking_date,
                                       amount_minor, currency, first_seen_at, last_seen_at)
             VALUES (1, 1, 't1', 't1', '2026-01-05', 100, 'EUR', now(), now()),
                    (1, 1, 't2', 't2', '2026-01-20', -30, 'EUR', now(), now()),
                    (1, 1, 't3', 't3', '2026-02-01', 7, 'EUR', now(), now());
             UPDATE transactions SET presence = 'missing' WHERE dedupe_key = 't2';
             UPDATE transactions SET booking_date = '2026-01-31' WHERE dedupe_key = 't3';",
        )
        .unwrap();
    let months: Vec<(String, i64, i64)> = owner
        .query(
            "SELECT month, row_count, active_minor FROM transaction_months ORDER BY month",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(months, vec![("2026-01".to_string(), 3, 107)]);

    owner.execute("DELETE FROM transactions", &[]).unwrap();
    let left = count(&mut owner, "SELECT count(*) FROM transaction_months", &[]);
    assert_eq!(left, 0, "an emptied month disappears");
}

#[test]
fn a_household_client_cannot_be_a_household_member() {
    let book = TestFirm::migrated();
    let mut owner = book.owner();
    owner
        .batch_execute(
            "INSERT INTO clients (id, kind, name, created_at, updated_at) VALUES (1, 'household', 'The Ruizes', now(), now());
             INSERT INTO households (id, name, created_at, updated_at) VALUES (1, 'Ruiz', now(), now());",
        )
        .unwrap();
    let error = owner
        .execute(
            "INSERT INTO household_members (client_id, household_id, joined_at) VALUES (1, 1, now())",
            &[],
        )
        .unwrap_err();
    let message = error.as_db_error().unwrap().message();
    assert_eq!(message, "a household client cannot be a household member");
}

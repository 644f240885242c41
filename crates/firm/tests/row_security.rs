//! Row-level security, tested with raw SQL as each member of a firm, for EVERY table of the firm
//! schema: the test lists the tables from the catalog, so a new table without a policy (or
//! without a line in `WHOSE_ROW` saying whose its rows are) fails here.

mod common;

use std::collections::BTreeSet;

use advisor_desk_firm::members::{create_member, remove_member, MemberKind};
use advisor_desk_firm::test_firm::{TestFirm, TestMember};
use common::{count, sqlstate};
use postgres::Client;

const INSUFFICIENT_PRIVILEGE: &str = "42501";

// Whose each row is, computed as the superuser: the advisor role it belongs to, or NULL for the
// firm's shared rows (visible to every member). `t` is the table.
const BY_CLIENT: &str =
    "(SELECT a.advisor_role FROM client_assignments a WHERE a.client_id = t.client_id)";
const BY_CONNECTION: &str = "(SELECT a.advisor_role FROM connections c JOIN client_assignments a ON a.client_id = c.client_id WHERE c.id = t.connection_id)";
const BY_ACCOUNT: &str = "(SELECT a.advisor_role FROM accounts ac JOIN connections c ON c.id = ac.connection_id JOIN client_assignments a ON a.client_id = c.client_id WHERE ac.id = t.account_id)";

fn whose_row(table: &str) -> Option<String> {
    let expression = match table {
        "clients" => "(SELECT a.advisor_role FROM client_assignments a WHERE a.client_id = t.id)".into(),
        "client_assignments" => "t.advisor_role".into(),
        "households" => "(SELECT a.advisor_role FROM household_members m JOIN client_assignments a USING (client_id) WHERE m.household_id = t.id)".into(),
        "household_members" | "connections" | "link_sessions" | "counted_totals"
        | "counted_totals_stale" => BY_CLIENT.into(),
        "accounts" | "holdings" | "transactions" | "liabilities" | "cards" | "sealed_secrets" => {
            BY_CONNECTION.into()
        }
        "account_owners" | "transaction_months" => BY_ACCOUNT.into(),
        "sync_runs" => format!("coalesce({BY_CONNECTION}, t.run_by)"),
        "provider_calls" => format!("coalesce({BY_CONNECTION}, t.called_by)"),
        "audit_log" => format!("coalesce({BY_CLIENT}, {BY_CONNECTION}, t.actor_role)"),
        "refresh_leases" | "refresh_outcomes" => BY_CONNECTION.into(),
        // A book moved in is its mover's record (staff see every one).
        "moved_books" => "t.moved_by".into(),
        // A change is seen by the roles it names when it was written (and every member when
        // firm-wide); the fixture shares no client, so at most one advisor is named.
        "live_changes" => "CASE WHEN t.firm_wide THEN NULL ELSE coalesce(
            (SELECT a.role_name FROM advisors a WHERE a.role_name = ANY (t.seen_by)
             AND NOT a.is_admin AND NOT a.is_compliance ORDER BY 1 LIMIT 1), '(staff only)') END"
            .into(),
        "advisors" | "firm_settings" | "firm_schema_migrations" | "reference_rates"
        | "rate_fetches" | "refresh_rounds" => "NULL::text".into(),
        _ => return None,
    };
    Some(expression)
}

/// Tables whose rows live only inside a transaction (the clients it marked for a recount, 0007):
/// empty whenever a test can look, and written by the firm's triggers alone.
const EMPTY_BETWEEN_TRANSACTIONS: &[&str] = &["counted_totals_stale"];

/// Tables an advisor may write even when the row is not about a client (shared reference data,
/// and refresh rounds, which every desktop opens).
const ADVISOR_WRITABLE_FIRM_TABLES: &[&str] =
    &["reference_rates", "rate_fetches", "refresh_rounds"];

/// One client per advisor (`n` = 1 for Alice, 2 for Bob) with a row in every table that hangs
/// from clients, plus the rows an advisor owns without a client; written by the owner (admin).
fn give_a_client(owner: &mut Client, n: i64, role: &str) {
    owner
        .batch_execute(&format!(
            "INSERT INTO clients (id, kind, name, created_at, updated_at) VALUES ({n}, 'person', 'Client {n}', now(), now());
             INSERT INTO client_assignments (client_id, advisor_role) VALUES ({n}, '{role}');
             INSERT INTO households (id, name, created_at, updated_at) VALUES ({n}, 'Household {n}', now(), now());
             INSERT INTO household_members (client_id, household_id, joined_at) VALUES ({n}, {n}, now());
             INSERT INTO connections (id, client_id, provider, flow, token_hash, created_at, updated_at)
                 VALUES ({n}, {n}, 'flanks', 'flanks_link', 'hash-{n}', now(), now());
             INSERT INTO sealed_secrets (connection_id, bound_table, bound_row, bound_column, key_version, sealed)
                 VALUES ({n}, 'connections', '{n}', 'credentials', 1, '\\x0102');
             INSERT INTO link_sessions (state_hash, client_id, connection_id, provider, flow, purpose, created_at, expires_at)
                 VALUES ('state-{n}', {n}, {n}, 'flanks', 'flanks_link', 'new', now(), now() + interval '1 hour');
             INSERT INTO accounts (id, connection_id, provider_id, dedupe_key, kind, name, currency, balance_minor)
                 VALUES ({n}, {n}, 'acc', 'acc', 'checking', 'Main', 'EUR', 100);
             INSERT INTO account_owners (account_id, owner_name) VALUES ({n}, 'Owner {n}');
             INSERT INTO holdings (connection_id, account_id, provider_id, dedupe_key, name, asset_class, value_minor, currency)
                 VALUES ({n}, {n}, 'h', 'h', 'Fund', 'equity', 5, 'EUR');
             INSERT INTO transactions (connection_id, account_id, provider_id, dedupe_key, booking_date, amount_minor, currency, first_seen_at, last_seen_at)
                 VALUES ({n}, {n}, 't', 't', '2026-01-01', 10, 'EUR', now(), now());
             INSERT INTO liabilities (connection_id, provider_id, dedupe_key, kind, name, currency, balance_minor)
                 VALUES ({n}, 'l', 'l', 'loan', 'Loan', 'EUR', 1);
             INSERT INTO cards (connection_id, provider_id, dedupe_key, name) VALUES ({n}, 'c', 'c', 'Card');
             INSERT INTO sync_runs (connection_id, run_by, trigger, started_at)
                 VALUES ({n}, '{role}', 'manual', now()), (NULL, '{role}', 'round', now());
             INSERT INTO refresh_rounds (started_by) VALUES ('desktop') ON CONFLICT DO NOTHING;
             INSERT INTO refresh_leases (connection_id, round_id, token, holder, expires_at)
                 SELECT {n}, id, 1, 'desktop', now() FROM refresh_rounds WHERE finished_at IS NULL;
             INSERT INTO refresh_outcomes (round_id, connection_id, desktop, lease_token, outcome)
                 SELECT id, {n}, 'desktop', 1, 'refreshed' FROM refresh_rounds WHERE finished_at IS NULL;
             INSERT INTO provider_calls (connection_id, called_by, at, provider, endpoint, duration_ms, outcome)
                 VALUES ({n}, '{role}', now(), 'flanks', '/portfolios', 1, 'ok'),
                        (NULL, '{role}', now(), 'flanks', '/token', 1, 'ok');
             -- The fixture chooses its ids: move the identities past them (as a book moving in must).
             SELECT setval(pg_get_serial_sequence(t, 'id'), 100)
                 FROM unnest(ARRAY['clients', 'households', 'connections', 'accounts']) AS t;
             INSERT INTO audit_log (at, actor, actor_role, client_id, connection_id, action)
                 VALUES (now(), 'a', '{role}', {n}, NULL, 'client created'),
                        (now(), 'a', '{role}', NULL, {n}, 'connection repaired'),
                        (now(), 'a', '{role}', NULL, NULL, 'signed in');
             INSERT INTO moved_books (installation_id, moved_by) VALUES ('book-{n}', '{role}');"
        ))
        .unwrap();
}

fn give_firm_rows(owner: &mut Client) {
    owner
        .batch_execute(
            "INSERT INTO firm_settings (key, value) VALUES ('firm_name', 'Test firm');
             INSERT INTO sealed_secrets (connection_id, bound_table, bound_row, bound_column, key_version, sealed)
                 VALUES (NULL, 'firm_settings', 'flanks', 'api_key', 1, '\\x0506');
             INSERT INTO reference_rates (source, currency, rate_date, rate, fetched_at)
                 VALUES ('ecb', 'USD', '2026-01-02', '1.08', now());
             INSERT INTO rate_fetches (source, last_attempt_at, last_outcome) VALUES ('ecb', now(), 'ok');",
        )
        .unwrap();
}

struct Firm {
    book: TestFirm,
    alice: TestMember,
    bob: TestMember,
    compliance: TestMember,
}

fn firm_with_two_advisors() -> Firm {
    let book = TestFirm::migrated();
    let alice = book.add_member("alice", MemberKind::Advisor);
    let bob = book.add_member("bob", MemberKind::Advisor);
    let compliance = book.add_member("carol", MemberKind::Compliance);
    let mut owner = book.owner();
    give_a_client(&mut owner, 1, &alice.role);
    give_a_client(&mut owner, 2, &bob.role);
    give_firm_rows(&mut owner);
    Firm {
        book,
        alice,
        bob,
        compliance,
    }
}

fn firm_tables(client: &mut Client) -> Vec<String> {
    client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Every row of `table` as JSON text, with whose it is.
fn rows_with_owner(superuser: &mut Client, table: &str) -> Vec<(String, Option<String>)> {
    let whose = whose_row(table).unwrap_or_else(|| {
        panic!("table {table} has no row-security expectation: protect it (firm_protect) and say whose its rows are in WHOSE_ROW")
    });
    superuser
        .query(
            &format!("SELECT row_to_json(t)::text, {whose} FROM {table} t"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

fn visible_rows(client: &mut Client, table: &str) -> BTreeSet<String> {
    client
        .query(&format!("SELECT row_to_json(t)::text FROM {table} t"), &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn first_column(client: &mut Client, table: &str) -> String {
    client
        .query_one(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position LIMIT 1",
            &[&table],
        )
        .unwrap()
        .get(0)
}

fn insert_copy(client: &mut Client, table: &str, row: &str) -> Result<u64, postgres::Error> {
    client.execute(
        &format!(
            "INSERT INTO {table} SELECT * FROM json_populate_record(NULL::{table}, $1::text::json)"
        ),
        &[&row],
    )
}

fn update_row(client: &mut Client, table: &str, row: &str) -> Result<u64, postgres::Error> {
    let column = first_column(client, table);
    client.execute(
        &format!("UPDATE {table} t SET {column} = {column} WHERE row_to_json(t)::text = $1"),
        &[&row],
    )
}

fn delete_row(client: &mut Client, table: &str, row: &str) -> Result<u64, postgres::Error> {
    client.execute(
        &format!("DELETE FROM {table} t WHERE row_to_json(t)::text = $1"),
        &[&row],
    )
}

/// Refused outright (no privilege, or the policy's check) or it touched nothing.
fn assert_untouched(what: &str, result: Result<u64, postgres::Error>) {
    match result {
        Ok(0) => {}
        Ok(n) => panic!("{what}: changed {n} row(s) it must not see"),
        Err(e) => assert_eq!(
            e.code().map(|c| c.code()),
            Some(INSUFFICIENT_PRIVILEGE),
            "{what}: {e:?}"
        ),
    }
}

#[test]
fn every_table_shows_an_advisor_only_their_clients_and_lets_them_write_only_those() {
    let firm = firm_with_two_advisors();
    let mut superuser = firm.book.superuser();
    let tables = firm_tables(&mut superuser);
    assert!(tables.len() >= 20, "the firm schema: {tables:?}");
    // Signing in is the slow part (SCRAM): once per member.
    let mut advisors = [
        (&firm.alice, &firm.bob, firm.book.connect_as(&firm.alice)),
        (&firm.bob, &firm.alice, firm.book.connect_as(&firm.bob)),
    ];
    let mut compliance = firm.book.connect_as(&firm.compliance);

    for table in &tables {
        let (forced, policies): (bool, i64) = {
            let row = superuser
                .query_one(
                    "SELECT c.relrowsecurity AND c.relforcerowsecurity,
                            (SELECT count(*) FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = $1)
                     FROM pg_class c WHERE c.oid = ('public.' || $1)::regclass",
                    &[table],
                )
                .unwrap();
            (row.get(0), row.get(1))
        };
        assert!(
            forced,
            "{table}: row-level security must be enabled and forced"
        );
        assert!(policies > 0, "{table}: no policy");

        let rows = rows_with_owner(&mut superuser, table);
        if EMPTY_BETWEEN_TRANSACTIONS.contains(&table.as_str()) {
            assert!(rows.is_empty(), "{table}: left rows behind: {rows:?}");
            let made_up = r#"{"client_id": 1}"#;
            for client in advisors
                .iter_mut()
                .map(|(_, _, c)| c)
                .chain([&mut compliance])
            {
                assert_eq!(
                    sqlstate(insert_copy(client, table, made_up)),
                    INSUFFICIENT_PRIVILEGE,
                    "{table}: a member writes it"
                );
            }
            continue;
        }
        let of = |role: &str| -> BTreeSet<String> {
            rows.iter()
                .filter(|(_, whose)| whose.as_deref() == Some(role))
                .map(|(row, _)| row.clone())
                .collect()
        };
        let shared: BTreeSet<String> = rows
            .iter()
            .filter(|(_, whose)| whose.is_none())
            .map(|(row, _)| row.clone())
            .collect();
        let is_firm_table = whose_row(table).unwrap() == "NULL::text";
        if !is_firm_table {
            assert!(
                !of(&firm.alice.role).is_empty(),
                "{table}: the fixture gives Alice a row"
            );
            assert!(
                !of(&firm.bob.role).is_empty(),
                "{table}: the fixture gives Bob a row"
            );
        }

        for (me, other, client) in &mut advisors {
            let client = &mut *client;
            let seen = visible_rows(client, table);
            let mine = of(&me.role);
            let theirs = of(&other.role);
            assert!(
                seen.is_superset(&mine),
                "{table}: {} misses own rows",
                me.role
            );
            assert!(
                seen.is_superset(&shared),
                "{table}: {} misses the firm's rows",
                me.role
            );
            assert!(
                seen.is_disjoint(&theirs),
                "{table}: {} sees {}'s rows",
                me.role,
                other.role
            );
            assert_eq!(
                seen.len(),
                mine.len() + shared.len(),
                "{table}: nothing else"
            );

            for row in &theirs {
                assert_eq!(
                    sqlstate(insert_copy(client, table, row)),
                    INSUFFICIENT_PRIVILEGE,
                    "{table}: {} inserts a row of {}'s client",
                    me.role,
                    other.role
                );
                assert_untouched(table, update_row(client, table, row));
                assert_untouched(table, delete_row(client, table, row));
            }
            if !ADVISOR_WRITABLE_FIRM_TABLES.contains(&table.as_str()) {
                for row in &shared {
                    assert_eq!(
                        sqlstate(insert_copy(client, table, row)),
                        INSUFFICIENT_PRIVILEGE,
                        "{table}: an advisor writes a firm-wide row"
                    );
                    assert_untouched(table, update_row(client, table, row));
                    assert_untouched(table, delete_row(client, table, row));
                }
            }
        }

        let everything: BTreeSet<String> = rows.iter().map(|(row, _)| row.clone()).collect();
        assert_eq!(
            visible_rows(&mut compliance, table),
            everything,
            "{table}: compliance reads all"
        );
        let any_row = &rows
            .first()
            .expect("every table has a row in the fixture")
            .0;
        for (what, result) in [
            ("insert", insert_copy(&mut compliance, table, any_row)),
            ("update", update_row(&mut compliance, table, any_row)),
            ("delete", delete_row(&mut compliance, table, any_row)),
        ] {
            assert_eq!(
                sqlstate(result),
                INSUFFICIENT_PRIVILEGE,
                "{table}: compliance may {what}"
            );
        }

        let after: BTreeSet<String> = rows_with_owner(&mut superuser, table)
            .into_iter()
            .map(|(row, _)| row)
            .collect();
        assert_eq!(
            after, everything,
            "{table}: the refused writes changed nothing"
        );
    }
}

#[test]
fn an_advisor_cannot_move_their_rows_to_another_advisors_client() {
    let firm = firm_with_two_advisors();
    let mut alice = firm.book.connect_as(&firm.alice);
    for statement in [
        "UPDATE connections SET client_id = 2 WHERE id = 1",
        "UPDATE link_sessions SET client_id = 2 WHERE client_id = 1",
        "UPDATE accounts SET connection_id = 2 WHERE id = 1",
        "UPDATE transactions SET connection_id = 2 WHERE connection_id = 1",
        "UPDATE sealed_secrets SET connection_id = 2, bound_row = '2' WHERE connection_id = 1",
        "UPDATE audit_log SET client_id = 2 WHERE client_id = 1",
        "UPDATE household_members SET client_id = 2 WHERE client_id = 1",
        "UPDATE household_members SET household_id = 2 WHERE client_id = 1",
        "UPDATE link_sessions SET connection_id = 2 WHERE client_id = 1",
        "UPDATE holdings SET account_id = 2 WHERE connection_id = 1",
        "UPDATE transactions SET account_id = 2 WHERE connection_id = 1",
        "UPDATE account_owners SET account_id = 2 WHERE account_id = 1",
    ] {
        let result = alice.execute(statement, &[]);
        assert!(
            matches!(&result, Err(e) if e.code().map(|c| c.code()) == Some(INSUFFICIENT_PRIVILEGE)),
            "{statement}: {result:?}"
        );
    }
}

#[test]
fn an_advisors_new_client_is_theirs_alone() {
    let firm = firm_with_two_advisors();
    let mut alice = firm.book.connect_as(&firm.alice);
    let id: i64 = alice
        .query_one(
            "INSERT INTO clients (kind, name, created_at, updated_at) VALUES ('person', 'New', now(), now()) RETURNING id",
            &[],
        )
        .unwrap()
        .get(0);
    alice
        .execute(
            "INSERT INTO connections (client_id, provider, flow, token_hash, created_at, updated_at)
             VALUES ($1, 'flinks', 'flinks_connect', 'hash-new', now(), now())",
            &[&id],
        )
        .unwrap();
    let assigned: String = alice
        .query_one(
            "SELECT advisor_role FROM client_assignments WHERE client_id = $1",
            &[&id],
        )
        .unwrap()
        .get(0);
    assert_eq!(assigned, firm.alice.role);

    let mut bob = firm.book.connect_as(&firm.bob);
    let seen = count(
        &mut bob,
        "SELECT count(*) FROM clients WHERE id = $1",
        &[&id],
    );
    assert_eq!(seen, 0);
    // Nor can Bob create a client in Alice's name.
    assert_eq!(
        sqlstate(bob.execute(
            "INSERT INTO clients (kind, name, created_by, created_at, updated_at) VALUES ('person', 'X', $1, now(), now())",
            &[&firm.alice.role],
        )),
        INSUFFICIENT_PRIVILEGE
    );
}

#[test]
fn a_shared_client_and_everything_under_it_is_seen_by_both_advisors() {
    let firm = firm_with_two_advisors();
    let mut alice = firm.book.connect_as(&firm.alice);
    let mut bob = firm.book.connect_as(&firm.bob);

    // Alice cannot give herself Bob's client.
    assert_eq!(
        sqlstate(alice.execute(
            "INSERT INTO client_assignments (client_id, advisor_role, kind) VALUES (2, $1, 'shared')",
            &[&firm.alice.role],
        )),
        INSUFFICIENT_PRIVILEGE
    );
    assert_eq!(
        count(
            &mut bob,
            "SELECT count(*) FROM transactions WHERE connection_id = 1",
            &[]
        ),
        0
    );

    alice
        .execute(
            "INSERT INTO client_assignments (client_id, advisor_role, kind) VALUES (1, $1, 'shared')",
            &[&firm.bob.role],
        )
        .unwrap();
    assert_eq!(count(&mut bob, "SELECT count(*) FROM clients", &[]), 2);
    assert_eq!(
        count(
            &mut bob,
            "SELECT count(*) FROM transactions WHERE connection_id = 1",
            &[]
        ),
        1
    );
    assert_eq!(
        count(
            &mut bob,
            "SELECT count(*) FROM sealed_secrets WHERE connection_id = 1",
            &[]
        ),
        1
    );
    assert_eq!(count(&mut bob, "SELECT count(*) FROM households", &[]), 2);
    // Still only his own client's rows are Bob's to share onwards, and Alice still sees only hers.
    assert_eq!(count(&mut alice, "SELECT count(*) FROM clients", &[]), 1);
}

#[test]
fn only_the_admin_adds_and_removes_members_and_never_with_a_clear_password() {
    let firm = firm_with_two_advisors();
    let admin = firm.book.add_member("dave", MemberKind::Admin);

    let mut alice = firm.book.connect_as(&firm.alice);
    let refused = create_member(&mut alice, "intruder", "pw", "Intruder", MemberKind::Admin)
        .unwrap_err()
        .to_string();
    assert!(refused.contains("permission denied"), "{refused}");
    let mut compliance = firm.book.connect_as(&firm.compliance);
    assert!(remove_member(&mut compliance, &firm.bob.role).is_err());

    let mut dave = firm.book.connect_as(&admin);
    let clear = dave
        .execute(
            "SELECT create_advisor('clear_pw_role', 'secret', 'Clear', 'advisor')",
            &[],
        )
        .unwrap_err();
    assert!(
        clear
            .as_db_error()
            .unwrap()
            .message()
            .contains("SCRAM-SHA-256 verifier"),
        "{clear:?}"
    );

    // The admin sees and writes the whole book.
    let clients = count(&mut dave, "SELECT count(*) FROM clients", &[]);
    assert_eq!(clients, 2);
    dave.execute("UPDATE clients SET notes = 'checked' WHERE id = 2", &[])
        .unwrap();

    let mut bobs_open_session = firm.book.connect_as(&firm.bob);
    remove_member(&mut dave, &firm.bob.role).unwrap();
    // A session opened before the removal reads nothing any more: its role and group
    // membership are gone (the server answers "invalid role OID").
    if let Ok(row) = bobs_open_session.query_one("SELECT count(*) FROM clients", &[]) {
        assert_eq!(
            row.get::<_, i64>(0),
            0,
            "a removed member's open session reads clients"
        );
    }
    let mut superuser = firm.book.superuser();
    let role_left = count(
        &mut superuser,
        "SELECT count(*) FROM pg_roles WHERE rolname = $1",
        &[&firm.bob.role],
    );
    assert_eq!(role_left, 0, "the database role is dropped");
    let assignments = count(
        &mut superuser,
        "SELECT count(*) FROM client_assignments WHERE advisor_role = $1",
        &[&firm.bob.role],
    );
    assert_eq!(assignments, 0);
    let kept = count(
        &mut superuser,
        "SELECT count(*) FROM clients WHERE id = 2",
        &[],
    );
    assert_eq!(kept, 1, "the client stays in the firm's book");
    assert!(
        postgres::Client::connect(
            &firm
                .book
                .database
                .url_for(&firm.bob.role, &firm.bob.password),
            postgres::NoTls
        )
        .is_err(),
        "a removed member cannot sign in"
    );
}

#[test]
fn every_policy_asks_the_caller_s_standing_once_per_statement() {
    let firm = TestFirm::migrated();
    let mut superuser = firm.superuser();
    let policies: i64 = superuser
        .query_one(
            "SELECT count(*) FROM pg_policies WHERE schemaname = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(policies >= 80, "{policies} policies");
    // A standing check outside a scalar subquery runs once per row (0007 made them InitPlans).
    let per_row: Vec<String> = superuser
        .query(
            "SELECT tablename || '.' || policyname FROM pg_policies
             WHERE schemaname = 'public'
               AND (coalesce(qual, '') || ' ' || coalesce(with_check, ''))
                   ~ '(?<!SELECT )firm_(is_staff|is_admin|may_write)\\(\\)'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(per_row, Vec::<String>::new());
}

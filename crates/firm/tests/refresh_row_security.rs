//! Who refreshes what, under row-level security (migration 0003): an advisor's desktop brings,
//! claims and completes only the connections its role sees; a connection two advisors share is
//! still claimed once; the admin's desktop claims everything; compliance refreshes nothing; and
//! the round stays open until every connection — seen by the caller or not — is completed.

mod common;

use std::time::Duration;

use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::refresh::claims::{self, Completion, Lease, Outcome, OutcomeKind};
use advisor_desk_firm::refresh::{worker, RefreshError, RoundStart, WorkerConfig};
use advisor_desk_firm::test_firm::{TestFirm, TestMember};
use advisor_desk_firm::{FirmDbConfig, FirmPool};
use postgres::Client;
use serde_json::json;

const LEASE: Duration = Duration::from_secs(60);

/// Connections 1–3 are Alice's client's, 4–6 Bob's, 7 a client they share.
fn firm() -> (TestFirm, TestMember, TestMember, TestMember, TestMember) {
    let firm = TestFirm::migrated();
    let alice = firm.add_member("alice", MemberKind::Advisor);
    let bob = firm.add_member("bob", MemberKind::Advisor);
    let admin = firm.add_member("dave", MemberKind::Admin);
    let compliance = firm.add_member("carol", MemberKind::Compliance);
    firm.owner()
        .batch_execute(&format!(
            "INSERT INTO clients (id, kind, name, created_at, updated_at) VALUES
                 (1, 'person', 'Alice''s', now(), now()), (2, 'person', 'Bob''s', now(), now()),
                 (3, 'person', 'Shared', now(), now());
             INSERT INTO client_assignments (client_id, advisor_role) VALUES
                 (1, '{a}'), (2, '{b}'), (3, '{a}'), (3, '{b}');
             INSERT INTO connections (id, client_id, provider, flow, token_hash, created_at, updated_at)
                 SELECT n, CASE WHEN n <= 3 THEN 1 WHEN n <= 6 THEN 2 ELSE 3 END,
                        'flanks', 'flanks_link', 'hash-' || n, now(), now()
                 FROM generate_series(1, 7) AS n;",
            a = alice.role,
            b = bob.role
        ))
        .unwrap();
    (firm, alice, bob, admin, compliance)
}

fn ids(leases: &[Lease]) -> Vec<i64> {
    let mut ids: Vec<i64> = leases.iter().map(|l| l.connection_id).collect();
    ids.sort_unstable();
    ids
}

fn complete_all(client: &mut Client, leases: &[Lease], desktop: &str) {
    let refreshed = Outcome {
        kind: OutcomeKind::Refreshed,
        detail: json!({}),
    };
    for lease in leases {
        let done = claims::complete(client, lease, desktop, &refreshed, |_| Ok(())).unwrap();
        assert_eq!(done, Completion::Recorded(()));
    }
}

fn is_refused(result: Result<RoundStart, RefreshError>) -> bool {
    matches!(result, Err(RefreshError::Database(e))
        if e.code().map(|c| c.code()) == Some("42501"))
}

#[test]
fn advisors_refresh_what_they_see_a_shared_connection_once_and_the_round_waits_for_all() {
    let (firm, alice, bob, _, compliance) = firm();
    let mut a = firm.connect_as(&alice);
    let mut b = firm.connect_as(&bob);

    // Each desktop brings what it sees; naming another's connection is refused.
    assert!(is_refused(claims::start_round(&mut b, "bob", &[1])));
    let round = claims::start_round(&mut a, "alice", &[1, 2, 3, 7]).unwrap();
    assert!(matches!(round, RoundStart::Started(_)));
    let joined = claims::start_round(&mut b, "bob", &[4, 5, 6, 7]).unwrap();
    assert_eq!(joined, RoundStart::Joined(round.round_id()));
    let round = round.round_id();

    let alices = claims::claim(&mut a, round, "alice", 10, LEASE).unwrap();
    assert_eq!(ids(&alices), [1, 2, 3, 7]);
    let bobs = claims::claim(&mut b, round, "bob", 10, LEASE).unwrap();
    assert_eq!(
        ids(&bobs),
        [4, 5, 6],
        "the shared connection is Alice's this round"
    );
    assert_eq!(
        common::count(&mut b, "select count(*) from refresh_leases", &[]),
        4,
        "Bob sees the leases of his and the shared client's connections only"
    );

    complete_all(&mut a, &alices, "alice");
    let seen_by_alice = claims::progress(&mut a, round).unwrap();
    assert_eq!((seen_by_alice.due, seen_by_alice.completed), (4, 4));
    assert!(
        !seen_by_alice.finished,
        "Bob's connections are not done yet"
    );
    assert!(!claims::close_if_complete(&mut a, round).unwrap());

    complete_all(&mut b, &bobs, "bob");
    assert!(claims::progress(&mut b, round).unwrap().finished);
    assert_eq!(
        common::count(&mut b, "select count(*) from refresh_outcomes", &[]),
        4
    );

    // Compliance reads, never refreshes.
    let mut c = firm.connect_as(&compliance);
    assert!(is_refused(claims::start_round(&mut c, "carol", &[1])));
    assert_eq!(
        common::count(&mut c, "select count(*) from refresh_outcomes", &[]),
        7
    );
}

fn pool(firm: &TestFirm, member: &TestMember) -> FirmPool {
    FirmDbConfig::new(firm.url_for(member))
        .with_pool_size(2)
        .open_pool()
        .unwrap()
}

struct Counts(Vec<i64>);

impl worker::Refresher for Counts {
    type Fetched = ();
    fn fetch(&mut self, connection_id: i64) {
        self.0.push(connection_id);
    }
    fn outcome(&self, _: i64, _: &()) -> Outcome {
        Outcome {
            kind: OutcomeKind::Refreshed,
            detail: json!({}),
        }
    }
    fn write(
        &mut self,
        _: &mut postgres::Transaction<'_>,
        _: i64,
        _: &(),
    ) -> Result<(), RefreshError> {
        Ok(())
    }
}

#[test]
fn an_advisors_desktop_ends_its_part_and_the_admins_desktop_takes_the_rest() {
    let (firm, alice, _, admin, _) = firm();
    let alice_pool = pool(&firm, &alice);
    let round = claims::start_round(&mut alice_pool.get().unwrap(), "alice", &[1, 2, 3, 7])
        .unwrap()
        .round_id();
    let admin_pool = pool(&firm, &admin);
    claims::start_round(
        &mut admin_pool.get().unwrap(),
        "dave",
        &[1, 2, 3, 4, 5, 6, 7],
    )
    .unwrap();

    let config = |desktop: &str| WorkerConfig {
        poll: Duration::from_millis(50),
        give_up_after: Duration::from_secs(10),
        ..WorkerConfig::new(desktop)
    };
    let mut alices = Counts(Vec::new());
    worker::run_round(&alice_pool, &config("alice"), round, &mut alices).unwrap();
    alices.0.sort_unstable();
    assert_eq!(
        alices.0,
        [1, 2, 3, 7],
        "Alice's desktop fetched what she sees"
    );
    assert!(
        !claims::progress(&mut admin_pool.get().unwrap(), round)
            .unwrap()
            .finished,
        "her part is over, not the round"
    );

    let mut admins = Counts(Vec::new());
    worker::run_round(&admin_pool, &config("dave"), round, &mut admins).unwrap();
    assert_eq!(
        admins.0,
        [4, 5, 6],
        "the admin's desktop fetched the rest, once"
    );
    assert!(
        claims::progress(&mut admin_pool.get().unwrap(), round)
            .unwrap()
            .finished
    );
}

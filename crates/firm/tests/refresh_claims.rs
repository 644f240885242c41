//! Rounds, claims, leases and fencing against a real PostgreSQL server (no provider involved).

use std::thread;
use std::time::Duration;

use advisor_desk_firm::refresh::claims::{self, Completion, Outcome, OutcomeKind, RoundStart};
use advisor_desk_firm::refresh::RefreshError;
use advisor_desk_firm::test_firm::{seed_connections, TestFirm};
use advisor_desk_firm::{FirmDbConfig, FirmPool};
use serde_json::json;

const LONG: Duration = Duration::from_secs(60);
const SHORT: Duration = Duration::from_secs(1);

/// A migrated firm with connections 1..=50, as its owner (the first admin: row-level security
/// holds it, and it sees every connection).
fn firm_database() -> FirmPool {
    let database = TestFirm::migrated().database;
    let pool = FirmDbConfig::new(database.owner_url())
        .with_pool_size(4)
        .open_pool()
        .unwrap();
    let mut client = pool.get().unwrap();
    seed_connections(&mut *client, 50);
    // A stand-in for the snapshot the real writer will store, to see it commit or not.
    client
        .batch_execute("create table snapshots (connection_id bigint primary key, desktop text)")
        .unwrap();
    pool
}

fn ids(n: i64) -> Vec<i64> {
    (1..=n).collect()
}

fn refreshed() -> Outcome {
    Outcome {
        kind: OutcomeKind::Refreshed,
        detail: json!({"accounts": 1}),
    }
}

fn write_snapshot(
    desktop: &'static str,
    connection_id: i64,
) -> impl FnOnce(&mut postgres::Transaction<'_>) -> Result<(), RefreshError> {
    move |tx| {
        tx.execute(
            "insert into snapshots values ($1, $2)",
            &[&connection_id, &desktop],
        )?;
        Ok(())
    }
}

fn count(pool: &FirmPool, sql: &str) -> i64 {
    pool.get().unwrap().query_one(sql, &[]).unwrap().get(0)
}

#[test]
fn desktops_claiming_at_once_get_disjoint_connections_and_the_last_completion_closes_the_round() {
    let pool = firm_database();
    let round = claims::start_round(&mut pool.get().unwrap(), "a", &ids(30))
        .unwrap()
        .round_id();
    let claimers: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|desktop| {
            let pool = pool.clone();
            thread::spawn(move || {
                let mut client = pool.get().unwrap();
                let mut mine = Vec::new();
                loop {
                    let batch = claims::claim(&mut client, round, desktop, 3, LONG).unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch);
                }
            })
        })
        .collect();
    let mut all: Vec<_> = claimers
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(all.len(), 30, "every due connection claimed once");
    all.sort_by_key(|l| l.connection_id);
    all.dedup_by(|x, y| x.connection_id == y.connection_id);
    assert_eq!(all.len(), 30, "no connection claimed twice");

    let mut client = pool.get().unwrap();
    let progress = claims::progress(&mut client, round).unwrap();
    assert_eq!(
        (progress.due, progress.completed, progress.leased),
        (30, 0, 30)
    );
    for (i, lease) in all.iter().enumerate() {
        assert!(!claims::progress(&mut client, round).unwrap().finished);
        let done = claims::complete(
            &mut client,
            lease,
            "a",
            &refreshed(),
            write_snapshot("a", lease.connection_id),
        )
        .unwrap();
        assert_eq!(done, Completion::Recorded(()), "completion {i}");
    }
    let progress = claims::progress(&mut client, round).unwrap();
    assert!(progress.finished, "{progress:?}");
    assert_eq!(progress.completed, 30);
    assert_eq!(claims::open_round(&mut client).unwrap(), None);
    assert_eq!(count(&pool, "select count(*) from snapshots"), 30);
}

#[test]
fn a_second_desktop_starting_a_round_joins_the_open_one_and_a_new_round_follows_a_finished_one() {
    let pool = firm_database();
    let mut client = pool.get().unwrap();
    let first = claims::start_round(&mut client, "a", &ids(2)).unwrap();
    assert!(matches!(first, RoundStart::Started(_)));
    let joined = claims::start_round(&mut client, "b", &ids(5)).unwrap();
    assert_eq!(joined, RoundStart::Joined(first.round_id()));

    for lease in claims::claim(&mut client, first.round_id(), "a", 10, LONG).unwrap() {
        claims::complete(&mut client, &lease, "a", &refreshed(), |_| Ok(())).unwrap();
    }
    let second = claims::start_round(&mut client, "b", &ids(3)).unwrap();
    assert!(matches!(second, RoundStart::Started(id) if id != first.round_id()));
    let claimed = claims::claim(&mut client, second.round_id(), "b", 10, LONG).unwrap();
    assert_eq!(
        claimed.len(),
        3,
        "the connections are due again in the new round"
    );
    // Lease generations keep growing across rounds: an old claim can never match a new one.
    assert!(claimed.iter().all(|l| l.token >= 2 || l.connection_id == 3));
}

#[test]
fn a_round_with_nothing_due_is_finished_at_once_and_duplicates_are_due_once() {
    let pool = firm_database();
    let mut client = pool.get().unwrap();
    let empty = claims::start_round(&mut client, "a", &[])
        .unwrap()
        .round_id();
    assert!(claims::progress(&mut client, empty).unwrap().finished);

    let twice = vec![7, 7, 8];
    let round = claims::start_round(&mut client, "a", &twice)
        .unwrap()
        .round_id();
    assert_eq!(claims::progress(&mut client, round).unwrap().due, 2);
}

#[test]
fn an_expired_lease_is_taken_by_another_desktop_and_the_first_desktops_completion_is_refused() {
    let pool = firm_database();
    let mut client = pool.get().unwrap();
    let round = claims::start_round(&mut client, "a", &ids(1))
        .unwrap()
        .round_id();
    let lost = claims::claim(&mut client, round, "a", 1, SHORT)
        .unwrap()
        .remove(0);
    assert!(
        claims::claim(&mut client, round, "b", 1, LONG)
            .unwrap()
            .is_empty(),
        "a live lease is not claimable"
    );

    thread::sleep(Duration::from_millis(1300));
    let taken = claims::claim(&mut client, round, "b", 1, LONG)
        .unwrap()
        .remove(0);
    assert_eq!(taken.connection_id, lost.connection_id);
    assert!(taken.token > lost.token);

    assert!(
        claims::renew(&mut client, std::slice::from_ref(&lost), LONG)
            .unwrap()
            .is_empty()
    );
    let refused = claims::complete(
        &mut client,
        &lost,
        "a",
        &refreshed(),
        write_snapshot("a", lost.connection_id),
    );
    assert!(
        matches!(refused, Err(RefreshError::LeaseLost { connection_id, .. }) if connection_id == lost.connection_id),
        "{refused:?}"
    );
    assert_eq!(
        count(&pool, "select count(*) from snapshots"),
        0,
        "nothing written"
    );

    claims::complete(
        &mut client,
        &taken,
        "b",
        &refreshed(),
        write_snapshot("b", taken.connection_id),
    )
    .unwrap();
    let row = client
        .query_one(
            "select o.desktop, o.lease_token, s.desktop from refresh_outcomes o
             join snapshots s using (connection_id)",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "b");
    assert_eq!(row.get::<_, i64>(1), taken.token);
    assert_eq!(row.get::<_, String>(2), "b");
}

#[test]
fn a_renewed_lease_outlives_its_first_expiry() {
    let pool = firm_database();
    let mut client = pool.get().unwrap();
    let round = claims::start_round(&mut client, "a", &ids(1))
        .unwrap()
        .round_id();
    let mut lease = claims::claim(&mut client, round, "a", 1, SHORT).unwrap();
    for _ in 0..3 {
        thread::sleep(Duration::from_millis(500));
        lease = claims::renew(&mut client, &lease, SHORT).unwrap();
        assert_eq!(lease.len(), 1);
    }
    assert!(
        claims::claim(&mut client, round, "b", 1, LONG)
            .unwrap()
            .is_empty(),
        "1.5 s after a 1 s claim, still held thanks to renewals"
    );
}

#[test]
fn completing_the_same_claim_again_writes_nothing_twice() {
    let pool = firm_database();
    let mut client = pool.get().unwrap();
    let round = claims::start_round(&mut client, "a", &ids(2))
        .unwrap()
        .round_id();
    let lease = claims::claim(&mut client, round, "a", 1, LONG)
        .unwrap()
        .remove(0);
    let write = || write_snapshot("a", lease.connection_id);
    assert_eq!(
        claims::complete(&mut client, &lease, "a", &refreshed(), write()).unwrap(),
        Completion::Recorded(())
    );
    assert_eq!(
        claims::complete(&mut client, &lease, "a", &refreshed(), write()).unwrap(),
        Completion::AlreadyRecorded
    );
    assert_eq!(count(&pool, "select count(*) from refresh_outcomes"), 1);
    assert_eq!(count(&pool, "select count(*) from snapshots"), 1);
}

#[test]
fn a_failed_snapshot_write_records_no_outcome_and_leaves_the_lease_to_complete_later() {
    let pool = firm_database();
    let mut client = pool.get().unwrap();
    let round = claims::start_round(&mut client, "a", &ids(1))
        .unwrap()
        .round_id();
    let lease = claims::claim(&mut client, round, "a", 1, LONG)
        .unwrap()
        .remove(0);
    let failed = claims::complete(&mut client, &lease, "a", &refreshed(), |tx| {
        tx.execute("insert into snapshots values (1, 'a')", &[])?;
        Err::<(), _>(RefreshError::SnapshotWrite {
            connection_id: 1,
            message: "a record did not fit".into(),
        })
    });
    assert!(matches!(failed, Err(RefreshError::SnapshotWrite { .. })));
    assert_eq!(
        count(&pool, "select count(*) from snapshots"),
        0,
        "rolled back"
    );
    assert_eq!(count(&pool, "select count(*) from refresh_outcomes"), 0);

    let failed_outcome = Outcome {
        kind: OutcomeKind::Failed,
        detail: json!({"failure": "blocked"}),
    };
    claims::complete(&mut client, &lease, "a", &failed_outcome, |_| Ok(())).unwrap();
    assert!(claims::progress(&mut client, round).unwrap().finished);
    let outcome: String = client
        .query_one("select outcome from refresh_outcomes", &[])
        .unwrap()
        .get(0);
    assert_eq!(outcome, "failed");
}

#[test]
fn bad_input_is_refused_with_a_clear_error() {
    let pool = firm_database();
    let mut client = pool.get().unwrap();
    let not_an_id = claims::start_round(&mut client, "a", &[3, 0]);
    assert!(matches!(
        not_an_id,
        Err(RefreshError::InvalidConnectionId(0))
    ));
    assert_eq!(
        claims::open_round(&mut client).unwrap(),
        None,
        "nothing opened"
    );

    let round = claims::start_round(&mut client, "a", &ids(1))
        .unwrap()
        .round_id();
    for lease in [Duration::from_millis(10), Duration::from_secs(7200)] {
        let refused = claims::claim(&mut client, round, "a", 1, lease);
        assert!(
            matches!(refused, Err(RefreshError::InvalidLeaseDuration(d)) if d == lease),
            "{refused:?}"
        );
    }
    assert!(matches!(
        claims::progress(&mut client, round + 100),
        Err(RefreshError::UnknownRound(_))
    ));
    assert!(!RefreshError::InvalidConnectionId(0).is_transient());
}

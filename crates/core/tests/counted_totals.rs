//! `counted_totals` (0017) on a real SQLite file: after each kind of write that moves what a
//! client counts, the kept rows equal the live de-duplication (`positions::each_client`, summed
//! by `reads::book::counted_of`), and no mark is left for a later transaction.

use advisor_desk_core::domain::{
    Account, AccountKind, AssetClass, Holding, Liability, LiabilityKind, Snapshot,
};
use advisor_desk_core::reads::book::{counted_of, CountedTotal};
use advisor_desk_core::secrets::MemorySecretStore;
use advisor_desk_core::store::book_reads::BookReads;
use advisor_desk_core::store::queries::counted_totals;
use advisor_desk_core::sync::{self, write_snapshot};
use advisor_desk_core::test_fixtures as fixtures;
use advisor_desk_core::time::{self, Timestamp};
use advisor_desk_core::Store;
use chrono::{Duration, TimeZone, Utc};

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap()
}

const JOINT: &str = "ES11 1111 1111 1111 1111 1111";

fn account(id: &str, kind: AccountKind, iban: &str, minor: i64, currency: &str) -> Account {
    Account {
        provider_id: id.into(),
        kind,
        name: format!("Account {id}"),
        identifier: Some(iban.into()),
        balance: fixtures::money(minor, currency),
        available: None,
        asset_class: None,
        owners: vec!["Ana Ruiz".into()],
    }
}

fn holding(id: &str, portfolio: &str, minor: i64) -> Holding {
    Holding {
        provider_id: id.into(),
        account_ref: Some(portfolio.into()),
        name: format!("Fund {id}"),
        isin: None,
        asset_class: AssetClass::Fund,
        units: Some("1".parse().unwrap()),
        value: fixtures::money(minor, "EUR"),
    }
}

/// A bank's data: the joint current account, a portfolio with holdings, a USD account and a
/// loan.
fn bank_data(joint_minor: i64, holdings: Vec<Holding>) -> Snapshot {
    let mut snap = fixtures::snapshot(
        vec![
            account("joint", AccountKind::Current, JOINT, joint_minor, "EUR"),
            account("pf", AccountKind::Portfolio, "ES22 2222", 0, "EUR"),
            account("usd", AccountKind::Savings, "US33 3333", 5_000, "USD"),
        ],
        holdings,
        vec![],
    );
    snap.liabilities = vec![Liability {
        provider_id: "loan".into(),
        kind: LiabilityKind::Loan,
        name: "Mortgage".into(),
        outstanding: fixtures::money(90_000, "EUR"),
    }];
    snap
}

/// The kept rows equal the live computation, and they are not empty (so the test can fail).
fn assert_kept(store: &Store, after: &str) -> Vec<CountedTotal> {
    store
        .read(|db| {
            let mut live = counted_of(&db.positions_of_each_client()?);
            let mut kept = db.counted_totals()?;
            live.sort();
            kept.sort();
            assert_eq!(kept, live, "after {after}");
            assert!(!kept.is_empty(), "after {after}: nothing counted");
            assert_eq!(
                counted_totals::read::stale(db)?,
                [] as [i64; 0],
                "after {after}"
            );
            Ok(kept)
        })
        .unwrap()
}

fn sql(store: &Store, statement: &str) {
    store
        .write(|tx| {
            tx.execute_batch(statement)?;
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_kept_counts_follow_every_kind_of_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    let secrets = MemorySecretStore::new();
    let ana = fixtures::person(&store, "Ana Ruiz");
    let ben = fixtures::person(&store, "Ben Ruiz");
    let first = fixtures::ready_connection(
        &store,
        &secrets,
        ana,
        "Bank A",
        "token-1",
        &bank_data(
            1_000,
            vec![holding("h1", "pf", 300), holding("h2", "pf", 200)],
        ),
        now() - Duration::days(3),
    );
    assert_kept(&store, "a first connection's first snapshot");

    // The same joint account through a fresher second connection: counted there now.
    let second = fixtures::ready_connection(
        &store,
        &secrets,
        ana,
        "Bank B",
        "token-2",
        &bank_data(1_100, vec![]),
        now(),
    );
    let kept = assert_kept(&store, "a second connection reaching the joint account");
    let eur_assets = |rows: &[CountedTotal], conn: i64| {
        rows.iter()
            .find(|r| r.connection_id == conn && r.currency == "EUR")
            .map(|r| r.assets_minor)
    };
    // The joint account at the second; the first keeps its holdings (the portfolio is held).
    assert_eq!(eur_assets(&kept, second), Some(1_100));
    assert_eq!(eur_assets(&kept, first), Some(500));

    // A re-sync: a balance changed, a holding gone, the loan gone (missing), fresher than the
    // second connection again.
    store
        .write(|tx| {
            write_snapshot(
                tx,
                first,
                &bank_data(1_200, vec![holding("h1", "pf", 350)]),
                now(),
            )?;
            tx.execute(
                "UPDATE connections SET data_as_of = ?2, last_success_at = ?2 WHERE id = ?1",
                rusqlite::params![first, time::to_db(now() + Duration::hours(1))],
            )?;
            Ok(())
        })
        .unwrap();
    assert_kept(&store, "a re-sync of the first connection");

    // A holding's account read differently (no longer the portfolio's): the portfolio account
    // counts by its own balance again.
    sql(&store, "UPDATE holdings SET account_id = NULL");
    assert_kept(&store, "holdings detached from their account");

    // The second connection's data held back (holder check), then confirmed.
    sql(
        &store,
        &format!("UPDATE connections SET holder_check = 'pending' WHERE id = {second}"),
    );
    assert_kept(&store, "a connection held back");
    sync::holder_check::confirm(&store, second, "test").unwrap();
    assert_kept(&store, "a held-back connection confirmed");

    // An account the provider stopped returning, a changed liability.
    sql(
        &store,
        &format!(
            "UPDATE accounts SET presence = 'missing' WHERE connection_id = {first} AND provider_id = 'usd';
             UPDATE liabilities SET balance_minor = 80000 WHERE connection_id = {second}"
        ),
    );
    assert_kept(&store, "an account missing and a liability changed");

    // The second connection moved to another client: each counts its own now.
    sql(
        &store,
        &format!("UPDATE connections SET client_id = {ben} WHERE id = {second}"),
    );
    let kept = assert_kept(&store, "a connection moved to another client");
    assert!(kept.iter().any(|r| r.client_id == ben));

    // A connection deleted, a client archived, a client deleted.
    sync::connections::delete(&store, first, &secrets, "test").unwrap();
    assert_kept(&store, "a connection deleted");
    advisor_desk_core::clients::archive(&store, ben, "test").unwrap();
    assert_kept(&store, "a client archived");
    let third = fixtures::ready_connection(
        &store,
        &secrets,
        ana,
        "Bank C",
        "token-3",
        &bank_data(10, vec![]),
        now(),
    );
    assert!(third > 0);
    sql(&store, &format!("DELETE FROM clients WHERE id = {ben}"));
    let kept = assert_kept(&store, "a client deleted");
    assert!(kept.iter().all(|r| r.client_id == ana));
}

#[test]
fn a_write_outside_the_store_is_recounted_when_the_store_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite3");
    let secrets = MemorySecretStore::new();
    {
        let store = Store::open(&path).unwrap();
        let ana = fixtures::person(&store, "Ana Ruiz");
        fixtures::ready_connection(
            &store,
            &secrets,
            ana,
            "Bank A",
            "token-1",
            &bank_data(1_000, vec![holding("h1", "pf", 300)]),
            now(),
        );
    }
    // Another program's write marks the client; nothing recounts it until the store opens.
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute(
        "UPDATE accounts SET balance_minor = 7 WHERE provider_id = 'joint'",
        [],
    )
    .unwrap();
    drop(raw);
    let store = Store::open(&path).unwrap();
    let kept = assert_kept(&store, "a write by another program");
    assert!(kept.iter().any(|r| r.assets_minor == 7 + 300));
}

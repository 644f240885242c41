//! A solo book for the copy and same-reads tests, built on a real SQLite file by the core's own
//! domain code (clients, households, connections with their tokens in a secret store, snapshots
//! written by the real snapshot writer).
#![allow(dead_code)] // each test binary uses its own part

use advisor_desk_core::domain::{Account, AccountKind, AssetClass, Holding, Transaction};
use advisor_desk_core::households;
use advisor_desk_core::secrets::MemorySecretStore;
use advisor_desk_core::test_fixtures::{money, person, ready_connection, snapshot};
use advisor_desk_core::time::Timestamp;
use advisor_desk_core::Store;
use chrono::{Duration, NaiveDate, TimeZone, Utc};

pub struct SoloBook {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub secrets: MemorySecretStore,
    /// Every credentials token the book's connections hold (in the secret store only).
    pub tokens: Vec<String>,
    pub clients: Vec<i64>,
    pub household: i64,
}

pub fn at() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 30, 0).unwrap() + Duration::milliseconds(250)
}

fn account(id: &str, kind: AccountKind, iban: &str, minor: i64, currency: &str) -> Account {
    Account {
        provider_id: id.into(),
        kind,
        name: format!("Account {id}"),
        identifier: Some(iban.into()),
        balance: money(minor, currency),
        available: None,
        asset_class: None,
        owners: vec![format!("Owner of {id}")],
    }
}

fn transactions(account_ref: &str, count: usize, currency: &str) -> Vec<Transaction> {
    let first = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
    (0..count)
        .map(|i| Transaction {
            provider_id: format!("{account_ref}-t{i}"),
            account_ref: account_ref.into(),
            booking_date: first + Duration::days(i as i64 * 5),
            value_date: None,
            amount: money(
                if i % 3 == 0 {
                    120_000
                } else {
                    -(i as i64) * 1_000 - 99
                },
                currency,
            ),
            balance_after: None,
            description: format!("Payment {i} at shop {}", i % 7),
            category: (i % 2 == 0).then(|| "groceries".to_string()),
            counterparty: None,
        })
        .collect()
}

/// Three people (two in one household, sharing a joint account), EUR, CAD and USD, holdings,
/// 70 transactions.
pub fn build() -> SoloBook {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("advisor-desk.sqlite3")).unwrap();
    let secrets = MemorySecretStore::new();
    let now = at();
    let ana = person(&store, "Ana Ruiz");
    let luis = person(&store, "Luis Ruiz");
    let ben = person(&store, "Ben Tremblay");
    let household = households::create(&store, "Ruiz household", "test")
        .unwrap()
        .id;
    households::add_member(&store, household, ana, "test").unwrap();
    households::add_member(&store, household, luis, "test").unwrap();

    let joint = account(
        "joint",
        AccountKind::Current,
        "ES7600000000000000000001",
        2_500_000,
        "EUR",
    );
    let mut ana_snap = snapshot(
        vec![
            joint.clone(),
            account(
                "broker",
                AccountKind::Portfolio,
                "ES7600000000000000000002",
                0,
                "EUR",
            ),
        ],
        vec![Holding {
            provider_id: "h1".into(),
            account_ref: Some("broker".into()),
            name: "World Index Fund".into(),
            isin: Some("IE00B4L5Y983".into()),
            asset_class: AssetClass::Fund,
            units: Some("12.5".parse().unwrap()),
            value: money(1_234_567, "EUR"),
        }],
        transactions("joint", 40, "EUR"),
    );
    ana_snap.accounts[0].owners = vec!["Ana Ruiz".into(), "Luis Ruiz".into()];
    let luis_snap = snapshot(vec![joint], vec![], transactions("joint", 10, "EUR"));
    let ben_snap = snapshot(
        vec![
            account("chq", AccountKind::Current, "CA-001-0001", 880_000, "CAD"),
            account("usd", AccountKind::Savings, "CA-001-0002", 150_000, "USD"),
        ],
        vec![],
        [
            transactions("chq", 15, "CAD"),
            transactions("usd", 5, "USD"),
        ]
        .concat(),
    );
    let mut tokens = Vec::new();
    for (client, bank, snap, days_ago) in [
        (ana, "Banco Uno", &ana_snap, 1),
        (luis, "Banco Uno", &luis_snap, 3),
        (ben, "Caisse Deux", &ben_snap, 20),
    ] {
        let token = format!("solo-secret-token-{client}-{bank}");
        ready_connection(
            &store,
            &secrets,
            client,
            bank,
            &token,
            snap,
            now - Duration::days(days_ago),
        );
        tokens.push(token);
    }
    SoloBook {
        dir,
        store,
        secrets,
        tokens,
        clients: vec![ana, luis, ben],
        household,
    }
}

/// `SELECT count(*) FROM <table>` in the solo book.
pub fn solo_count(store: &Store, table: &str) -> i64 {
    store
        .read(|db| Ok(db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?))
        .unwrap()
}

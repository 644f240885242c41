//! Data shared by the benches: a synthetic snapshot and a fresh store.
#![allow(dead_code)]

use advisor_desk_core::clients;
use advisor_desk_core::clients::NewClient;
use advisor_desk_core::domain::{
    Account, AccountKind, Institution, Provider, Snapshot, SnapshotParts, Transaction,
};
use advisor_desk_core::money::{Currency, Money};
use advisor_desk_core::secrets::{MemorySecretStore, Secret};
use advisor_desk_core::sync::connections;
use advisor_desk_core::sync::NewConnection;
use advisor_desk_core::Store;
use chrono::NaiveDate;

pub const ACCOUNTS: usize = 20;

const WORDS: &[&str] = &[
    "supermercado",
    "farmacia",
    "gasolinera",
    "restaurante",
    "nomina",
    "alquiler",
    "seguro",
    "transferencia",
    "recibo",
    "luz",
    "agua",
    "telefono",
    "cafe",
    "libreria",
    "cine",
    "hotel",
];

pub fn snapshot(transactions: usize) -> Snapshot {
    let eur = Currency::parse("EUR").unwrap();
    let accounts = (0..ACCOUNTS)
        .map(|a| Account {
            provider_id: format!("acc-{a}"),
            kind: AccountKind::Current,
            name: format!("Account {a}"),
            identifier: Some(format!("ES{a:02}21000418450200{a:06}")),
            balance: Money {
                minor: 100_000 + a as i64,
                currency: eur,
            },
            available: None,
            asset_class: None,
            owners: vec!["Ana Ruiz".into()],
        })
        .collect();
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let txns = (0..transactions)
        .map(|i| {
            let w1 = WORDS[i % WORDS.len()];
            let w2 = WORDS[(i / 7) % WORDS.len()];
            Transaction {
                provider_id: format!("t-{i}"),
                account_ref: format!("acc-{}", i % ACCOUNTS),
                booking_date: start + chrono::Duration::days((i % 730) as i64),
                value_date: None,
                amount: Money {
                    minor: ((i * 7919) % 200_000) as i64 - 100_000,
                    currency: eur,
                },
                balance_after: None,
                description: format!("{w1} {w2} ref {}", i % 1000),
                category: Some(w2.to_string()),
                counterparty: None,
            }
        })
        .collect();
    Snapshot {
        institution: Institution {
            id: Some("testbank".into()),
            name: None,
        },
        accounts,
        transactions: txns,
        parts: SnapshotParts::all(),
        ..Default::default()
    }
}

/// A fresh store with one client and one connection.
pub fn store_with_connection(dir: &std::path::Path, name: &str) -> (Store, i64, i64) {
    let store = Store::open(&dir.join(name)).unwrap();
    let (client, conn) =
        add_client_with_connection(&store, "Bench", &format!("bench-token-{name}"));
    (store, client, conn)
}

/// One more client named `name` with one Flanks connection (its token kept in memory).
pub fn add_client_with_connection(store: &Store, name: &str, token: &str) -> (i64, i64) {
    let client = clients::add(
        store,
        &NewClient {
            name: name.into(),
            ..Default::default()
        },
        "bench",
    )
    .unwrap()
    .id;
    let conn = connections::add(
        store,
        &NewConnection {
            client_id: client,
            provider: Provider::Flanks,
            flow: "flanks_link".into(),
            institution_id: None,
            institution_name: None,
        },
        &Secret::new(token),
        &MemorySecretStore::new(),
        "bench",
    )
    .unwrap()
    .id;
    (client, conn)
}

//! A solo book for the copy and same-reads tests, built on a real SQLite file by the core's own
//! domain code (clients, households, connections with their tokens in a secret store, snapshots
//! written by the real snapshot writer) and, for [`with_sandbox`], connections synced from the
//! real sandbox over loopback HTTP by the core's sync engine.
#![allow(dead_code)] // each test binary uses its own part

use std::sync::Arc;
use std::time::Duration as StdDuration;

use advisor_desk_core::clients::{self, NewClient};
use advisor_desk_core::domain::{Account, AccountKind, AssetClass, Holding, Provider, Transaction};
use advisor_desk_core::households;
use advisor_desk_core::secrets::{MemorySecretStore, Secret, SecretStore};
use advisor_desk_core::sync::{
    connections, CallBuffer, CancelToken, NewConnection, ProviderGateway, SyncEngine, SyncOptions,
};
use advisor_desk_core::test_fixtures::{money, person, ready_connection, snapshot};
use advisor_desk_core::time::Timestamp;
use advisor_desk_core::Store;
use advisor_desk_providers::{
    FlanksClient, FlanksConfig, FlanksGateway, FlinksClient, FlinksConfig, FlinksGateway,
    HttpPolicy,
};
use advisor_desk_sandbox::{
    Sandbox, SandboxConfig, FLANKS_CLIENT_ID, FLANKS_CLIENT_SECRET, FLINKS_API_KEY,
    FLINKS_CUSTOMER_ID, FLINKS_SECRET_KEY,
};
use chrono::{Duration, NaiveDate, TimeZone, Utc};

pub struct SoloBook {
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub secrets: Arc<MemorySecretStore>,
    /// Every credentials token the book's connections hold (in the secret store only).
    pub tokens: Vec<String>,
    pub clients: Vec<i64>,
    pub household: i64,
}

pub fn at() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 30, 0).unwrap() + Duration::milliseconds(250)
}

pub fn account(id: &str, kind: AccountKind, iban: &str, minor: i64, currency: &str) -> Account {
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

pub fn transactions(account_ref: &str, count: usize, currency: &str) -> Vec<Transaction> {
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
    let store = Arc::new(Store::open(&dir.path().join("advisor-desk.sqlite3")).unwrap());
    let secrets = Arc::new(MemorySecretStore::new());
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
            secrets.as_ref(),
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

/// The fixture book plus every login the sandbox seeds (`credentials` of them, Flanks and
/// Flinks), each mapped to a client named after its first holder (so the holder check passes)
/// and synced by the core's engine from the real sandbox; one more connection whose token the
/// sandbox does not know, so its sync fails. The first two sandbox clients join the household.
pub fn with_sandbox(credentials: usize) -> SoloBook {
    let mut book = build();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sandbox = Sandbox::start(SandboxConfig {
            credentials,
            pending_delay: StdDuration::from_millis(100),
            flinks_processing_delay: StdDuration::from_millis(100),
            ..SandboxConfig::default()
        })
        .unwrap();
        let base = sandbox.base_url();
        let entries = sandbox.control().book().await.unwrap();
        let mut ids = Vec::new();
        for entry in &entries {
            let provider = match entry.provider.as_str() {
                "flinks" => Provider::Flinks,
                _ => Provider::Flanks,
            };
            let name = entry.holders.first().cloned().unwrap_or(entry.bank.clone());
            let client = client_named(&mut book, &name);
            ids.push(add_connection(&book, client, provider, &entry.token));
            book.tokens.push(entry.token.clone());
        }
        let stranger = client_named(&mut book, "Unknown Login");
        ids.push(add_connection(
            &book,
            stranger,
            Provider::Flanks,
            "not-a-sandbox-token",
        ));
        for client in book.clients.clone().into_iter().skip(3).take(2) {
            households::add_member(&book.store, book.household, client, "test").unwrap();
        }
        let engine = engine(&book, &base);
        engine
            .sync_many(ids, Arc::new(|_| {}), CancelToken::new())
            .await;
        drop(sandbox);
    });
    book
}

/// The client of that name, added when the book has none yet.
fn client_named(book: &mut SoloBook, name: &str) -> i64 {
    let existing = clients::list(&book.store, false)
        .unwrap()
        .into_iter()
        .find(|c| c.name == name);
    if let Some(client) = existing {
        return client.id;
    }
    let new = NewClient {
        name: name.into(),
        ..Default::default()
    };
    let id = clients::add(&book.store, &new, "test").unwrap().id;
    book.clients.push(id);
    id
}

fn add_connection(book: &SoloBook, client_id: i64, provider: Provider, token: &str) -> i64 {
    let flow = match provider {
        Provider::Flanks => "flanks_link",
        Provider::Flinks => "flinks_connect",
    };
    connections::add(
        &book.store,
        &NewConnection {
            client_id,
            provider,
            flow: flow.into(),
            institution_id: None,
            institution_name: None,
        },
        &Secret::new(token),
        book.secrets.as_ref(),
        "test",
    )
    .unwrap()
    .id
}

fn engine(book: &SoloBook, base: &str) -> SyncEngine {
    let policy = HttpPolicy {
        max_per_second: 0,
        ..HttpPolicy::default()
    };
    let calls = Arc::new(CallBuffer::new());
    let mut flanks = FlanksConfig::new(
        Secret::new(FLANKS_CLIENT_ID),
        Secret::new(FLANKS_CLIENT_SECRET),
    )
    .with_base_url(base);
    flanks.http = policy.clone();
    let mut flinks = FlinksConfig::new(
        FLINKS_CUSTOMER_ID,
        Secret::new(FLINKS_SECRET_KEY),
        Secret::new(FLINKS_API_KEY),
    )
    .with_base_url(base);
    flinks.async_poll_interval = StdDuration::from_millis(100);
    flinks.http = policy;
    let flanks = Arc::new(FlanksClient::new(flanks, calls.clone()).unwrap());
    let flinks = Arc::new(FlinksClient::new(flinks, calls.clone()).unwrap());
    let secrets: Arc<dyn SecretStore> = book.secrets.clone();
    SyncEngine::new(
        book.store.clone(),
        secrets,
        vec![
            Arc::new(FlanksGateway::new(flanks)) as Arc<dyn ProviderGateway>,
            Arc::new(FlinksGateway::new(flinks)),
        ],
        calls,
        SyncOptions {
            concurrency: 4,
            status_poll_initial: StdDuration::from_millis(50),
            status_poll_max: StdDuration::from_millis(200),
            status_deadline: StdDuration::from_secs(10),
            trigger: "test".into(),
        },
    )
}

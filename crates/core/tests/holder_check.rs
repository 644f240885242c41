//! "Is it the right person?" on a real SQLite file, through the sync engine the app uses (a
//! fake provider answers with the snapshot; the providers crate tests the sandbox over HTTP):
//! a new login whose holders share no name with the client is held back from every read
//! model until the advisor confirms; a match, a household member's name or no holder at all
//! joins at once; a re-sync never asks again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use advisor_desk_core::domain::holders::HolderCheckState;
use advisor_desk_core::domain::{
    Account, AccountKind, AssetClass, Holding, Provider, ProviderFailure, RemoteStatus, Snapshot,
};
use advisor_desk_core::error::ErrorCode;
use advisor_desk_core::households::{self, household_overview};
use advisor_desk_core::reads::export::{book_csv, holdings_csv, transactions_csv};
use advisor_desk_core::reads::Health;
use advisor_desk_core::reads::{book_summary, client_overview, health_queue};
use advisor_desk_core::secrets::{MemorySecretStore, Secret, SecretStore};
use advisor_desk_core::sync::{
    connections, holder_check, CallBuffer, NewConnection, ProviderGateway, SyncEngine, SyncOptions,
};
use advisor_desk_core::test_fixtures as fixtures;
use advisor_desk_core::time;
use advisor_desk_core::Store;

/// Answers each token with the snapshot set for it.
#[derive(Default)]
struct Bank {
    data: Mutex<HashMap<String, Snapshot>>,
}

#[async_trait::async_trait]
impl ProviderGateway for Bank {
    fn provider(&self) -> Provider {
        Provider::Flanks
    }

    async fn status(&self, _token: &Secret) -> Result<RemoteStatus, ProviderFailure> {
        Ok(RemoteStatus::ready())
    }

    async fn snapshot(
        &self,
        token: &Secret,
        _status: &RemoteStatus,
    ) -> Result<Snapshot, ProviderFailure> {
        Ok(self.data.lock().unwrap()[token.expose()].clone())
    }
}

struct Desk {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    secrets: Arc<MemorySecretStore>,
    bank: Arc<Bank>,
}

impl Desk {
    fn new() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("book.sqlite3")).unwrap());
        Desk {
            _dir: dir,
            store,
            secrets: Arc::new(MemorySecretStore::new()),
            bank: Arc::new(Bank::default()),
        }
    }

    /// A new connection of `client` whose bank names `holders` on a current account
    /// (`iban`, 1 234.56 EUR) and a fund (10 000 EUR).
    fn connect(&self, client: i64, token: &str, iban: &str, holders: &[&str]) -> i64 {
        self.bank
            .data
            .lock()
            .unwrap()
            .insert(token.into(), snapshot(token, iban, holders));
        connections::add(
            &self.store,
            &NewConnection {
                client_id: client,
                provider: Provider::Flanks,
                flow: "flanks_link".into(),
                institution_id: None,
                institution_name: Some("Test Bank".into()),
            },
            &Secret::new(token),
            self.secrets.as_ref() as &dyn SecretStore,
            "test",
        )
        .unwrap()
        .id
    }

    async fn sync(&self, id: i64) {
        let engine = SyncEngine::new(
            self.store.clone(),
            self.secrets.clone(),
            vec![self.bank.clone() as Arc<dyn ProviderGateway>],
            Arc::new(CallBuffer::new()),
            SyncOptions::default(),
        );
        let o = engine.sync_one(id, &|_| {}).await;
        assert!(
            matches!(o.result, advisor_desk_core::sync::SyncResult::Synced { .. }),
            "{o:?}"
        );
    }

    fn state(&self, id: i64) -> HolderCheckState {
        connections::get(&self.store, id).unwrap().holder_check
    }

    /// What the client's page shows: (accounts, holdings, transactions).
    fn page(&self, client: i64) -> (usize, usize, i64) {
        let o = client_overview(&self.store, client, time::now()).unwrap();
        (o.accounts.len(), o.holdings.len(), o.transaction_count)
    }

    fn audit_actions(&self) -> Vec<String> {
        self.store
            .audit_log(50)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect()
    }
}

fn snapshot(token: &str, iban: &str, holders: &[&str]) -> Snapshot {
    let owners: Vec<String> = holders.iter().map(|h| h.to_string()).collect();
    let account = Account {
        provider_id: format!("{token}-acc"),
        kind: AccountKind::Current,
        name: "Cuenta".into(),
        identifier: Some(iban.into()),
        balance: fixtures::money(123_456, "EUR"),
        available: None,
        asset_class: None,
        owners: owners.clone(),
    };
    let fund = Holding {
        provider_id: format!("{token}-fund"),
        account_ref: None,
        name: "World Index Fund".into(),
        isin: Some("IE00B4L5Y983".into()),
        asset_class: AssetClass::Fund,
        units: None,
        value: fixtures::money(1_000_000, "EUR"),
    };
    let payment = advisor_desk_core::domain::Transaction {
        provider_id: format!("{token}-t1"),
        account_ref: format!("{token}-acc"),
        booking_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        value_date: None,
        amount: fixtures::money(-4_200, "EUR"),
        balance_after: None,
        description: "Mercado".into(),
        category: None,
        counterparty: None,
    };
    fixtures::snapshot(vec![account], vec![fund], vec![payment])
}

#[tokio::test]
async fn a_login_of_someone_else_is_held_back_everywhere_until_the_advisor_confirms() {
    let d = Desk::new();
    let ana = fixtures::person(&d.store, "Ana Ruiz García");
    let id = d.connect(
        ana,
        "tok-other",
        "ES11 0000 0000 0000 0000 0001",
        &["MARTA GIL NAVARRO"],
    );
    d.sync(id).await;

    let c = connections::get(&d.store, id).unwrap();
    assert_eq!(c.holder_check, HolderCheckState::Pending);
    assert_eq!(c.holder_names, ["MARTA GIL NAVARRO"]);
    // The rows are in the file, held back from every read model.
    assert_eq!(d.page(ana), (0, 0, 0));
    let page = client_overview(&d.store, ana, time::now()).unwrap();
    assert!(page.net_worth.is_empty(), "{:?}", page.net_worth);
    assert_eq!(page.connections.len(), 1, "the card still shows, to ask");
    assert_eq!(page.health, Health::Failing, "the advisor must answer");
    let book = book_summary(&d.store, time::now()).unwrap();
    let row = book.clients.iter().find(|r| r.client_id == ana).unwrap();
    assert!(row.totals.is_empty(), "{:?}", row.totals);
    assert_eq!(row.failing, 1);
    let (_, rows) = transactions_csv(&d.store, ana).unwrap();
    assert_eq!(rows, 0);
    let (_, rows) = holdings_csv(&d.store, ana, time::now()).unwrap();
    assert_eq!(rows, 0);
    let (csv, _) = book_csv(&d.store, time::now()).unwrap();
    assert!(
        !csv.contains("1234.56") && !csv.contains("11234.56"),
        "{csv}"
    );
    let queue = health_queue(&d.store, time::now()).unwrap();
    let item = queue
        .advisor
        .iter()
        .find(|i| i.connection.connection.id == id)
        .expect("the health queue asks the advisor");
    assert_eq!(item.client_name, "Ana Ruiz García");
    assert!(item.value_at_risk.is_empty());
    assert!(d
        .audit_actions()
        .contains(&"connection.holder_check_pending".to_string()));

    // Confirm: the data joins the book, audited.
    let confirmed = holder_check::confirm(&d.store, id, "advisor").unwrap();
    assert_eq!(confirmed.holder_check, HolderCheckState::Confirmed);
    assert_eq!(d.page(ana), (1, 1, 1));
    let book = book_summary(&d.store, time::now()).unwrap();
    let row = book.clients.iter().find(|r| r.client_id == ana).unwrap();
    assert_eq!(row.totals[0].assets_minor, 1_123_456);
    assert_eq!(transactions_csv(&d.store, ana).unwrap().1, 1);
    assert!(d
        .audit_actions()
        .contains(&"connection.holder_confirmed".to_string()));
    let queue = health_queue(&d.store, time::now()).unwrap();
    assert!(queue
        .advisor
        .iter()
        .all(|i| i.connection.connection.id != id));

    // Confirming twice is refused with a clear error; nothing changes.
    let again = holder_check::confirm(&d.store, id, "advisor").unwrap_err();
    assert_eq!(again.code(), ErrorCode::InvalidInput);
    assert_eq!(d.state(id), HolderCheckState::Confirmed);

    // A re-sync of a confirmed connection never asks again.
    d.sync(id).await;
    assert_eq!(d.state(id), HolderCheckState::Confirmed);
    assert_eq!(d.page(ana), (1, 1, 1));
}

#[tokio::test]
async fn a_holder_who_is_the_client_joins_at_once_and_a_resync_never_asks() {
    let d = Desk::new();
    let ana = fixtures::person(&d.store, "Ana Ruiz García");
    let id = d.connect(
        ana,
        "tok-ana",
        "ES11 0000 0000 0000 0000 0002",
        &["RUIZ GARCIA, ANA"],
    );
    d.sync(id).await;
    assert_eq!(d.state(id), HolderCheckState::Matched);
    assert_eq!(d.page(ana), (1, 1, 1));

    // The bank later names someone else on this login: it was checked once, never again.
    d.bank.data.lock().unwrap().insert(
        "tok-ana".into(),
        snapshot("tok-ana", "ES11 0000 0000 0000 0000 0002", &["Pedro Ruiz"]),
    );
    d.sync(id).await;
    assert_eq!(d.state(id), HolderCheckState::Matched);
    assert_eq!(d.page(ana), (1, 1, 1));
}

#[tokio::test]
async fn a_household_members_name_or_no_name_at_all_joins_at_once() {
    let d = Desk::new();
    let ana = fixtures::person(&d.store, "Ana Ruiz García");
    let pedro = fixtures::person(&d.store, "Pedro Gómez");
    let home = households::create(&d.store, "Gómez Ruiz", "test").unwrap();
    households::add_member(&d.store, home.id, ana, "test").unwrap();
    households::add_member(&d.store, home.id, pedro, "test").unwrap();

    // Pedro's login, connected to Ana: a member of her household holds it.
    let spouse = d.connect(
        ana,
        "tok-pedro",
        "ES11 0000 0000 0000 0000 0003",
        &["PEDRO GOMEZ"],
    );
    d.sync(spouse).await;
    assert_eq!(d.state(spouse), HolderCheckState::Matched);
    // A bank that names no holder: nothing to compare, nothing asked.
    let silent = d.connect(pedro, "tok-silent", "ES11 0000 0000 0000 0000 0004", &[]);
    d.sync(silent).await;
    assert_eq!(d.state(silent), HolderCheckState::NoHolders);
    let page = household_overview(&d.store, home.id, time::now()).unwrap();
    assert_eq!(page.accounts.len(), 2);
    assert_eq!(
        page.holdings.len(),
        1,
        "the same fund once for the household"
    );

    // Someone outside the household, connected to Pedro: held back from the household too.
    let other = d.connect(
        pedro,
        "tok-marta",
        "ES11 0000 0000 0000 0000 0005",
        &["Marta Gil"],
    );
    d.sync(other).await;
    assert_eq!(d.state(other), HolderCheckState::Pending);
    let page = household_overview(&d.store, home.id, time::now()).unwrap();
    assert_eq!(
        page.accounts.len(),
        2,
        "the held login's account is not counted"
    );
    assert_eq!(page.transaction_count, 2);
    assert_eq!(page.connections.len(), 3, "its card still shows");
}

#[test]
fn confirming_a_connection_that_is_not_waiting_is_refused() {
    let d = Desk::new();
    let ana = fixtures::person(&d.store, "Ana Ruiz");
    let id = d.connect(
        ana,
        "tok-new",
        "ES11 0000 0000 0000 0000 0006",
        &["Marta Gil"],
    );
    // Not synced yet: nothing to confirm.
    let e = holder_check::confirm(&d.store, id, "advisor").unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert_eq!(d.state(id), HolderCheckState::Unchecked);
    let e = holder_check::confirm(&d.store, 999, "advisor").unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

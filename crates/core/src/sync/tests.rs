//! Engine tests on real SQLite files with an in-memory fake provider (unit level; the
//! providers crate tests the real HTTP path against the sandbox).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;

use super::*;
use crate::clients;
use crate::clients::NewClient;
use crate::domain::*;
use crate::money::{Currency, Money};
use crate::reads;
use crate::secrets::{MemorySecretStore, Secret, SecretStore};
use crate::store::Store;
use crate::sync::connections;
use crate::time;

type Script = VecDeque<Result<RemoteState, ProviderFailure>>;

/// A fake provider: per token, a queue of status answers (then `Ready`) and a snapshot or a
/// failure for the data.
#[derive(Default)]
struct FakeGateway {
    statuses: Mutex<HashMap<String, Script>>,
    data: Mutex<HashMap<String, Result<Snapshot, ProviderFailure>>>,
    delay: Option<Duration>,
}

#[async_trait]
impl ProviderGateway for FakeGateway {
    fn provider(&self) -> Provider {
        Provider::Flanks
    }

    async fn status(&self, token: &Secret) -> Result<RemoteStatus, ProviderFailure> {
        let next = self
            .statuses
            .lock()
            .unwrap()
            .get_mut(token.expose())
            .and_then(|q| q.pop_front());
        let state = next.unwrap_or(Ok(RemoteState::Ready))?;
        Ok(RemoteStatus {
            state,
            ..RemoteStatus::ready()
        })
    }

    async fn snapshot(
        &self,
        token: &Secret,
        _status: &RemoteStatus,
    ) -> Result<Snapshot, ProviderFailure> {
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
        }
        self.data
            .lock()
            .unwrap()
            .get(token.expose())
            .cloned()
            .unwrap_or_else(|| Err(ProviderFailure::new(FailureKind::Removed)))
    }
}

fn money(minor: i64, cur: &str) -> Money {
    Money {
        minor,
        currency: Currency::parse(cur).unwrap(),
    }
}

fn txn(id: &str, acct: &str, day: u32, minor: i64, desc: &str) -> Transaction {
    Transaction {
        provider_id: id.into(),
        account_ref: acct.into(),
        booking_date: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
        value_date: None,
        amount: money(minor, "EUR"),
        balance_after: None,
        description: desc.into(),
        category: Some("shopping".into()),
        counterparty: None,
    }
}

fn account(id: &str, iban: &str, kind: AccountKind, minor: i64, cur: &str) -> Account {
    Account {
        provider_id: id.into(),
        kind,
        name: format!("Account {id}"),
        identifier: Some(iban.into()),
        balance: money(minor, cur),
        available: None,
        asset_class: None,
        owners: vec!["Ana Ruiz".into()],
    }
}

fn sample_snapshot() -> Snapshot {
    Snapshot {
        institution: Institution {
            id: Some("testbank".into()),
            name: Some("Test Bank".into()),
        },
        accounts: vec![
            account(
                "a1",
                "ES91 2100 0418 4502 0005 1332",
                AccountKind::Current,
                150_000,
                "EUR",
            ),
            account(
                "p1",
                "ES12 0000 0000 0000 0000 0001",
                AccountKind::Portfolio,
                999,
                "EUR",
            ),
            account("u1", "US-ACC-77", AccountKind::Savings, 5_000, "USD"),
        ],
        holdings: vec![
            Holding {
                provider_id: "h1".into(),
                account_ref: Some("p1".into()),
                name: "World Index Fund".into(),
                isin: Some("IE00B4L5Y983".into()),
                asset_class: AssetClass::Fund,
                units: Some(rust_decimal::Decimal::new(12345, 3)),
                value: money(1_000_000, "EUR"),
            },
            Holding {
                provider_id: "h2".into(),
                account_ref: Some("p1".into()),
                name: "Bond".into(),
                isin: Some("ES0000012345".into()),
                asset_class: AssetClass::FixedIncome,
                units: None,
                value: money(250_000, "EUR"),
            },
        ],
        transactions: vec![
            txn("t1", "a1", 1, -1250, "Café Central"),
            txn("t2", "a1", 2, 250_000, "Nómina marzo"),
            txn("t3", "a1", 3, -1250, "Café Central"),
            txn("t4", "a1", 3, -1250, "Café Central"),
            txn("t5", "a1", 5, -9900, "Supermercado Sol"),
        ],
        liabilities: vec![Liability {
            provider_id: "l1".into(),
            kind: LiabilityKind::Loan,
            name: "Mortgage".into(),
            outstanding: money(20_000_000, "EUR"),
        }],
        cards: vec![Card {
            provider_id: "c1".into(),
            name: "Visa".into(),
            pan_masked: Some("4111********1111".into()),
            balance: Some(money(-3_000, "EUR")),
        }],
        parts: SnapshotParts::all(),
        data_as_of: None,
        ..Default::default()
    }
}

struct World {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    secrets: Arc<MemorySecretStore>,
    fake: Arc<FakeGateway>,
    client_id: i64,
}

fn world(fake: FakeGateway) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("db.sqlite3")).unwrap());
    let client_id = clients::add(
        &store,
        &NewClient {
            name: "Ana Ruiz".into(),
            ..Default::default()
        },
        "test",
    )
    .unwrap()
    .id;
    World {
        _dir: dir,
        store,
        secrets: Arc::new(MemorySecretStore::new()),
        fake: Arc::new(fake),
        client_id,
    }
}

impl World {
    fn connect(&self, token: &str) -> i64 {
        connections::add(
            &self.store,
            &NewConnection {
                client_id: self.client_id,
                provider: Provider::Flanks,
                flow: "flanks_link".into(),
                institution_id: None,
                institution_name: None,
            },
            &Secret::new(token),
            self.secrets.as_ref(),
            "test",
        )
        .unwrap()
        .id
    }

    fn set_data(&self, token: &str, data: Result<Snapshot, ProviderFailure>) {
        self.fake.data.lock().unwrap().insert(token.into(), data);
    }

    fn engine(&self, options: SyncOptions) -> SyncEngine {
        let secrets: Arc<dyn SecretStore> = self.secrets.clone();
        SyncEngine::new(
            self.store.clone(),
            secrets,
            vec![self.fake.clone() as Arc<dyn ProviderGateway>],
            Arc::new(CallBuffer::new()),
            options,
        )
    }

    fn count(&self, sql: &str) -> i64 {
        self.store
            .read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .unwrap()
    }
}

fn fast() -> SyncOptions {
    SyncOptions {
        concurrency: 4,
        status_poll_initial: Duration::from_millis(5),
        status_poll_max: Duration::from_millis(20),
        status_deadline: Duration::from_millis(200),
        trigger: "test".into(),
    }
}

async fn sync(engine: &SyncEngine, id: i64) -> ConnectionOutcome {
    engine.sync_one(id, &|_| {}).await
}

fn stats(o: &ConnectionOutcome) -> WriteStats {
    match &o.result {
        SyncResult::Synced { stats } => *stats,
        other => panic!("expected a sync, got {other:?}"),
    }
}

#[tokio::test]
async fn a_snapshot_is_written_then_an_unchanged_one_writes_nothing() {
    let w = world(FakeGateway::default());
    let id = w.connect("tok-a");
    w.set_data("tok-a", Ok(sample_snapshot()));
    let engine = w.engine(fast());

    let first = sync(&engine, id).await;
    let s1 = stats(&first);
    assert_eq!(first.status, ConnectionStatus::Ready);
    // 3 accounts + 2 holdings + 5 transactions + 1 liability + 1 card.
    assert_eq!(s1.inserted, 12, "{s1:?}");
    assert_eq!(w.count("SELECT count(*) FROM transactions"), 5);
    assert_eq!(w.count("SELECT count(*) FROM account_owners"), 3);

    let second = sync(&engine, id).await;
    let s2 = stats(&second);
    assert_eq!(s2.written(), 0, "{s2:?}");
    assert_eq!(s2.unchanged, 12);

    let c = connections::get(&w.store, id).unwrap();
    assert!(c.last_success_at.is_some());
    assert!(!c.is_stale(time::now(), crate::sync::Freshness::default()));
    assert_eq!(c.institution_name.as_deref(), Some("Test Bank"));
    // Full IBANs are never stored.
    assert_eq!(
        w.count("SELECT count(*) FROM accounts WHERE number_masked LIKE '%2100%'"),
        0
    );
}

#[tokio::test]
async fn skipped_records_and_odd_fields_are_counted_in_the_sync_run() {
    let w = world(FakeGateway::default());
    let id = w.connect("tok-odd");
    let mut snap = sample_snapshot();
    snap.notes.skip("account", "no id");
    snap.notes.odd(crate::domain::Oddity::SentinelDate);
    snap.notes.odd(crate::domain::Oddity::ObjectAsText);
    w.set_data("tok-odd", Ok(snap));
    let s = stats(&sync(&w.engine(fast()), id).await);
    assert_eq!((s.skipped, s.odd), (1, 2));
    assert_eq!(
        w.count("SELECT rows_skipped * 10 + rows_odd FROM sync_runs WHERE outcome = 'ok'"),
        12
    );
}

#[tokio::test]
async fn reissued_ids_do_not_duplicate_and_dropped_transactions_are_kept_marked() {
    let w = world(FakeGateway::default());
    let id = w.connect("tok-b");
    w.set_data("tok-b", Ok(sample_snapshot()));
    let engine = w.engine(fast());
    sync(&engine, id).await;

    // The provider reissues every id and stops returning t2 (inside the window).
    let mut snap = sample_snapshot();
    for a in &mut snap.accounts {
        a.provider_id = format!("new-{}", a.provider_id);
    }
    for h in &mut snap.holdings {
        h.provider_id = format!("new-{}", h.provider_id);
        h.account_ref = h.account_ref.as_ref().map(|r| format!("new-{r}"));
    }
    snap.transactions.retain(|t| t.provider_id != "t2");
    for t in &mut snap.transactions {
        t.provider_id = format!("new-{}", t.provider_id);
        t.account_ref = format!("new-{}", t.account_ref);
    }
    w.set_data("tok-b", Ok(snap));
    let s = stats(&sync(&engine, id).await);
    assert_eq!(s.inserted, 0, "{s:?}");
    assert_eq!(w.count("SELECT count(*) FROM transactions"), 5);
    assert_eq!(w.count("SELECT count(*) FROM accounts"), 3);
    assert_eq!(w.count("SELECT count(*) FROM holdings"), 2);
    assert_eq!(
        w.count("SELECT count(*) FROM transactions WHERE presence = 'missing'"),
        1
    );
    assert_eq!(
        w.count("SELECT count(*) FROM transactions WHERE provider_id LIKE 'new-%'"),
        4
    );
    // The two identical coffees on the 3rd are still two rows.
    assert_eq!(
        w.count("SELECT count(*) FROM transactions WHERE booking_date = '2026-03-03'"),
        2
    );

    // Only newer transactions come back (older ones aged out of the window): untouched.
    let mut snap = sample_snapshot();
    snap.transactions.retain(|t| t.provider_id == "t5");
    w.set_data("tok-b", Ok(snap));
    sync(&engine, id).await;
    assert_eq!(
        w.count("SELECT count(*) FROM transactions WHERE presence = 'missing'"),
        1,
        "transactions older than the returned window are not marked missing"
    );
    assert_eq!(
        w.count(
            "SELECT count(*) FROM transactions WHERE presence = 'active' AND provider_id = 't5'"
        ),
        1
    );
}

#[tokio::test]
async fn a_part_that_was_not_fetched_leaves_its_rows_alone() {
    let w = world(FakeGateway::default());
    let id = w.connect("tok-p");
    w.set_data("tok-p", Ok(sample_snapshot()));
    let engine = w.engine(fast());
    sync(&engine, id).await;
    let mut snap = sample_snapshot();
    snap.transactions.clear();
    snap.holdings.clear();
    snap.parts.transactions = false;
    snap.parts.holdings = false;
    w.set_data("tok-p", Ok(snap));
    let s = stats(&sync(&engine, id).await);
    assert_eq!(s.written(), 0, "{s:?}");
    assert_eq!(w.count("SELECT count(*) FROM holdings"), 2);
    assert_eq!(
        w.count("SELECT count(*) FROM transactions WHERE presence = 'active'"),
        5
    );
}

#[tokio::test]
async fn readers_see_the_old_snapshot_until_the_new_one_commits() {
    let w = world(FakeGateway::default());
    let id = w.connect("tok-r");
    w.set_data("tok-r", Ok(sample_snapshot()));
    let engine = w.engine(fast());
    sync(&engine, id).await;
    let mut bigger = sample_snapshot();
    bigger.transactions.push(txn("t9", "a1", 9, -1, "Extra"));
    let seen_inside = w
        .store
        .write(|tx| {
            write_snapshot(tx, id, &bigger, time::now())?;
            // The reader connection still sees the committed state.
            w.store.read(|c| {
                Ok(c.query_row("SELECT count(*) FROM transactions", [], |r| {
                    r.get::<_, i64>(0)
                })?)
            })
        })
        .unwrap();
    assert_eq!(seen_inside, 5);
    assert_eq!(w.count("SELECT count(*) FROM transactions"), 6);

    // A failing write rolls back completely.
    let mut broken = sample_snapshot();
    broken.transactions.push(txn("t10", "a1", 10, -1, "Never"));
    let err = w.store.write(|tx| {
        write_snapshot(tx, id, &broken, time::now())?;
        Err::<(), _>(crate::CoreError::invalid("boom"))
    });
    assert!(err.is_err());
    assert_eq!(
        w.count("SELECT count(*) FROM transactions WHERE provider_id = 't10'"),
        0
    );
}

#[tokio::test]
async fn failures_are_classified_and_transient_ones_never_ask_the_client() {
    let w = world(FakeGateway::default());
    let id = w.connect("tok-f");
    w.set_data("tok-f", Ok(sample_snapshot()));
    let engine = w.engine(fast());
    sync(&engine, id).await;

    w.set_data(
        "tok-f",
        Err(ProviderFailure::new(FailureKind::RateLimited).with_code("429")),
    );
    let o = sync(&engine, id).await;
    assert_eq!(o.status, ConnectionStatus::RetryLater);
    let c = connections::get(&w.store, id).unwrap();
    assert_eq!(c.action_by, Actor::Nobody);
    assert!(c.next_retry_at.is_some_and(|t| t > time::now()));
    assert!(
        c.is_stale(time::now(), crate::sync::Freshness::default()),
        "a failed last attempt makes it stale"
    );
    assert!(c.last_success_at.unwrap() < c.last_attempt_at.unwrap());
    // Data from the last success is kept.
    assert_eq!(w.count("SELECT count(*) FROM transactions"), 5);

    w.fake.statuses.lock().unwrap().insert(
        "tok-f".into(),
        VecDeque::from([Ok(RemoteState::PendingSca)]),
    );
    let forecast_of = |id| {
        let outlook = crate::reads::Outlook::of(&w.store, time::now()).unwrap();
        outlook
            .view(connections::get(&w.store, id).unwrap())
            .consent
    };
    assert!(
        forecast_of(id).is_some(),
        "a working Flanks connection has its forecast"
    );
    let o = sync(&engine, id).await;
    assert_eq!(o.status, ConnectionStatus::PendingSca);
    assert_eq!(
        connections::get(&w.store, id).unwrap().action_by,
        Actor::Client
    );
    assert_eq!(
        forecast_of(id),
        None,
        "no 'next SCA in N days' while the bank asks now"
    );

    // A timeout while Pending SCA keeps it Pending SCA (unconfirmed, still the client's).
    w.set_data("tok-f", Err(ProviderFailure::new(FailureKind::Timeout)));
    w.fake.statuses.lock().unwrap().insert(
        "tok-f".into(),
        VecDeque::from([Err(ProviderFailure::new(FailureKind::Timeout))]),
    );
    assert_eq!(sync(&engine, id).await.status, ConnectionStatus::PendingSca);

    // Resolved: back to ready, failure count reset.
    w.set_data("tok-f", Ok(sample_snapshot()));
    assert_eq!(sync(&engine, id).await.status, ConnectionStatus::Ready);
    let c = connections::get(&w.store, id).unwrap();
    assert_eq!(c.consecutive_failures, 0);
    assert!(c.next_retry_at.is_none());
    assert_eq!(
        w.count("SELECT count(*) FROM sync_runs WHERE outcome = 'failed'"),
        3
    );
}

#[tokio::test]
async fn pending_is_polled_until_ready_and_gives_up_at_the_deadline() {
    let w = world(FakeGateway::default());
    let id = w.connect("tok-w");
    w.set_data("tok-w", Ok(sample_snapshot()));
    w.fake.statuses.lock().unwrap().insert(
        "tok-w".into(),
        VecDeque::from([Ok(RemoteState::Pending), Ok(RemoteState::Pending)]),
    );
    let engine = w.engine(fast());
    let steps = Mutex::new(Vec::new());
    let o = engine
        .sync_one(id, &|s| steps.lock().unwrap().push(s))
        .await;
    assert_eq!(o.status, ConnectionStatus::Ready);
    let steps = steps.into_inner().unwrap();
    assert_eq!(
        steps
            .iter()
            .filter(|s| **s == SyncStep::WaitingForProvider)
            .count(),
        2
    );

    let id2 = w.connect("tok-w2");
    w.set_data("tok-w2", Ok(sample_snapshot()));
    w.fake.statuses.lock().unwrap().insert(
        "tok-w2".into(),
        std::iter::repeat_with(|| Ok(RemoteState::Pending))
            .take(1000)
            .collect(),
    );
    let o = sync(&engine, id2).await;
    assert_eq!(o.status, ConnectionStatus::Pending);
    assert!(
        matches!(o.result, SyncResult::Failed { ref failure } if failure.kind == FailureKind::Pending)
    );
}

#[tokio::test]
async fn many_connections_one_failing_with_progress_and_cancellation() {
    let w = world(FakeGateway {
        delay: Some(Duration::from_millis(20)),
        ..Default::default()
    });
    let mut ids = Vec::new();
    for i in 0..12 {
        let tok = format!("tok-m{i}");
        ids.push(w.connect(&tok));
        if i == 3 {
            w.set_data(
                &tok,
                Err(ProviderFailure::new(FailureKind::BankUnavailable)),
            );
        } else {
            w.set_data(&tok, Ok(sample_snapshot()));
        }
    }
    let engine = w.engine(fast());
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let summary = engine
        .sync_many(
            ids.clone(),
            Arc::new(move |p: SyncProgress| sink.lock().unwrap().push(p)),
            CancelToken::new(),
        )
        .await;
    assert_eq!((summary.synced, summary.failed), (11, 1));
    let events = events.lock().unwrap().clone();
    let finished: Vec<_> = events
        .iter()
        .filter(|e| matches!(e.step, SyncStep::Finished { .. }))
        .collect();
    assert_eq!(finished.len(), 12);
    assert!(events.iter().all(|e| e.total == 12 && e.done <= 12));
    assert_eq!(finished.iter().map(|e| e.done).max(), Some(12));
    serde_json::to_string(&events).unwrap();
    serde_json::to_string(&summary).unwrap();

    // Cancelled before it starts: nothing is synced or written.
    let cancel = CancelToken::new();
    cancel.cancel();
    let runs_before = w.count("SELECT count(*) FROM sync_runs");
    let summary = engine
        .sync_many(ids.clone(), Arc::new(|_| {}), cancel)
        .await;
    assert_eq!(summary.cancelled, 12);
    assert_eq!(w.count("SELECT count(*) FROM sync_runs"), runs_before);

    // Cancelled midway: the rest stop, finished ones keep their data. The cancel comes from
    // the first finished connection's progress event, not a timer, so a loaded machine cannot
    // make it land before the first or after the last connection.
    let cancel = CancelToken::new();
    let on_first_finish = cancel.clone();
    let slow = SyncOptions {
        concurrency: 2,
        ..fast()
    };
    let summary = w
        .engine(slow)
        .sync_many(
            ids,
            Arc::new(move |p: SyncProgress| {
                if matches!(p.step, SyncStep::Finished { .. }) {
                    on_first_finish.cancel();
                }
            }),
            cancel,
        )
        .await;
    assert!(
        summary.cancelled > 0 && summary.cancelled < 12,
        "{summary:?}"
    );
}

#[tokio::test]
async fn net_worth_allocation_newest_and_search_never_mix_currencies() {
    let w = world(FakeGateway::default());
    let id = w.connect("tok-n");
    w.set_data("tok-n", Ok(sample_snapshot()));
    sync(&w.engine(fast()), id).await;
    let (nw, alloc, newest, found) = w
        .store
        .read(|c| {
            Ok((
                reads::net_worth(c, w.client_id)?,
                reads::allocation(c, w.client_id)?,
                reads::newest_transactions(c, w.client_id, 3)?,
                reads::search_transactions(c, w.client_id, "cafe", 10)?,
            ))
        })
        .unwrap();
    // EUR: current 1500.00 + holdings 10000 + 2500 (portfolio balance not counted twice)
    // minus the 200000.00 mortgage. USD separate.
    assert_eq!(nw.len(), 2);
    let eur = nw.iter().find(|n| n.currency == "EUR").unwrap();
    assert_eq!(eur.assets_minor, 150_000 + 1_000_000 + 250_000);
    assert_eq!(eur.liabilities_minor, 20_000_000);
    assert_eq!(eur.net_minor, 1_400_000 - 20_000_000);
    assert_eq!(
        nw.iter().find(|n| n.currency == "USD").unwrap().net_minor,
        5_000
    );
    let classes: Vec<_> = alloc
        .iter()
        .map(|a| (a.currency.as_str(), a.asset_class.as_str(), a.value_minor))
        .collect();
    assert_eq!(
        classes,
        vec![
            ("EUR", "fund", 1_000_000),
            ("EUR", "fixed_income", 250_000),
            ("EUR", "cash", 150_000),
            ("USD", "cash", 5_000)
        ]
    );
    assert_eq!(newest[0].booking_date, "2026-03-05");
    assert_eq!(newest.len(), 3);
    // Accent-insensitive prefix search finds the three "Café Central".
    assert_eq!(found.len(), 3);
    // FTS operators typed by a person are searched as words, not parsed.
    let odd = w
        .store
        .read(|c| reads::search_transactions(c, w.client_id, "NEAR( \"* OR", 10))
        .unwrap();
    assert!(odd.is_empty());
}

#[tokio::test]
async fn a_missing_keychain_entry_is_the_advisors_to_fix_and_says_so() {
    let w = world(FakeGateway::default());
    let id = w.connect("tok-k");
    w.set_data("tok-k", Ok(sample_snapshot()));
    let c = connections::get(&w.store, id).unwrap();
    w.secrets.delete(&c.secret_key().unwrap()).unwrap();
    let o = sync(&w.engine(fast()), id).await;
    assert!(matches!(o.result, SyncResult::Error { .. }), "{o:?}");
    let c = connections::get(&w.store, id).unwrap();
    assert_eq!(c.status, ConnectionStatus::NeedsAdvisor);
    assert_eq!(c.action_by, Actor::Advisor);
    assert!(c.provider_message.as_deref().unwrap().contains("keychain"));
    assert!(c.last_attempt_at.is_some());
    let outlook = crate::reads::Outlook::of(&w.store, time::now()).unwrap();
    let view = serde_json::to_value(outlook.view(c.clone())).unwrap();
    assert_eq!(view["stale"], true);
    assert!(
        view.get("secret_ref").is_none(),
        "the keychain reference stays out of IPC"
    );
}

#[tokio::test]
async fn a_scheduled_refresh_skips_connections_waiting_for_their_retry_time() {
    let w = world(FakeGateway::default());
    let ok = w.connect("tok-d1");
    let limited = w.connect("tok-d2");
    w.set_data("tok-d1", Ok(sample_snapshot()));
    w.set_data(
        "tok-d2",
        Err(ProviderFailure::new(FailureKind::RateLimited)
            .with_retry_at(Some(time::now() + chrono::Duration::hours(1)))),
    );
    let engine = w.engine(fast());
    let first = engine
        .sync_due(Arc::new(|_| {}), CancelToken::new())
        .await
        .unwrap();
    assert_eq!((first.total, first.synced, first.failed), (2, 1, 1));
    // The rate-limited one waits for its time; the healthy one is synced again.
    let second = engine
        .sync_due(Arc::new(|_| {}), CancelToken::new())
        .await
        .unwrap();
    let ids: Vec<i64> = second.outcomes.iter().map(|o| o.connection_id).collect();
    assert_eq!(ids, vec![ok]);
    assert_ne!(ok, limited);
}

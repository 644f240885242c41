//! The workspace read models on a real SQLite file, with data written by the sync engine's
//! snapshot writer: book summary, client overview, transactions pages, health queue, CSV.

use advisor_desk_core::clients;
use advisor_desk_core::clients::NewClient;
use advisor_desk_core::domain::{
    Account, AccountKind, AssetClass, Holding, Liability, LiabilityKind, Provider, Snapshot,
    Transaction,
};
use advisor_desk_core::money::{Currency, Money};
use advisor_desk_core::reads::export;
use advisor_desk_core::reads::health::Group;
use advisor_desk_core::reads::{
    book_summary, client_overview, health_queue, transactions_page, Health, TransactionQuery,
};
use advisor_desk_core::secrets::{MemorySecretStore, Secret};
use advisor_desk_core::sync::connections;
use advisor_desk_core::sync::{write_snapshot, NewConnection};
use advisor_desk_core::test_fixtures::snapshot;
use advisor_desk_core::time::{self, Timestamp};
use advisor_desk_core::Store;
use chrono::{Duration, NaiveDate, TimeZone, Utc};

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap()
}

fn money(minor: i64, cur: &str) -> Money {
    Money {
        minor,
        currency: Currency::parse(cur).unwrap(),
    }
}

fn account(
    id: &str,
    iban: &str,
    kind: AccountKind,
    minor: i64,
    cur: &str,
    owners: &[&str],
) -> Account {
    Account {
        provider_id: id.into(),
        kind,
        name: format!("Account {id}"),
        identifier: Some(iban.into()),
        balance: money(minor, cur),
        available: None,
        asset_class: None,
        owners: owners.iter().map(|o| o.to_string()).collect(),
    }
}

fn txn(
    id: &str,
    acct: &str,
    date: (i32, u32, u32),
    minor: i64,
    cur: &str,
    desc: &str,
) -> Transaction {
    Transaction {
        provider_id: id.into(),
        account_ref: acct.into(),
        booking_date: NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap(),
        value_date: None,
        amount: money(minor, cur),
        balance_after: None,
        description: desc.into(),
        category: None,
        counterparty: None,
    }
}

struct Book {
    _dir: tempfile::TempDir,
    store: Store,
    secrets: MemorySecretStore,
    tokens: u32,
}

impl Book {
    fn new() -> Book {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        Book {
            _dir: dir,
            store,
            secrets: MemorySecretStore::new(),
            tokens: 0,
        }
    }

    fn client(&self, name: &str) -> i64 {
        clients::add(
            &self.store,
            &NewClient {
                name: name.into(),
                ..Default::default()
            },
            "test",
        )
        .unwrap()
        .id
    }

    /// A connection with a snapshot written, then put in `status` with the given times.
    #[allow(clippy::too_many_arguments)]
    fn connection(
        &mut self,
        client_id: i64,
        institution: &str,
        snap: &Snapshot,
        status: &str,
        action_by: &str,
        last_success: Option<Timestamp>,
        last_attempt: Option<Timestamp>,
    ) -> i64 {
        self.tokens += 1;
        let id = connections::add(
            &self.store,
            &NewConnection {
                client_id,
                provider: Provider::Flanks,
                flow: "flanks_link".into(),
                institution_id: Some(institution.to_lowercase().replace(' ', "_")),
                institution_name: Some(institution.into()),
            },
            &Secret::new(format!("token-{}", self.tokens)),
            &self.secrets,
            "test",
        )
        .unwrap()
        .id;
        let at = last_success.unwrap_or_else(now);
        self.store
            .write(|tx| {
                write_snapshot(tx, id, snap, at)?;
                tx.execute(
                    "UPDATE connections SET status = ?2, action_by = ?3, last_success_at = ?4,
                         last_attempt_at = ?5, data_as_of = ?4 WHERE id = ?1",
                    rusqlite::params![
                        id,
                        status,
                        action_by,
                        last_success.map(time::to_db),
                        last_attempt.or(last_success).map(time::to_db)
                    ],
                )?;
                Ok(())
            })
            .unwrap();
        id
    }
}

const JOINT: &str = "ES11 1111 1111 1111 1111 1111";

/// Ana has two connections (her login and her husband's, both under her) that both reach
/// a joint EUR account; her own EUR portfolio with holdings; a CAD savings account; a loan.
fn ana_book() -> (Book, i64, i64) {
    let mut b = Book::new();
    let ana = b.client("Ana Ruiz");
    let luis = b.client("Luis Gómez");
    let fresh = now() - Duration::hours(2);
    let mut first = snapshot(
        vec![
            account(
                "j",
                JOINT,
                AccountKind::Current,
                500_000,
                "EUR",
                &["Ana Ruiz", "Pedro Ruiz"],
            ),
            account(
                "p",
                "ES22 2222",
                AccountKind::Portfolio,
                1,
                "EUR",
                &["Ana Ruiz"],
            ),
            account(
                "c",
                "CA-123",
                AccountKind::Savings,
                300_000,
                "CAD",
                &["Ana Ruiz"],
            ),
        ],
        vec![
            Holding {
                provider_id: "h1".into(),
                account_ref: Some("p".into()),
                name: "World =Fund, \"Acc\"".into(),
                isin: Some("IE00B4L5Y983".into()),
                asset_class: AssetClass::Fund,
                units: Some(rust_decimal::Decimal::new(12345, 3)),
                value: money(750_000, "EUR"),
            },
            Holding {
                provider_id: "h2".into(),
                account_ref: Some("p".into()),
                name: "Bono 2030".into(),
                isin: Some("ES0000012345".into()),
                asset_class: AssetClass::FixedIncome,
                units: None,
                value: money(250_000, "EUR"),
            },
        ],
        vec![
            txn("t1", "j", (2026, 3, 2), 250_000, "EUR", "Nómina marzo"),
            txn(
                "t2",
                "j",
                (2026, 2, 10),
                -10_000,
                "EUR",
                "Café, \"Central\"\nMadrid",
            ),
            txn("t3", "j", (2026, 1, 15), -40_000, "EUR", "Alquiler enero"),
            txn("t4", "c", (2026, 3, 5), 20_000, "CAD", "Deposit"),
        ],
    );
    first.liabilities.push(Liability {
        provider_id: "l1".into(),
        kind: LiabilityKind::Loan,
        name: "Hipoteca".into(),
        outstanding: money(100_000, "EUR"),
    });
    b.connection(
        ana,
        "Banco Uno",
        &first,
        "ready",
        "nobody",
        Some(fresh),
        None,
    );
    // Pedro's login under Ana: the same joint account, an older copy, same transactions.
    let second = snapshot(
        vec![account(
            "jj",
            JOINT,
            AccountKind::Current,
            499_000,
            "EUR",
            &["Pedro Ruiz"],
        )],
        vec![],
        vec![
            txn("u1", "jj", (2026, 3, 2), 250_000, "EUR", "Nómina marzo"),
            txn(
                "u2",
                "jj",
                (2026, 2, 10),
                -10_000,
                "EUR",
                "Café, \"Central\"\nMadrid",
            ),
        ],
    );
    b.connection(
        ana,
        "Banco Dos",
        &second,
        "pending_sca",
        "client",
        Some(now() - Duration::days(3)),
        Some(now() - Duration::hours(1)),
    );
    // Luis shares the joint account too (another client): counted for him as well.
    let third = snapshot(
        vec![account(
            "x",
            JOINT,
            AccountKind::Current,
            500_000,
            "EUR",
            &["Luis Gómez"],
        )],
        vec![],
        vec![],
    );
    b.connection(
        luis,
        "Banco Uno",
        &third,
        "ready",
        "nobody",
        Some(fresh),
        None,
    );
    (b, ana, luis)
}

fn eur(totals: &[advisor_desk_core::reads::CurrencyTotal], cur: &str) -> (i64, i64, i64) {
    let t = totals.iter().find(|t| t.currency == cur).expect(cur);
    (t.assets_minor, t.liabilities_minor, t.net_minor)
}

#[test]
fn book_totals_per_currency_dedupe_joint_accounts_and_take_the_worst_health() {
    let (b, ana, luis) = ana_book();
    let book = book_summary(&b.store, now()).unwrap();
    let names: Vec<_> = book.clients.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Ana Ruiz", "Luis Gómez"]);
    let a = book.clients.iter().find(|r| r.client_id == ana).unwrap();
    // Joint account once (newest copy 5 000.00), holdings instead of the portfolio, loan.
    assert_eq!(
        eur(&a.totals, "EUR"),
        (500_000 + 1_000_000, 100_000, 1_400_000)
    );
    assert_eq!(eur(&a.totals, "CAD"), (300_000, 0, 300_000));
    assert_eq!(a.totals.len(), 2, "currencies are never summed together");
    assert_eq!(a.connection_count, 2);
    assert_eq!(a.health, Health::NeedsClient);
    assert_eq!((a.needs_client, a.waiting, a.failing), (1, 0, 0));
    assert!(a.stale);
    assert_eq!(a.data_age_days, Some(3));
    let l = book.clients.iter().find(|r| r.client_id == luis).unwrap();
    assert_eq!(eur(&l.totals, "EUR"), (500_000, 0, 500_000));
    assert_eq!(l.health, Health::Good);
    assert!(!l.stale);
    assert_eq!(l.data_age_days, Some(0));
}

#[test]
fn a_client_without_connections_has_no_totals_and_no_health() {
    let b = Book::new();
    b.client("Nuevo Cliente");
    let book = book_summary(&b.store, now()).unwrap();
    assert_eq!(book.clients[0].health, Health::None);
    assert!(book.clients[0].totals.is_empty());
    assert_eq!(book.clients[0].data_as_of, None);
}

#[test]
fn client_overview_shows_joint_accounts_once_with_all_owners_weights_and_history() {
    let (b, ana, _) = ana_book();
    let o = client_overview(&b.store, ana, now()).unwrap();
    assert_eq!(eur(&o.net_worth, "EUR").2, 1_400_000);
    let joint: Vec<_> = o.accounts.iter().filter(|a| a.kind == "current").collect();
    assert_eq!(joint.len(), 1, "the joint account is listed once");
    assert_eq!(joint[0].owners, ["Ana Ruiz", "Pedro Ruiz"]);
    assert_eq!(joint[0].copies, 2);
    assert_eq!(joint[0].balance_minor, 500_000, "the newest copy");
    assert_eq!(joint[0].institution, "Banco Uno");

    let w: i64 = o.holdings.iter().map(|h| h.weight_bp).sum();
    assert_eq!(w, 10_000);
    assert_eq!(o.holdings[0].weight_bp, 7_500);
    assert_eq!(o.holdings[0].units.as_deref(), Some("12.345"));

    let class: Vec<_> = o
        .by_class
        .iter()
        .filter(|s| s.currency == "EUR")
        .map(|s| (s.key.as_str(), s.value_minor))
        .collect();
    assert_eq!(
        class,
        [
            ("fund", 750_000),
            ("cash", 500_000),
            ("fixed_income", 250_000)
        ]
    );
    let inst: Vec<_> = o
        .by_institution
        .iter()
        .map(|s| (s.currency.as_str(), s.key.as_str(), s.value_minor))
        .collect();
    assert_eq!(
        inst,
        [
            ("CAD", "Banco Uno", 300_000),
            ("EUR", "Banco Uno", 1_500_000)
        ]
    );
    assert_eq!(o.by_currency.len(), 2);

    // History: today's net, then backwards minus each month's flows (joint account once).
    let hist: Vec<_> = o.history.iter().filter(|p| p.currency == "EUR").collect();
    assert_eq!(hist.len(), 12);
    assert_eq!(hist[11].date, "2026-03-20");
    assert_eq!(hist[11].net_minor, 1_400_000);
    assert_eq!(hist[10].date, "2026-02-28");
    assert_eq!(hist[10].net_minor, 1_400_000 - 250_000);
    assert_eq!(hist[9].net_minor, 1_400_000 - 250_000 + 10_000);
    assert_eq!(hist[8].net_minor, 1_400_000 - 250_000 + 10_000 + 40_000);
    assert_eq!(o.history_method, "backward_from_balances");
    assert_eq!(
        o.transaction_count, 4,
        "the joint account's copy is not listed twice"
    );
    assert_eq!(o.connections.len(), 2);
    assert!(o.stale);
}

#[test]
fn transactions_page_filters_searches_and_windows() {
    let (b, ana, _) = ana_book();
    let all = |q: TransactionQuery| transactions_page(&b.store, ana, &q).unwrap();
    let base = TransactionQuery {
        limit: 2,
        ..Default::default()
    };
    let p = all(base.clone());
    assert_eq!(p.total, 4);
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.rows[0].booking_date, "2026-03-05");
    let p2 = all(TransactionQuery {
        offset: 2,
        ..base.clone()
    });
    assert_eq!(p2.rows[0].description, "Café, \"Central\"\nMadrid");
    let s = all(TransactionQuery {
        search: Some("cafe".into()),
        limit: 50,
        ..Default::default()
    });
    assert_eq!(s.total, 1, "accents ignored, joint copy not duplicated");
    let s = all(TransactionQuery {
        search: Some("\"OR\" NEAR(".into()),
        limit: 50,
        ..Default::default()
    });
    assert_eq!(s.total, 0, "operators are searched as words");
    let d = all(TransactionQuery {
        from: Some("2026-02-01".into()),
        to: Some("2026-02-28".into()),
        limit: 50,
        ..Default::default()
    });
    assert_eq!(d.total, 1);
    let cad = client_overview(&b.store, ana, now())
        .unwrap()
        .accounts
        .into_iter()
        .find(|a| a.currency == "CAD")
        .unwrap();
    let a = all(TransactionQuery {
        account_ids: vec![cad.id],
        limit: 50,
        ..Default::default()
    });
    assert_eq!(a.total, 1);
    assert_eq!(a.rows[0].account_name, "Account c");
    let bad = transactions_page(
        &b.store,
        ana,
        &TransactionQuery {
            from: Some("20/03/2026".into()),
            limit: 5,
            ..Default::default()
        },
    );
    assert_eq!(
        bad.unwrap_err().code(),
        advisor_desk_core::ErrorCode::InvalidInput
    );
    let bad = transactions_page(
        &b.store,
        ana,
        &TransactionQuery {
            limit: 0,
            ..Default::default()
        },
    );
    assert!(bad.is_err());
}

#[test]
fn health_queue_groups_by_who_acts_ranks_and_spots_institution_outages() {
    let (mut b, _, _) = ana_book();
    let recent = Some(now() - Duration::hours(1));
    let old_ok = Some(now() - Duration::days(2));
    // Three clients failing at Banco Caído within the hour: one outage, not three repairs.
    for name in ["C1", "C2", "C3"] {
        let c = b.client(name);
        let s = snapshot(
            vec![account(
                &format!("a{name}"),
                &format!("ES-{name}"),
                AccountKind::Current,
                10_000,
                "EUR",
                &[name],
            )],
            vec![],
            vec![],
        );
        b.connection(
            c,
            "Banco Caído",
            &s,
            "retry_later",
            "nobody",
            old_ok,
            recent,
        );
    }
    // An advisor problem and a big client waiting on a transient failure.
    let d = b.client("Dora");
    let s = snapshot(
        vec![account(
            "d",
            "ES-D",
            AccountKind::Current,
            50_000,
            "EUR",
            &[],
        )],
        vec![],
        vec![],
    );
    b.connection(
        d,
        "Banco Tres",
        &s,
        "needs_advisor",
        "advisor",
        old_ok,
        recent,
    );
    let e = b.client("Eva");
    let s = snapshot(
        vec![account(
            "e",
            "ES-E",
            AccountKind::Current,
            9_000_000,
            "EUR",
            &[],
        )],
        vec![],
        vec![],
    );
    b.connection(
        e,
        "Banco Cuatro",
        &s,
        "retry_later",
        "nobody",
        old_ok,
        recent,
    );
    let f = b.client("Fede");
    let s = snapshot(
        vec![account("f", "ES-F", AccountKind::Current, 100, "EUR", &[])],
        vec![],
        vec![],
    );
    b.connection(
        f,
        "Banco Cinco",
        &s,
        "retry_later",
        "nobody",
        Some(now() - Duration::days(10)),
        recent,
    );

    let q = health_queue(&b.store, now()).unwrap();
    assert_eq!(q.outages.len(), 1);
    assert_eq!(q.outages[0].institution, "Banco Caído");
    assert_eq!(q.outages[0].client_count, 3);
    assert_eq!(q.outages[0].value_at_risk[0].assets_minor, 30_000);
    assert_eq!(q.client.len(), 1);
    assert_eq!(q.client[0].client_name, "Ana Ruiz");
    assert_eq!(q.client[0].group, Group::Client);
    assert_eq!(q.advisor.len(), 1);
    assert_eq!(q.advisor[0].client_name, "Dora");
    let wait: Vec<_> = q.wait.iter().map(|i| i.client_name.as_str()).collect();
    // Eva's 90 000 € two days stale outranks Fede's 1 € ten days stale.
    assert_eq!(wait, ["Eva", "Fede"]);
    assert_eq!(q.wait[1].days_stale, Some(10));
    // Healthy connections are not in the queue.
    let all = q.client.len() + q.wait.len() + q.advisor.len() + q.outages[0].items.len();
    assert_eq!(all, 7);
}

#[test]
fn csv_quotes_per_rfc4180_defuses_formulas_and_uses_iso_dates() {
    assert_eq!(export::field("plain"), "plain");
    assert_eq!(export::field("a,b"), "\"a,b\"");
    assert_eq!(export::field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(export::field("two\nlines"), "\"two\nlines\"");
    assert_eq!(
        export::text_field("=HYPERLINK(\"x\")"),
        "\"'=HYPERLINK(\"\"x\"\")\""
    );
    assert_eq!(export::amount(-1250, "EUR"), "-12.50");
    assert_eq!(export::amount(1500, "JPY"), "1500");

    let (b, ana, _) = ana_book();
    let (csv, rows) = export::transactions_csv(&b.store, ana).unwrap();
    assert_eq!(rows, 4);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "date,account,description,counterparty,category,amount,currency,balance_after,status"
    );
    assert_eq!(
        lines[1],
        "2026-03-05,Account c,Deposit,,,200.00,CAD,,active"
    );
    assert!(csv.contains(
        "2026-02-10,Account j,\"Café, \"\"Central\"\"\nMadrid\",,,-100.00,EUR,,active\r\n"
    ));

    let (csv, rows) = export::holdings_csv(&b.store, ana, now()).unwrap();
    assert_eq!(rows, 2);
    assert!(csv.contains("\"World =Fund, \"\"Acc\"\"\",IE00B4L5Y983,fund,12.345,7500.00,EUR,75.00,2026-03-20\r\n"), "{csv}");

    let (csv, rows) = export::book_csv(&b.store, now()).unwrap();
    assert_eq!(rows, 3, "Ana has two currencies, Luis one");
    assert!(
        csv.contains(",Ana Ruiz,EUR,15000.00,1000.00,14000.00,2,needs_client,2026-03-17,true\r\n"),
        "{csv}"
    );
}

#[test]
fn export_paths_are_validated_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    for bad in [
        "relative.csv".to_string(),
        format!("{d}/../escape.csv"),
        format!("{d}/./x.csv"),
        format!("{d}/notes.txt"),
        format!("{d}/missing/x.csv"),
        format!("{d}/.csv"),
    ] {
        let e = export::write_export(&bad, "a\r\n", 1).unwrap_err();
        assert_eq!(
            e.code(),
            advisor_desk_core::ErrorCode::InvalidInput,
            "{bad}"
        );
    }
    let target = format!("{d}/book.csv");
    let r = export::write_export(&target, "ñ,€\r\n", 1).unwrap();
    assert_eq!(r.bytes, "ñ,€\r\n".len() as u64);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "ñ,€\r\n");
    let again = export::write_export(&target, "other", 1).unwrap_err();
    assert!(again.to_string().contains("already exists"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "ñ,€\r\n");

    let s1 = export::suggest_export_path(dir.path(), "Ana Ruiz / holdings").unwrap();
    assert!(s1.ends_with("exports/ana-ruiz-holdings.csv"), "{s1}");
    std::fs::write(&s1, "x").unwrap();
    let s2 = export::suggest_export_path(dir.path(), "Ana Ruiz / holdings").unwrap();
    assert!(s2.ends_with("exports/ana-ruiz-holdings-2.csv"), "{s2}");
}

/// A Flinks connection whose daily cached read succeeds but whose data has not moved for the
/// frozen period (a setting, 7 days by default) is queued for the client and never fresh.
#[test]
fn frozen_flinks_data_is_queued_for_the_client_and_never_shown_as_fresh() {
    use advisor_desk_core::settings;
    use advisor_desk_core::sync::freshness::FROZEN_AFTER_DAYS_SETTING;

    let mut b = Book::new();
    let ana = b.client("Ana Ruiz");
    let s = snapshot(
        vec![account(
            "c",
            "CA-1",
            AccountKind::Current,
            100_000,
            "CAD",
            &[],
        )],
        vec![],
        vec![],
    );
    let id = b.connection(
        ana,
        "Flinks Capital",
        &s,
        "ready",
        "nobody",
        Some(now()),
        Some(now()),
    );
    // Synced an hour ago (a cached Authorize), data as of the last live connection 9 days ago.
    b.store
        .write(|tx| {
            tx.execute(
                "UPDATE connections SET provider = 'flinks', flow = 'flinks_connect',
                     data_as_of = ?2 WHERE id = ?1",
                rusqlite::params![id, time::to_db(now() - Duration::days(9))],
            )?;
            Ok(())
        })
        .unwrap();

    let q = health_queue(&b.store, now()).unwrap();
    assert_eq!(q.client.len(), 1, "{q:?}");
    let item = &q.client[0];
    assert_eq!(
        (item.health, item.group),
        (Health::NeedsClient, Group::Client)
    );
    assert!(item.connection.frozen && item.connection.stale);
    assert_eq!(item.days_stale, Some(9), "the data's age, not the sync's");
    let overview = client_overview(&b.store, ana, now()).unwrap();
    assert!(overview.stale && overview.connections[0].frozen);
    let book = book_summary(&b.store, now()).unwrap();
    assert!(book.clients[0].stale);

    // The advisor allows ten days: not frozen yet.
    settings::set(&b.store, FROZEN_AFTER_DAYS_SETTING, "10").unwrap();
    let q = health_queue(&b.store, now()).unwrap();
    assert!(q.client.is_empty() && q.wait.is_empty(), "{q:?}");
    assert!(!client_overview(&b.store, ana, now()).unwrap().stale);
}

/// Moves a connection's creation (the consent forecast's start when never renewed).
fn created(b: &Book, id: i64, at: Timestamp) {
    b.store
        .write(|tx| {
            tx.execute(
                "UPDATE connections SET created_at = ?2 WHERE id = ?1",
                rusqlite::params![id, time::to_db(at)],
            )?;
            Ok(())
        })
        .unwrap();
}

#[test]
fn health_queue_lists_healthy_connections_whose_sca_is_due_within_fourteen_days() {
    use advisor_desk_core::links::sessions::{self, Delivery, NewLinkSession};
    use advisor_desk_core::links::{ledger, LinkFlow, LinkPurpose};
    use advisor_desk_core::reads::consent::set_consent_period;

    let mut b = Book::new();
    let fresh = Some(now() - Duration::hours(1));
    let s = snapshot(
        vec![account("a", "ES-A", AccountKind::Current, 100, "EUR", &[])],
        vec![],
        vec![],
    );
    let ana = b.client("Ana");
    let soon = b.connection(ana, "Banco Uno", &s, "ready", "nobody", fresh, fresh);
    created(&b, soon, now() - Duration::days(80));
    let luis = b.client("Luis");
    let later = b.connection(luis, "Banco Dos", &s, "ready", "nobody", fresh, fresh);
    created(&b, later, now() - Duration::days(30));
    let eva = b.client("Eva");
    let renewed = b.connection(eva, "Banco Tres", &s, "ready", "nobody", fresh, fresh);
    created(&b, renewed, now() - Duration::days(85));

    // Eva's client completed an SCA reauthorization 5 days ago: her forecast starts again.
    let started = sessions::start(
        &b.store,
        &NewLinkSession {
            client_id: eva,
            connection_id: Some(renewed),
            flow: LinkFlow::FlanksLink,
            purpose: LinkPurpose::Sca,
            ttl: Duration::hours(24),
            delivery: Delivery::Sent,
        },
        "test",
        now() - Duration::days(5),
    )
    .unwrap();
    ledger::finish_session_at_step(
        &b.store,
        &started.session,
        ledger::REAUTHORIZED,
        None,
        None,
        "test",
        now() - Duration::days(5),
    )
    .unwrap();
    let eva_conn = connections::get(&b.store, renewed).unwrap();
    assert_eq!(eva_conn.consent_renewed_at, Some(now() - Duration::days(5)));

    let q = health_queue(&b.store, now()).unwrap();
    let due: Vec<_> = q.due_soon.iter().map(|i| i.client_name.as_str()).collect();
    assert_eq!(due, ["Ana"]);
    assert_eq!(
        q.due_soon[0].connection.consent.as_ref().unwrap().days_left,
        Some(10)
    );
    assert!(q.client.is_empty() && q.wait.is_empty() && q.advisor.is_empty());

    // Banks applying the 180-day exemption: nothing is due yet.
    set_consent_period(&b.store, "180").unwrap();
    let q = health_queue(&b.store, now()).unwrap();
    assert!(q.due_soon.is_empty());
    assert_eq!(q.consent_period.days(), 180);
}

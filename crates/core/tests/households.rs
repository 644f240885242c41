//! The household read model on a real SQLite file, with data written by the sync engine's
//! snapshot writer: a joint account reached by two members counted once, members moving
//! between households, an empty household, and the book by household.

use advisor_desk_core::domain::{Account, AccountKind, AssetClass, Holding, Snapshot, Transaction};
use advisor_desk_core::households::{book_by_household, household_overview};
use advisor_desk_core::money::Money;
use advisor_desk_core::reads::{client_overview, CurrencyTotal, Health};
use advisor_desk_core::secrets::MemorySecretStore;
use advisor_desk_core::sync::write_snapshot;
use advisor_desk_core::test_fixtures as fixtures;
use advisor_desk_core::time::Timestamp;
use advisor_desk_core::Store;
use chrono::{Duration, NaiveDate, TimeZone, Utc};

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap()
}

fn eur(minor: i64) -> Money {
    fixtures::money(minor, "EUR")
}

const JOINT: &str = "ES11 1111 1111 1111 1111 1111";

fn current(id: &str, iban: &str, minor: i64, owner: &str) -> Account {
    Account {
        provider_id: id.into(),
        kind: AccountKind::Current,
        name: format!("Account {id}"),
        identifier: Some(iban.into()),
        balance: eur(minor),
        available: None,
        asset_class: None,
        owners: vec![owner.into()],
    }
}

fn payment(id: &str, acct: &str, day: u32, minor: i64) -> Transaction {
    Transaction {
        provider_id: id.into(),
        account_ref: acct.into(),
        booking_date: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
        value_date: None,
        amount: eur(minor),
        balance_after: None,
        description: format!("Payment {day}"),
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

    fn person(&self, name: &str) -> i64 {
        fixtures::person(&self.store, name)
    }

    /// A ready connection of `client_id` whose data is `age` old.
    fn connect(&mut self, client_id: i64, bank: &str, snap: Snapshot, age: Duration) -> i64 {
        self.tokens += 1;
        let token = format!("household-token-{}", self.tokens);
        fixtures::ready_connection(
            &self.store,
            &self.secrets,
            client_id,
            bank,
            &token,
            &snap,
            now() - age,
        )
    }
}

fn snap(accounts: Vec<Account>, holdings: Vec<Holding>, txns: Vec<Transaction>) -> Snapshot {
    fixtures::snapshot(accounts, holdings, txns)
}

fn net(totals: &[CurrencyTotal]) -> i64 {
    assert!(totals.iter().all(|t| t.currency == "EUR"));
    totals.iter().map(|t| t.net_minor).sum()
}

/// Ana (joint account + a fund) and Pedro (the same joint account through his own login, an
/// older copy, + his savings) in the Ruiz household; Luis, outside it, shares the joint too.
fn ruiz() -> (Book, i64, i64, i64, i64) {
    let mut b = Book::new();
    let ana = b.person("Ana Ruiz");
    let pedro = b.person("Pedro Ruiz");
    let luis = b.person("Luis Gómez");
    let fund = Holding {
        provider_id: "h1".into(),
        account_ref: Some("p".into()),
        name: "World Fund".into(),
        isin: Some("IE00B4L5Y983".into()),
        asset_class: AssetClass::Fund,
        units: None,
        value: eur(750_000),
    };
    let mut portfolio = current("p", "ES22 2222", 1, "Ana Ruiz");
    portfolio.kind = AccountKind::Portfolio;
    b.connect(
        ana,
        "Banco Uno",
        snap(
            vec![current("j", JOINT, 500_000, "Ana Ruiz"), portfolio],
            vec![fund],
            vec![
                payment("t1", "j", 2, 250_000),
                payment("t2", "j", 10, -10_000),
            ],
        ),
        Duration::hours(1),
    );
    b.connect(
        pedro,
        "Banco Dos",
        snap(
            vec![
                current("jj", JOINT, 499_000, "Pedro Ruiz"),
                current("s", "ES33 3333", 200_000, "Pedro Ruiz"),
            ],
            vec![],
            vec![
                payment("u1", "jj", 2, 250_000),
                payment("u2", "jj", 10, -10_000),
            ],
        ),
        Duration::hours(5),
    );
    b.connect(
        luis,
        "Banco Uno",
        snap(
            vec![current("x", JOINT, 500_000, "Luis Gómez")],
            vec![],
            vec![],
        ),
        Duration::hours(1),
    );
    let h = advisor_desk_core::households::create(&b.store, "Ruiz", "test")
        .unwrap()
        .id;
    advisor_desk_core::households::add_member(&b.store, h, ana, "test").unwrap();
    advisor_desk_core::households::add_member(&b.store, h, pedro, "test").unwrap();
    (b, h, ana, pedro, luis)
}

#[test]
fn a_joint_account_reached_by_two_members_is_counted_once() {
    let (b, h, ana, pedro, _) = ruiz();
    let o = household_overview(&b.store, h, now()).unwrap();
    // Joint (the freshest copy, Ana's) once + Ana's fund + Pedro's savings.
    assert_eq!(net(&o.net_worth), 500_000 + 750_000 + 200_000);
    let joint: Vec<_> = o
        .accounts
        .iter()
        .filter(|a| a.account.name.starts_with("Account j"))
        .collect();
    assert_eq!(joint.len(), 1, "the joint account is listed once");
    assert_eq!(joint[0].account.balance_minor, 500_000);
    assert_eq!(joint[0].account.copies, 2);
    assert_eq!(joint[0].account.owners, ["Ana Ruiz", "Pedro Ruiz"]);
    assert_eq!(joint[0].member_ids, [ana, pedro]);
    assert_eq!(joint[0].account.institution, "Banco Uno");
    assert_eq!(o.transaction_count, 2, "the joint account's payments once");
    assert_eq!(o.holdings.len(), 1);
    assert_eq!(o.holdings[0].weight_bp, 10_000);

    // Each member's own figures are their client page's: the joint account under both.
    let members: Vec<_> = o
        .members
        .iter()
        .map(|m| (m.client_id, net(&m.net_worth)))
        .collect();
    assert_eq!(members, [(ana, 1_250_000), (pedro, 499_000 + 200_000)]);
    assert_eq!(
        net(&client_overview(&b.store, ana, now()).unwrap().net_worth),
        members[0].1
    );
    assert_eq!(
        o.connections.len(),
        2,
        "Luis's connection is not the household's"
    );
    assert_eq!(o.health, Health::Good);
    assert_eq!(o.data_as_of, Some(now() - Duration::hours(5)));

    let cash: i64 = o
        .by_class
        .iter()
        .filter(|s| s.key == "cash")
        .map(|s| s.value_minor)
        .sum();
    assert_eq!(cash, 700_000);
    let history = o.history.last().unwrap();
    assert_eq!(history.net_minor, 1_450_000);
    // March's flows on the joint account counted once when stepping back a month.
    assert_eq!(
        o.history[o.history.len() - 2].net_minor,
        1_450_000 - 240_000
    );
}

#[test]
fn each_members_figures_are_their_own_client_page() {
    use advisor_desk_core::domain::{Liability, LiabilityKind};
    use advisor_desk_core::reads::book_summary;
    let (mut b, h, ana, pedro, _) = ruiz();
    // Pedro: a dollar account and a loan at a third bank; Ana reaches Pedro's savings
    // through a newer login of her own (a joint account between two members, a different
    // balance on each copy), and one of her connections is older than the page's limit.
    let mut usd = current("d", "US01 0001", 30_000, "Pedro Ruiz");
    usd.balance = fixtures::money(30_000, "USD");
    let mut loans = snap(vec![usd], vec![], vec![]);
    loans.liabilities = vec![Liability {
        provider_id: "l1".into(),
        kind: LiabilityKind::Loan,
        name: "Mortgage".into(),
        outstanding: eur(120_000),
    }];
    b.connect(pedro, "Banco Tres", loans, Duration::hours(2));
    b.connect(
        ana,
        "Banco Cuatro",
        snap(
            vec![current("s2", "ES33 3333", 210_000, "Ana Ruiz")],
            vec![],
            vec![payment("v1", "s2", 4, 1_000)],
        ),
        Duration::days(60),
    );

    let o = household_overview(&b.store, h, now()).unwrap();
    let book = book_summary(&b.store, now()).unwrap();
    assert_eq!(o.members.len(), 2);
    for m in &o.members {
        let page = client_overview(&b.store, m.client_id, now()).unwrap();
        assert_eq!(m.name, page.client.name);
        assert_eq!(m.net_worth, page.net_worth, "{}", m.name);
        assert_eq!(m.connection_count as usize, page.connections.len());
        assert_eq!((m.health, m.stale), (page.health, page.stale), "{}", m.name);
        // The book (each client on its own) counts the same.
        let row = book.clients.iter().find(|r| r.client_id == m.client_id);
        assert_eq!(row.unwrap().totals, page.net_worth, "{}", m.name);
    }
    let pedros = &o.members.iter().find(|m| m.client_id == pedro).unwrap();
    assert_eq!(
        pedros.net_worth,
        [
            CurrencyTotal {
                currency: "EUR".into(),
                assets_minor: 499_000 + 200_000,
                liabilities_minor: 120_000,
                net_minor: 499_000 + 200_000 - 120_000,
            },
            CurrencyTotal {
                currency: "USD".into(),
                assets_minor: 30_000,
                liabilities_minor: 0,
                net_minor: 30_000,
            },
        ]
    );
    // The savings account under both members, but once in the total (Pedro's fresher copy).
    let anas = &o.members.iter().find(|m| m.client_id == ana).unwrap();
    assert_eq!(net(&anas.net_worth), 500_000 + 750_000 + 210_000);
    let eur_total = o.net_worth.iter().find(|t| t.currency == "EUR").unwrap();
    assert_eq!(eur_total.net_minor, 500_000 + 750_000 + 200_000 - 120_000);
    assert!(anas.stale && !pedros.stale && o.stale);
}

#[test]
fn a_member_moving_takes_their_connections_with_them() {
    let (b, h, ana, pedro, luis) = ruiz();
    let other = advisor_desk_core::households::create(&b.store, "Gómez", "test")
        .unwrap()
        .id;
    advisor_desk_core::households::add_member(&b.store, other, luis, "test").unwrap();
    advisor_desk_core::households::move_member(&b.store, pedro, other, "test").unwrap();

    let ruiz = household_overview(&b.store, h, now()).unwrap();
    assert_eq!(net(&ruiz.net_worth), 500_000 + 750_000);
    assert_eq!(
        ruiz.members.iter().map(|m| m.client_id).collect::<Vec<_>>(),
        [ana]
    );
    let joint = ruiz
        .accounts
        .iter()
        .find(|a| a.account.name.starts_with("Account j"));
    assert_eq!(joint.unwrap().member_ids, [ana]);

    // Luis and Pedro both reach the joint account: once, Luis's fresher copy.
    let gomez = household_overview(&b.store, other, now()).unwrap();
    assert_eq!(net(&gomez.net_worth), 500_000 + 200_000);
    let mut ids: Vec<_> = gomez.members.iter().map(|m| m.client_id).collect();
    ids.sort();
    assert_eq!(ids, [pedro, luis]);

    let book = book_by_household(&b.store, now()).unwrap();
    let rows: Vec<_> = book
        .households
        .iter()
        .map(|r| (r.household.name.as_str(), net(&r.totals), r.members.len()))
        .collect();
    assert_eq!(rows, [("Gómez", 700_000, 2), ("Ruiz", 1_250_000, 1)]);
    assert!(book.people.is_empty());
}

#[test]
fn an_empty_household_has_no_figures_and_no_health() {
    let (b, _, ana, ..) = ruiz();
    let empty = advisor_desk_core::households::create(&b.store, "Nuevo hogar", "test")
        .unwrap()
        .id;
    let o = household_overview(&b.store, empty, now()).unwrap();
    assert!(o.members.is_empty());
    assert!(o.net_worth.is_empty());
    assert!(o.accounts.is_empty() && o.holdings.is_empty() && o.history.is_empty());
    assert_eq!(o.health, Health::None);
    assert_eq!(
        (o.data_as_of, o.stale, o.transaction_count),
        (None, false, 0)
    );

    let book = book_by_household(&b.store, now()).unwrap();
    let row = book
        .households
        .iter()
        .find(|r| r.household.id == empty)
        .unwrap();
    assert!(row.totals.is_empty());
    assert_eq!((row.connection_count, row.health), (0, Health::None));
    // Luis is in no household: he is listed as a person; Ana is not.
    let people: Vec<_> = book.people.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(people, ["Luis Gómez"]);
    assert!(book.people.iter().all(|r| r.client_id != ana));
    assert_eq!(
        household_overview(&b.store, 4242, now())
            .unwrap_err()
            .code(),
        advisor_desk_core::ErrorCode::NotFound
    );
}

#[test]
fn household_exports_use_the_client_columns_and_list_joint_payments_once() {
    use advisor_desk_core::households::export::{export_household_csv, household_csv};
    use advisor_desk_core::reads::export::{transactions_csv, ExportKind};
    let (b, h, ana, ..) = ruiz();
    let (csv, rows) = household_csv(&b.store, ExportKind::Transactions, h, now()).unwrap();
    assert_eq!(rows, 2, "{csv}");
    let (client_csv, _) = transactions_csv(&b.store, ana).unwrap();
    assert_eq!(
        csv.lines().next(),
        client_csv.lines().next(),
        "same columns"
    );
    assert!(
        csv.contains("2026-03-10,Account j,Payment 10,,,-100.00,EUR,,active\r\n"),
        "{csv}"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ruiz-holdings.csv");
    let path = path.to_str().unwrap();
    let out = export_household_csv(&b.store, ExportKind::Holdings, h, path, now()).unwrap();
    assert_eq!(out.rows, 1);
    let written = std::fs::read_to_string(path).unwrap();
    assert!(
        written.contains("World Fund,IE00B4L5Y983,fund,,7500.00,EUR,100.00,"),
        "{written}"
    );
    let again = export_household_csv(&b.store, ExportKind::Holdings, h, path, now()).unwrap_err();
    assert!(again.to_string().contains("already exists"), "{again}");
    let book = household_csv(&b.store, ExportKind::Book, h, now()).unwrap_err();
    assert_eq!(book.code(), advisor_desk_core::ErrorCode::InvalidInput);
}

#[test]
fn the_household_transactions_table_lists_every_member_and_a_joint_account_once() {
    use advisor_desk_core::households::household_transactions;
    use advisor_desk_core::reads::TransactionQuery;
    let (mut b, h, _, pedro, _) = ruiz();
    b.connect(
        pedro,
        "Banco Tres",
        snap(
            vec![current("z", "ES44 4444", 10_000, "Pedro Ruiz")],
            vec![],
            vec![payment("z1", "z", 5, -500)],
        ),
        Duration::hours(1),
    );
    let query = |search: Option<&str>, offset, limit| TransactionQuery {
        search: search.map(str::to_string),
        offset,
        limit,
        ..Default::default()
    };
    let all = household_transactions(&b.store, h, &query(None, 0, 50)).unwrap();
    let lines: Vec<_> = all
        .rows
        .iter()
        .map(|t| {
            (
                t.booking_date.as_str(),
                t.account_name.as_str(),
                t.amount_minor,
            )
        })
        .collect();
    // The joint account's two payments once (Ana's fresher copy), Pedro's own payment.
    assert_eq!(
        lines,
        [
            ("2026-03-10", "Account j", -10_000),
            ("2026-03-05", "Account z", -500),
            ("2026-03-02", "Account j", 250_000),
        ]
    );
    assert_eq!(all.total, 3);

    let second = household_transactions(&b.store, h, &query(None, 1, 1)).unwrap();
    assert_eq!((second.total, second.offset), (3, 1));
    assert_eq!(second.rows, all.rows[1..2]);
    let found = household_transactions(&b.store, h, &query(Some("payment 5"), 0, 50)).unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.rows[0].account_name, "Account z");

    assert_eq!(
        household_transactions(&b.store, 4242, &query(None, 0, 50))
            .unwrap_err()
            .code(),
        advisor_desk_core::ErrorCode::NotFound
    );
    assert_eq!(
        household_transactions(&b.store, h, &query(None, 0, 0))
            .unwrap_err()
            .code(),
        advisor_desk_core::ErrorCode::InvalidInput
    );
}

#[test]
fn the_base_total_reads_the_same_positions_as_the_pages() {
    use advisor_desk_core::rates::{base_total, Subject};
    let (b, h, ana, pedro, _) = ruiz();
    let household = base_total(&b.store, Subject::Household(h), now()).unwrap();
    assert_eq!(
        (
            household.base.as_str(),
            household.total_minor,
            household.partial
        ),
        ("EUR", 500_000 + 750_000 + 200_000, false)
    );
    assert_eq!(
        household.total_minor,
        net(&household_overview(&b.store, h, now()).unwrap().net_worth)
    );
    for client in [ana, pedro] {
        let total = base_total(&b.store, Subject::Client(client), now()).unwrap();
        let page = client_overview(&b.store, client, now()).unwrap();
        assert_eq!(total.total_minor, net(&page.net_worth));
    }
    assert_eq!(
        base_total(&b.store, Subject::Household(4242), now())
            .unwrap_err()
            .code(),
        advisor_desk_core::ErrorCode::NotFound
    );
}

#[test]
fn the_monthly_tallies_behind_history_and_counts_follow_every_change() {
    let (mut b, ..) = ruiz();
    let tallies = |s: &Store| {
        s.read(|c| {
            type Tally = (i64, String, String, i64, i64);
            let rows = |sql: &str| -> rusqlite::Result<Vec<Tally>> {
                c.prepare(sql)?
                    .query_map([], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })?
                    .collect()
            };
            let pairs = |sql: &str| -> rusqlite::Result<Vec<(i64, i64)>> {
                c.prepare(sql)?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            };
            // The per-account totals (0016) beside the month tallies, against a COUNT(*).
            assert_eq!(
                pairs("SELECT account_id, row_count FROM account_transaction_totals ORDER BY 1")?,
                pairs("SELECT account_id, count(*) FROM transactions GROUP BY 1 ORDER BY 1")?,
            );
            Ok((
                rows(
                    "SELECT account_id, month, currency, row_count, active_minor
                      FROM transaction_months ORDER BY 1, 2, 3",
                )?,
                rows(
                    "SELECT account_id, substr(booking_date, 1, 7), currency, count(*),
                             sum(CASE WHEN presence = 'active' THEN amount_minor ELSE 0 END)
                      FROM transactions GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                )?,
            ))
        })
        .unwrap()
    };
    let eva = b.person("Eva");
    let account = || vec![current("k", "ES55 5555", 1_000, "Eva")];
    let conn = b.connect(
        eva,
        "Banco Cinco",
        snap(
            account(),
            vec![],
            vec![payment("k1", "k", 3, 100), payment("k2", "k", 4, -40)],
        ),
        Duration::hours(1),
    );
    let (kept, fresh) = tallies(&b.store);
    assert_eq!(kept, fresh);
    // The next sync changes one amount, brings one from February and drops the other
    // (kept as missing: it leaves the sums but not the count).
    let mut february = payment("k3", "k", 1, 5);
    february.booking_date = NaiveDate::from_ymd_opt(2026, 2, 27).unwrap();
    let next = snap(account(), vec![], vec![payment("k1", "k", 3, 70), february]);
    b.store
        .write(|tx| write_snapshot(tx, conn, &next, now()).map(|_| ()))
        .unwrap();
    let (kept, fresh) = tallies(&b.store);
    assert_eq!(kept, fresh);
    let page = client_overview(&b.store, eva, now()).unwrap();
    assert_eq!(page.transaction_count, 3);
    advisor_desk_core::sync::connections::delete(&b.store, conn, &b.secrets, "test").unwrap();
    let (kept, fresh) = tallies(&b.store);
    assert_eq!(kept, fresh);
    assert_eq!(
        client_overview(&b.store, eva, now())
            .unwrap()
            .transaction_count,
        0
    );
}

/// The household's page twice: from the rows the writes kept (migration 0018), then counted
/// from its members' rows with the kept ones taken away behind the store's back — and put back
/// as they were, so that only the schema's triggers can make the next write count them again.
fn kept_and_counted(b: &Book, h: i64) -> (serde_json::Value, serde_json::Value) {
    let behind = rusqlite::Connection::open(b.store.path().unwrap()).unwrap();
    let kept: String = behind
        .query_row(
            "SELECT rows FROM household_pages WHERE household_id = ?1",
            [h],
            |r| r.get(0),
        )
        .expect("the last write kept the household's rows");
    let page = || serde_json::to_value(household_overview(&b.store, h, now()).unwrap()).unwrap();
    let from_kept = page();
    behind
        .execute("DELETE FROM household_pages WHERE household_id = ?1", [h])
        .unwrap();
    let counted = page();
    behind
        .execute(
            "INSERT INTO household_pages (household_id, rows) VALUES (?1, ?2)",
            rusqlite::params![h, kept],
        )
        .unwrap();
    (from_kept, counted)
}

#[test]
fn the_kept_household_rows_follow_every_change_to_what_they_count() {
    let (mut b, h, ana, pedro, luis) = ruiz();
    let check = |b: &Book, h: i64| {
        let (kept, counted) = kept_and_counted(b, h);
        assert_eq!(kept, counted);
        kept
    };
    let first = check(&b, h);

    // A new connection, then its re-sync: a new balance, a payment changed, one added.
    let extra = b.connect(
        ana,
        "Banco Cinco",
        snap(
            vec![current("e", "ES66 6666", 40_000, "Ana Ruiz")],
            vec![],
            vec![payment("e1", "e", 3, 1_000)],
        ),
        Duration::hours(1),
    );
    let grown = check(&b, h);
    assert_ne!(grown["net_worth"], first["net_worth"]);
    let resync = snap(
        vec![current("e", "ES66 6666", 45_000, "Ana Ruiz")],
        vec![],
        vec![payment("e1", "e", 3, 1_500), payment("e2", "e", 6, -200)],
    );
    b.store
        .write(|tx| write_snapshot(tx, extra, &resync, now()).map(|_| ()))
        .unwrap();
    let synced = check(&b, h);
    assert_eq!(
        synced["transaction_count"],
        grown["transaction_count"].as_i64().unwrap() + 1
    );

    // Pedro's joint copy becomes the fresher one: the total counts his balance now.
    let pedros = b
        .store
        .read(|c| {
            Ok(c.query_row(
                "SELECT id FROM connections WHERE client_id = ?1",
                [pedro],
                |r| r.get::<_, i64>(0),
            )?)
        })
        .unwrap();
    b.store
        .write(|tx| {
            tx.execute(
                "UPDATE connections SET data_as_of = ?2 WHERE id = ?1",
                rusqlite::params![pedros, advisor_desk_core::time::to_db(now())],
            )?;
            Ok(())
        })
        .unwrap();
    let fresher = check(&b, h);
    assert_ne!(fresher["net_worth"], synced["net_worth"]);

    // Held back for the holder check: Pedro's rows leave the household's figures.
    b.store
        .write(|tx| {
            tx.execute(
                "UPDATE connections SET holder_check = 'pending' WHERE id = ?1",
                [pedros],
            )?;
            Ok(())
        })
        .unwrap();
    assert_ne!(check(&b, h)["accounts"], fresher["accounts"]);

    // Members moving, a household of its own for Luis, a connection deleted.
    let other = advisor_desk_core::households::create(&b.store, "Gómez", "test")
        .unwrap()
        .id;
    advisor_desk_core::households::add_member(&b.store, other, luis, "test").unwrap();
    advisor_desk_core::households::move_member(&b.store, pedro, other, "test").unwrap();
    check(&b, h);
    check(&b, other);
    advisor_desk_core::sync::connections::delete(&b.store, extra, &b.secrets, "test").unwrap();
    check(&b, h);
    let ruiz = household_overview(&b.store, h, now()).unwrap();
    assert_eq!(
        net(&ruiz.net_worth),
        500_000 + 750_000,
        "Ana's joint and fund"
    );
    advisor_desk_core::households::remove_member(&b.store, h, ana, "test").unwrap();
    let empty = check(&b, h);
    assert_eq!(empty["net_worth"], serde_json::json!([]));
}

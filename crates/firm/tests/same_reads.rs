//! The core's read models computed on both engines give the same answer: a solo book (fixture
//! data and logins synced from the real sandbox) copied into a real PostgreSQL firm database,
//! then every page — the book, each client, the household, transactions pages with filters,
//! the health queue — read from SQLite and from PostgreSQL and compared as JSON; every CSV
//! export compared byte for byte, the base-currency totals, the review report (its figures and
//! its PDF) and the audit log. And row-level security under the same read models: an
//! advisor's book page and audit log hold only their clients'.

mod solo_book;

use advisor_desk_core::domain::AccountKind;
use advisor_desk_core::households::export::ExportOf;
use advisor_desk_core::households::overview::{
    household_overview_from, household_transactions_from,
};
use advisor_desk_core::links::sessions::{self, Delivery, NewLinkSession};
use advisor_desk_core::links::{LinkFlow, LinkPurpose};
use advisor_desk_core::rates::{base_total_of, net_worth_from, Subject};
use advisor_desk_core::reads::book::book_summary_from;
use advisor_desk_core::reads::client::{
    client_overview_from, transactions_page_from, TransactionQuery,
};
use advisor_desk_core::reads::export::ExportKind;
use advisor_desk_core::reads::health::health_queue_from;
use advisor_desk_core::store::book_reads::BookReads;
use advisor_desk_core::time::{self, Timestamp};
use advisor_desk_core::{CoreError, ErrorCode};
use advisor_desk_firm::copy_in;
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::queries::client_page;
use advisor_desk_firm::queries::PreparedStatements;
use advisor_desk_firm::reads::FirmReads;
use advisor_desk_firm::test_firm::TestFirm;
use advisor_desk_report::model::{client_report_of, household_report_of};
use advisor_desk_report::{render, Lang, Paper, ReportSettings};
use serde_json::Value;

use solo_book::SoloBook;

fn json<T: serde::Serialize>(value: Result<T, CoreError>) -> Value {
    match value {
        Ok(v) => serde_json::to_value(v).unwrap(),
        // Refusals compare by their code (the engines word a database error differently).
        Err(e) => serde_json::json!({ "refused": e.code() }),
    }
}

/// Every page the app shows, as JSON, from one engine's reader.
fn pages(reads: &impl BookReads, book: &SoloBook, now: Timestamp) -> Vec<(String, Value)> {
    let mut out = vec![
        ("book".to_string(), json(book_summary_from(reads, now))),
        ("health".to_string(), json(health_queue_from(reads, now))),
        (
            "household".to_string(),
            json(household_overview_from(reads, book.household, now)),
        ),
    ];
    for &client in &book.clients {
        out.push((
            format!("client {client}"),
            json(client_overview_from(reads, client, now)),
        ));
    }
    let queries = transaction_queries();
    for (name, q) in &queries {
        for &client in &book.clients {
            out.push((
                format!("transactions of {client}, {name}"),
                json(transactions_page_from(reads, client, q)),
            ));
        }
        out.push((
            format!("household transactions, {name}"),
            json(household_transactions_from(reads, book.household, q)),
        ));
    }
    out
}

fn transaction_queries() -> Vec<(&'static str, TransactionQuery)> {
    let page = |limit, offset| TransactionQuery {
        limit,
        offset,
        ..Default::default()
    };
    vec![
        ("first page", page(25, 0)),
        ("second page", page(25, 25)),
        ("everything", page(1_000, 0)),
        (
            "a search",
            TransactionQuery {
                search: Some("payment SHOP".into()),
                ..page(100, 0)
            },
        ),
        (
            "a search of a word's start",
            TransactionQuery {
                search: Some("pay 3".into()),
                ..page(100, 0)
            },
        ),
        (
            "dates",
            TransactionQuery {
                from: Some("2026-01-15".into()),
                to: Some("2026-06-30".into()),
                ..page(100, 0)
            },
        ),
        (
            "one account",
            TransactionQuery {
                account_ids: vec![1],
                ..page(100, 0)
            },
        ),
        (
            "a bad date",
            TransactionQuery {
                from: Some("last spring".into()),
                ..page(10, 0)
            },
        ),
    ]
}

/// A fresh firm database holding a copy of `book`.
fn copied_in(book: &SoloBook) -> TestFirm {
    let firm = TestFirm::migrated();
    let mut owner = firm.owner();
    let mut tx = owner.transaction().unwrap();
    book.store
        .read(|db| Ok(copy_in::copy_book(db, &mut tx).map_err(|e| panic!("{e}"))))
        .unwrap()
        .unwrap();
    tx.commit().unwrap();
    firm
}

#[test]
fn every_read_model_is_the_same_on_sqlite_and_postgresql() {
    let book = solo_book::with_sandbox(8);
    let firm = copied_in(&book);

    // The book holds what the comparison must cover.
    let summary = book
        .store
        .read(|db| book_summary_from(db, time::now()))
        .unwrap();
    assert!(
        summary.clients.len() >= 8,
        "{} clients",
        summary.clients.len()
    );
    let connections = book.store.read(|db| db.connections(None)).unwrap();
    assert!(connections
        .iter()
        .any(|c| c.provider.as_str() == "flinks" && c.last_success_at.is_some()));
    assert!(connections
        .iter()
        .any(|c| c.last_success_at.is_none() && c.consecutive_failures > 0));
    let currencies: std::collections::BTreeSet<&str> = summary
        .clients
        .iter()
        .flat_map(|c| c.totals.iter().map(|t| t.currency.as_str()))
        .collect();
    assert!(currencies.len() >= 3, "{currencies:?}");

    // Today, and two months on (every Flinks login frozen, everything stale).
    let today = time::now();
    for now in [today, today + chrono::Duration::days(60)] {
        let solo = book.store.read(|db| Ok(pages(db, &book, now))).unwrap();
        let mut reader = firm.owner();
        let reads = FirmReads::begin(&mut reader).unwrap();
        let firm_pages = pages(&reads, &book, now);
        assert_eq!(solo.len(), firm_pages.len());
        let mut non_empty = 0;
        for ((name, sqlite), (_, postgres)) in solo.iter().zip(&firm_pages) {
            assert_eq!(postgres, sqlite, "{name} at {now}");
            if sqlite.get("refused").is_none() {
                non_empty += 1;
            }
        }
        assert!(non_empty > 40, "{non_empty} pages compared");
        let frozen = solo
            .iter()
            .any(|(_, page)| page.to_string().contains("\"frozen\":true"));
        assert_eq!(frozen, now > today, "frozen Flinks data only two months on");
    }
}

#[test]
fn an_advisor_s_pages_show_only_their_clients() {
    let book = solo_book::build();
    let firm = copied_in(&book);
    let mut owner = firm.owner();
    let advisor = firm.add_member("ana_s_advisor", MemberKind::Advisor);
    let (mine, others) = (book.clients[0], &book.clients[1..]);
    owner
        .execute(
            "INSERT INTO client_assignments (client_id, advisor_role) VALUES ($1, $2)",
            &[&mine, &advisor.role],
        )
        .unwrap();

    let now = solo_book::at();
    let mut as_advisor = firm.connect_as(&advisor);
    let reads = FirmReads::begin(&mut as_advisor).unwrap();
    let page = book_summary_from(&reads, now).unwrap();
    let ids: Vec<i64> = page.clients.iter().map(|c| c.client_id).collect();
    assert_eq!(ids, vec![mine]);
    let queue = health_queue_from(&reads, now).unwrap();
    let queued = [&queue.client, &queue.wait, &queue.advisor, &queue.due_soon];
    for item in queued.iter().flat_map(|items| items.iter()) {
        assert_eq!(item.connection.connection.client_id, mine);
    }
    for &other in others {
        let refused = client_overview_from(&reads, other, now).unwrap_err();
        assert_eq!(refused.code(), ErrorCode::NotFound, "client {other}");
        assert_eq!(reads.connections(Some(other)).unwrap(), vec![]);
    }
    // Their own client's page is the solo book's.
    let solo = book
        .store
        .read(|db| client_overview_from(db, mine, now))
        .map(|p| serde_json::to_value(p).unwrap())
        .unwrap();
    let theirs = serde_json::to_value(client_overview_from(&reads, mine, now).unwrap()).unwrap();
    assert_eq!(theirs, solo);
    drop(reads);

    // The client page's one statement, outside any transaction: row-level security answers
    // every part of it. Staff see each part of another advisor's client; the advisor, none.
    let since = "2025-12-01";
    for &other in others {
        let all = client_page::read::client_page(&mut owner, other, since).unwrap();
        assert!(all.client.is_some() && !all.connections.is_empty() && !all.accounts.is_empty());
        assert!(!all.months.is_empty() && !all.counts.is_empty());
        let seen = client_page::read::client_page(&mut as_advisor, other, since).unwrap();
        assert!(seen.client.is_none(), "client {other}");
        assert!(seen.sent_links.is_empty() && seen.connections.is_empty());
        assert!(seen.accounts.is_empty() && seen.holdings.is_empty());
        assert!(seen.liabilities.is_empty() && seen.months.is_empty() && seen.counts.is_empty());
        assert_eq!(seen.settings, all.settings);

        let reads = FirmReads::begin(&mut as_advisor).unwrap();
        let refused = client_overview_from(&reads, other, now).unwrap_err();
        assert_eq!(refused.code(), ErrorCode::NotFound, "client {other}");
    }
    let reads = FirmReads::begin(&mut as_advisor).unwrap();
    let theirs = serde_json::to_value(client_overview_from(&reads, mine, now).unwrap()).unwrap();
    assert_eq!(theirs, solo);
}

/// A client's page on PostgreSQL is ONE round trip: one statement (prepared once per
/// connection), no transaction around it (a statement is its own snapshot). And every part of
/// it is the solo book's: the client, connections with a link sent, accounts (a joint one),
/// holdings, history and transaction count.
#[test]
fn a_client_page_is_one_statement_and_the_same_as_on_sqlite() {
    let book = solo_book::build();
    let now = solo_book::at();
    // Ben's bank asks him to confirm, and a link was sent to him: his page shows it.
    let ben = book.clients[2];
    let connection = book.store.read(|db| db.connections(Some(ben))).unwrap()[0].id;
    book.store
        .write(|tx| {
            tx.execute(
                "UPDATE connections SET status = 'pending_sca' WHERE id = ?1",
                [connection],
            )?;
            Ok(())
        })
        .unwrap();
    let sent = NewLinkSession {
        client_id: ben,
        connection_id: Some(connection),
        flow: LinkFlow::FlanksLink,
        purpose: LinkPurpose::Sca,
        ttl: chrono::Duration::hours(2),
        delivery: Delivery::Sent,
    };
    sessions::start(
        &book.store,
        &sent,
        "test",
        now - chrono::Duration::minutes(5),
    )
    .unwrap();
    let firm = copied_in(&book);

    let mut reader = firm.owner();
    let mut statements = PreparedStatements::default();
    for (i, &client) in book.clients.iter().enumerate() {
        let solo = json(book.store.read(|db| client_overview_from(db, client, now)));
        let reads = FirmReads::begin_with(&mut reader, statements).unwrap();
        let page = json(client_overview_from(&reads, client, now));
        assert_eq!(page, solo, "client {client}");
        // The connection's first page creates the session's function and prepares its call.
        let expected = if i == 0 { 3 } else { 1 };
        assert_eq!(reads.round_trips(), expected, "client {client}");
        statements = reads.into_statements();
    }

    // What the comparison covered.
    let page = |client: i64| json(book.store.read(|db| client_overview_from(db, client, now)));
    let (ana, luis) = (page(book.clients[0]), page(book.clients[1]));
    assert_eq!(ana["transaction_count"], 40);
    assert_eq!(luis["transaction_count"], 10);
    assert_eq!(ana["holdings"].as_array().unwrap().len(), 1);
    assert_eq!(ana["accounts"][0]["owners"].as_array().unwrap().len(), 2);
    let history: std::collections::BTreeSet<String> = ana["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["net_minor"].to_string())
        .collect();
    assert!(history.len() > 3, "{history:?}");
    let ben = page(ben);
    assert_eq!(
        ben["connections"][0]["sent_link"]["expired"], false,
        "{ben}"
    );
}

/// The solo book's EUR-based reference rates for `on`: the same cache values both engines'
/// figures through (the rates are this desktop's, not the book's).
fn cache_reference_rates(store: &advisor_desk_core::Store, on: Timestamp) {
    use advisor_desk_core::rates::{record_fetched, RateSource, ReferenceRate};
    let rate = |currency: &str, rate: &str| ReferenceRate {
        source: RateSource::Ecb,
        date: on.date_naive() - chrono::Duration::days(1),
        currency: currency.into(),
        rate: rate.parse().unwrap(),
    };
    let rates = [rate("USD", "1.0825"), rate("CAD", "1.4950")];
    record_fetched(store, RateSource::Ecb, &rates, on).unwrap();
}

/// Every CSV an advisor can export, by name, from one engine's reader.
fn exports(reads: &impl BookReads, book: &SoloBook, now: Timestamp) -> Vec<(String, String)> {
    let mut subjects = vec![ExportOf::Book, ExportOf::Household(book.household)];
    subjects.extend(book.clients.iter().map(|&c| ExportOf::Client(c)));
    let mut out = Vec::new();
    for of in subjects {
        for kind in [
            ExportKind::Book,
            ExportKind::Holdings,
            ExportKind::Transactions,
        ] {
            if (of == ExportOf::Book) != (kind == ExportKind::Book) {
                continue;
            }
            let csv = of.csv_from(reads, kind, now).unwrap();
            let stem = of.stem_from(reads, kind, now).unwrap();
            out.push((format!("{of:?} {kind:?} ({} rows) {stem}", csv.1), csv.0));
        }
    }
    out
}

#[test]
fn exports_totals_reports_and_the_audit_log_are_the_same_on_both_engines() {
    let mut book = solo_book::build();
    let now = solo_book::at();
    // A client with more transactions than the firm's export fetches in one round trip.
    let many = advisor_desk_core::test_fixtures::person(&book.store, "Chloé \"Many\" Lines");
    let big = advisor_desk_core::test_fixtures::snapshot(
        vec![solo_book::account(
            "big",
            AccountKind::Current,
            "FR7600000000000000000009",
            -42_050,
            "EUR",
        )],
        vec![],
        solo_book::transactions("big", 4_500, "EUR"),
    );
    advisor_desk_core::test_fixtures::ready_connection(
        &book.store,
        book.secrets.as_ref(),
        many,
        "Banque Trois",
        "solo-secret-token-many",
        &big,
        now - chrono::Duration::days(2),
    );
    book.clients.push(many);
    cache_reference_rates(&book.store, now);
    let firm = copied_in(&book);
    let mut owner = firm.owner();
    let reads = FirmReads::begin(&mut owner).unwrap();

    // The same bytes in every CSV, named the same.
    let solo = book.store.read(|r| Ok(exports(r, &book, now))).unwrap();
    let theirs = exports(&reads, &book, now);
    assert_eq!(
        solo.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        theirs.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    for ((name, sqlite), (_, postgres)) in solo.iter().zip(&theirs) {
        assert!(sqlite == postgres, "{name}: the CSV differs");
    }
    let lines = |name: &str| {
        let (_, csv) = solo.iter().find(|(n, _)| n.contains(name)).unwrap();
        csv.lines().count()
    };
    assert_eq!(lines(&format!("Client({many}) Transactions")), 4_501);
    assert!(lines(&format!("Household({}) Transactions", book.household)) > 40);
    assert!(solo[0].1.contains("\"Chloé \"\"Many\"\" Lines\""), "quoted");

    // The same base-currency totals from the firm's figures and this desktop's rates.
    let subjects = book
        .clients
        .iter()
        .map(|&c| Subject::Client(c))
        .chain([Subject::Household(book.household)]);
    let mut converted = 0;
    for who in subjects {
        let total = |net: Vec<_>| base_total_of(&book.store, &net, now).unwrap();
        let sqlite = total(book.store.read(|r| net_worth_from(r, who)).unwrap());
        let postgres = total(net_worth_from(&reads, who).unwrap());
        assert_eq!(
            serde_json::to_value(&postgres).unwrap(),
            serde_json::to_value(&sqlite).unwrap(),
            "{who:?}"
        );
        assert!(!sqlite.partial, "{who:?}: {:?}", sqlite.left_out);
        converted += sqlite.converted.iter().filter(|c| c.rate.is_some()).count();
    }
    assert!(converted >= 2, "CAD and USD converted to EUR");
    assert_eq!(
        net_worth_from(&reads, Subject::Household(-1))
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );

    // The same report, figure for figure, and the same PDF, in each language.
    let pdfs = |lang| {
        let settings = ReportSettings {
            advisor_name: Some("Marta Gil".into()),
            firm: Some("Ruiz & Partners".into()),
            paper: Paper::A4,
            lang,
        };
        let of_client = |page| client_report_of(page, &book.store, &settings, now).unwrap();
        let of_household = |page| household_report_of(page, &book.store, &settings, now).unwrap();
        let (ben, household) = (book.clients[2], book.household);
        let sqlite = [
            of_client(
                book.store
                    .read(|r| client_overview_from(r, ben, now))
                    .unwrap(),
            ),
            of_household(
                book.store
                    .read(|r| household_overview_from(r, household, now))
                    .unwrap(),
            ),
        ];
        let postgres = [
            of_client(client_overview_from(&reads, ben, now).unwrap()),
            of_household(household_overview_from(&reads, household, now).unwrap()),
        ];
        for (s, p) in sqlite.iter().zip(&postgres) {
            assert_eq!(format!("{p:?}"), format!("{s:?}"), "{lang:?}");
            assert!(
                s.base_total.total_minor > 0 && !s.accounts.is_empty(),
                "{lang:?}"
            );
            assert!(
                render(p).unwrap() == render(s).unwrap(),
                "{lang:?}: the PDF differs"
            );
        }
    };
    for lang in [Lang::En, Lang::Es, Lang::Fr] {
        pdfs(lang);
    }

    // The audit log: the solo book's entries, copied in, read back through the same view, each
    // actor with the role that wrote it.
    let sqlite = book.store.read(|r| r.audit_entries(500)).unwrap();
    let postgres = reads.audit_entries(500).unwrap();
    assert!(sqlite.len() >= 5, "{} entries", sqlite.len());
    assert_eq!(postgres.len(), sqlite.len());
    for (s, p) in sqlite.iter().zip(&postgres) {
        assert_eq!(
            (
                p.id,
                &p.at,
                p.client_id,
                p.connection_id,
                &p.action,
                &p.detail
            ),
            (
                s.id,
                &s.at,
                s.client_id,
                s.connection_id,
                &s.action,
                &s.detail
            )
        );
        assert!(
            p.actor.starts_with(&format!("{} (", s.actor)),
            "{}",
            p.actor
        );
    }
    assert_eq!(reads.audit_entries(2).unwrap().len(), 2, "the newest two");
}

#[test]
fn an_advisor_s_audit_log_holds_only_what_row_security_lets_them_see() {
    let book = solo_book::build();
    let firm = copied_in(&book);
    let mut owner = firm.owner();
    let advisor = firm.add_member("ana_s_auditor", MemberKind::Advisor);
    let (mine, other) = (book.clients[0], book.clients[2]);
    owner
        .execute(
            "INSERT INTO client_assignments (client_id, advisor_role) VALUES ($1, $2)",
            &[&mine, &advisor.role],
        )
        .unwrap();
    let mut as_advisor = firm.connect_as(&advisor);
    let entry = |client_id| advisor_desk_core::store::NewAuditEntry {
        actor: "advisor",
        client_id,
        connection_id: None,
        action: "settings.base_currency",
        detail: "CAD",
    };
    advisor_desk_firm::audit::append(&mut as_advisor, &entry(None)).unwrap();
    advisor_desk_firm::audit::append(&mut firm.owner(), &entry(Some(other))).unwrap();

    let reads = FirmReads::begin(&mut as_advisor).unwrap();
    let seen = reads.audit_entries(500).unwrap();
    assert!(seen.iter().any(|e| e.client_id == Some(mine)));
    assert!(
        seen.iter()
            .all(|e| e.client_id.is_none_or(|c| c == mine) && e.client_id != Some(other)),
        "{seen:?}"
    );
    let own = &seen[0];
    assert_eq!(
        (own.action.as_str(), own.actor.clone()),
        (
            "settings.base_currency",
            format!("advisor ({})", advisor.role)
        )
    );
    let everything = FirmReads::begin(&mut owner)
        .unwrap()
        .audit_entries(500)
        .unwrap();
    assert!(everything.iter().any(|e| e.client_id == Some(other)));
    assert!(everything.len() > seen.len());
}

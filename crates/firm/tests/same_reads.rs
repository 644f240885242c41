//! The core's read models computed on both engines give the same answer: a solo book (fixture
//! data and logins synced from the real sandbox) copied into a real PostgreSQL firm database,
//! then every page — the book, each client, the household, transactions pages with filters,
//! the health queue — read from SQLite and from PostgreSQL and compared as JSON. And row-level
//! security under the same read models: an advisor's book page holds only their clients.

mod solo_book;

use advisor_desk_core::households::overview::{
    household_overview_from, household_transactions_from,
};
use advisor_desk_core::reads::book::book_summary_from;
use advisor_desk_core::reads::client::{
    client_overview_from, transactions_page_from, TransactionQuery,
};
use advisor_desk_core::reads::health::health_queue_from;
use advisor_desk_core::store::book_reads::BookReads;
use advisor_desk_core::time::{self, Timestamp};
use advisor_desk_core::{CoreError, ErrorCode};
use advisor_desk_firm::copy_in;
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::reads::FirmReads;
use advisor_desk_firm::test_firm::TestFirm;
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
}

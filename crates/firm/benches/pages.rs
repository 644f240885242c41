//! The firm's pages on PostgreSQL against the same pages on SQLite, in one run: a book of 5,000
//! clients and 10,000 connections (one client with 50,000 transactions) written on SQLite by
//! the core's own code (clients, connections, the real snapshot writer), copied into a
//! throw-away PostgreSQL server (`copy_in`), then the medians of the book page, that client's
//! page and the health queue, each engine reading through the core's same read models.
//!
//! ```sh
//! CARGO_PROFILE_BENCH_LTO=false CARGO_PROFILE_BENCH_CODEGEN_UNITS=16 \
//!   cargo bench -p advisor-desk-firm --bench pages
//! ```
//! `PAGES_CLIENTS` / `PAGES_RUNS` make it smaller or longer (defaults 5,000 and 15);
//! `PAGES_PARTS=1` also times each read the book page and health queue make, on each engine;
//! `PAGES_EXPLAIN=1` prints the plan and timing of the client page's one statement.

use std::time::{Duration, Instant};

use advisor_desk_core::clients::{self, NewClient};
use advisor_desk_core::domain::{Account, AccountKind, AssetClass, Holding, Transaction};
use advisor_desk_core::reads::book::book_summary_from;
use advisor_desk_core::reads::client::client_overview_from;
use advisor_desk_core::reads::health::health_queue_from;
use advisor_desk_core::secrets::MemorySecretStore;
use advisor_desk_core::store::book_reads::BookReads;
use advisor_desk_core::test_fixtures::{money, ready_connection, snapshot};
use advisor_desk_core::time::Timestamp;
use advisor_desk_core::Store;
use advisor_desk_firm::copy_in;
use advisor_desk_firm::test_firm::TestFirm;
use advisor_desk_firm::{FirmDbConfig, FirmStore};
use chrono::{Duration as Days, NaiveDate, TimeZone, Utc};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

const CURRENCIES: [&str; 3] = ["EUR", "CAD", "USD"];

/// A connection's data: a current account and a portfolio with two holdings, `transactions` on
/// the current account.
fn connection_data(tag: usize, transactions: usize) -> advisor_desk_core::domain::Snapshot {
    let currency = CURRENCIES[tag % 3];
    let account = |id: &str, kind, minor| Account {
        provider_id: format!("{id}-{tag}"),
        kind,
        name: format!("Account {id} {tag}"),
        identifier: Some(format!("ES76{tag:020}{id}")),
        balance: money(minor, currency),
        available: None,
        asset_class: None,
        owners: vec![format!("Holder {tag}")],
    };
    let holding = |i: usize| Holding {
        provider_id: format!("h{i}-{tag}"),
        account_ref: Some(format!("pf-{tag}")),
        name: format!("Fund {i}"),
        isin: None,
        asset_class: AssetClass::Fund,
        units: Some("10.5".parse().unwrap()),
        value: money(100_000 + (tag * 37 + i) as i64 % 90_000, currency),
    };
    let first = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let lines = (0..transactions)
        .map(|i| Transaction {
            provider_id: format!("t{i}-{tag}"),
            account_ref: format!("cc-{tag}"),
            booking_date: first + Days::days((i / 20) as i64 % 2_500),
            value_date: None,
            amount: money(if i % 4 == 0 { 150_000 } else { -4_999 }, currency),
            balance_after: None,
            description: format!("Card payment {}", i % 97),
            category: None,
            counterparty: None,
        })
        .collect();
    snapshot(
        vec![
            account("cc", AccountKind::Current, 1_000_000 + tag as i64),
            account("pf", AccountKind::Portfolio, 0),
        ],
        vec![holding(1), holding(2)],
        lines,
    )
}

/// The solo book: `clients` clients of two connections each (every tenth never synced), and a
/// first client whose first connection holds 50,000 transactions. Returns that client's id.
fn generate(store: &Store, clients: usize) -> i64 {
    let secrets = MemorySecretStore::new();
    let mut big = 0;
    for c in 0..clients {
        let new = NewClient {
            name: format!("Client {c:05}"),
            ..Default::default()
        };
        let id = clients::add(store, &new, "bench").unwrap().id;
        if c == 0 {
            big = id;
        }
        for k in 0..2 {
            let tag = c * 2 + k;
            let transactions = if tag == 0 { 50_000 } else { 3 };
            let at = now() - Days::days((tag % 40) as i64);
            let data = connection_data(tag, transactions);
            let conn = ready_connection(
                store,
                &secrets,
                id,
                "Bank",
                &format!("tok-{tag}"),
                &data,
                at,
            );
            if tag % 10 == 9 {
                // Never synced: the health queue's "waiting".
                store
                    .write(|tx| {
                        tx.execute(
                            "UPDATE connections SET status = 'pending', last_success_at = NULL,
                                 data_as_of = NULL WHERE id = ?1",
                            [conn],
                        )?;
                        Ok(())
                    })
                    .unwrap();
            }
        }
    }
    big
}

fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm: the first read fills caches and prepares statements
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

fn main() {
    let clients = env_or("PAGES_CLIENTS", 5_000);
    let runs = env_or("PAGES_RUNS", 15);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("advisor-desk.sqlite3")).unwrap();
    let started = Instant::now();
    let big = generate(&store, clients);
    println!(
        "generated on SQLite: {clients} clients, {} connections in {:.1} s",
        clients * 2,
        started.elapsed().as_secs_f64()
    );

    let firm = TestFirm::migrated();
    let mut owner = firm.owner();
    let started = Instant::now();
    let mut tx = owner.transaction().unwrap();
    let counts = store
        .read(|db| Ok(copy_in::copy_book(db, &mut tx).map_err(|e| panic!("{e}"))))
        .unwrap()
        .unwrap();
    tx.commit().unwrap();
    owner.batch_execute("ANALYZE").unwrap();
    println!(
        "copied into PostgreSQL in {:.1} s: {} rows ({} transactions)",
        started.elapsed().as_secs_f64(),
        counts.values().sum::<u64>(),
        counts["transactions"]
    );

    // The firm's administrator reads (row-level security applies: staff see every row), through
    // the app's own path: a pooled connection and its cached statements.
    let pg = FirmStore::connect(&FirmDbConfig::new(firm.database.owner_url()).with_pool_size(1))
        .unwrap();
    println!("page medians of {runs} runs, {clients} clients (PostgreSQL as the firm's admin):");
    let row = |name: &str, sqlite: Duration, postgres: Duration| {
        println!(
            "  {name:<34} SQLite {:>8.2} ms   PostgreSQL {:>8.2} ms   ratio {:.2}",
            ms(sqlite),
            ms(postgres),
            postgres.as_secs_f64() / sqlite.as_secs_f64()
        );
    };
    let now = now();
    let sqlite = median(runs, || {
        store.read(|db| book_summary_from(db, now)).unwrap();
    });
    let postgres = median(runs, || {
        pg.reading(|r| book_summary_from(r, now)).unwrap();
    });
    row("book page", sqlite, postgres);
    let sqlite = median(runs, || {
        store.read(|db| client_overview_from(db, big, now)).unwrap();
    });
    let postgres = median(runs, || {
        pg.reading(|r| client_overview_from(r, big, now)).unwrap();
    });
    row("client page (50,000 transactions)", sqlite, postgres);
    let round_trips = pg
        .reading(|r| {
            client_overview_from(r, big, now)?;
            Ok(r.round_trips())
        })
        .unwrap();
    println!(
        "  (the client page on PostgreSQL: {round_trips} round trip(s) after the pool's check)"
    );
    let sqlite = median(runs, || {
        store.read(|db| health_queue_from(db, now)).unwrap();
    });
    let postgres = median(runs, || {
        pg.reading(|r| health_queue_from(r, now)).unwrap();
    });
    row("health queue", sqlite, postgres);

    if env_or("PAGES_EXPLAIN", 0) == 1 {
        let explain = format!(
            "EXPLAIN (ANALYZE, BUFFERS) {}",
            advisor_desk_firm::queries::client_page::statement()
        );
        for line in owner.query(&explain, &[&big, &"2025-12-01"]).unwrap() {
            println!("{}", line.get::<_, String>(0));
        }
    }
    if env_or("PAGES_PARTS", 0) == 1 {
        println!("the book-wide reads, medians of {runs} runs:");
        parts(runs, &store, &pg, &row);
    }
}

/// Each read the book page and health queue make, timed alone on each engine (PostgreSQL in
/// its own read-only transaction, as a page's reads are).
fn parts(runs: usize, store: &Store, firm: &FirmStore, row: &dyn Fn(&str, Duration, Duration)) {
    let part = |name: &str, read: &dyn Fn(&dyn BookReads)| {
        let sqlite = median(runs, || {
            store
                .read(|db| {
                    read(db);
                    Ok(())
                })
                .unwrap();
        });
        let postgres = median(runs, || {
            firm.reading(|r| {
                read(r);
                Ok(())
            })
            .unwrap();
        });
        row(name, sqlite, postgres);
    };
    part("an empty read (no statement: no BEGIN)", &|_| {});
    part("settings (freshness)", &|r| {
        r.setting("flinks.frozen_after_days").unwrap();
    });
    part("clients", &|r| {
        r.clients(false).unwrap();
    });
    part("connections", &|r| {
        r.connections(None).unwrap();
    });
    part("newest sent links", &|r| {
        r.newest_sent_links().unwrap();
    });
    part("positions of each client (live)", &|r| {
        r.positions_of_each_client().unwrap();
    });
    part("counted totals (kept, the pages')", &|r| {
        r.counted_totals().unwrap();
    });
}

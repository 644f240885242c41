//! Households and the review report at scale. Plain `main` (no harness); figures printed as
//! ratios against a baseline measured in the same run (see BENCHMARKS.md):
//! 1. a household of four members with 50k transactions in total: household page data vs
//!    the largest member's client page data (target ≤ 2×);
//! 2. the report of one client with 50k transactions and 200 holdings, gathered and rendered
//!    (target ≤ 1 s in a release build), against that client's page data;
//! 3. a 500-client book to PDFs one after another: reports per second, and the peak resident
//!    memory after the first 100 and after all 500 (it must not grow with the count).
//!
//! `BENCH_SCALE=0.05` shrinks every size, for a quick check that the bench still runs.
//! `BENCH_ONLY=household` runs the first part only, and `BENCH_RUNS=N` takes its medians of
//! N runs instead of 15 (for a profiler: `BENCH_RUNS=20000 perf record …`).

use std::time::{Duration, Instant};

use advisor_desk_core::clients::NewClient;
use advisor_desk_core::domain::{
    Account, AccountKind, AssetClass, Holding, Institution, Provider, Snapshot, SnapshotParts,
    Transaction,
};
use advisor_desk_core::households::household_overview;
use advisor_desk_core::money::{Currency, Money};
use advisor_desk_core::reads::client_overview;
use advisor_desk_core::secrets::{MemorySecretStore, Secret};
use advisor_desk_core::sync::{write_snapshot, NewConnection};
use advisor_desk_core::Store;
use advisor_desk_report::{client_pdf, Lang, ReportSettings};
use chrono::Utc;

fn scale(n: usize) -> usize {
    let s: f64 = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    ((n as f64 * s) as usize).max(1)
}

fn eur(minor: i64) -> Money {
    Money {
        minor,
        currency: Currency::parse("EUR").unwrap(),
    }
}

/// A snapshot with `accounts` accounts (the first one joint: same number for every member),
/// `transactions` spread over the 540 days up to today (so the page's 12-month history has
/// as many to read as a synced client's would) and `holdings` funds in a portfolio.
fn snapshot(tag: &str, accounts: usize, transactions: usize, holdings: usize) -> Snapshot {
    let mut accts: Vec<Account> = (0..accounts)
        .map(|a| Account {
            provider_id: format!("{tag}-a{a}"),
            kind: AccountKind::Current,
            name: format!("Account {a}"),
            identifier: Some(if a == 0 {
                "ES00JOINT".into()
            } else {
                format!("ES{tag}{a:06}")
            }),
            balance: eur(100_000 + a as i64),
            available: None,
            asset_class: None,
            owners: vec![tag.to_string()],
        })
        .collect();
    accts.push(Account {
        provider_id: format!("{tag}-p"),
        kind: AccountKind::Portfolio,
        name: "Portfolio".into(),
        identifier: Some(format!("ES{tag}PORT")),
        balance: eur(1),
        available: None,
        asset_class: None,
        owners: vec![tag.to_string()],
    });
    let start = Utc::now().date_naive() - chrono::Duration::days(539);
    Snapshot {
        institution: Institution::default(),
        accounts: accts,
        holdings: (0..holdings)
            .map(|h| Holding {
                provider_id: format!("{tag}-h{h}"),
                account_ref: Some(format!("{tag}-p")),
                name: format!("Fund {h}"),
                isin: Some(format!("IE{h:010}")),
                asset_class: if h % 3 == 0 {
                    AssetClass::Equity
                } else {
                    AssetClass::Fund
                },
                units: Some(rust_decimal::Decimal::new(h as i64 * 1_000 + 7, 3)),
                value: eur(10_000 + h as i64 * 37),
            })
            .collect(),
        transactions: (0..transactions)
            .map(|i| Transaction {
                provider_id: format!("{tag}-t{i}"),
                account_ref: format!("{tag}-a{}", i % accounts),
                booking_date: start + chrono::Duration::days((i % 540) as i64),
                value_date: None,
                amount: eur(((i * 7919) % 20_000) as i64 - 10_000),
                balance_after: None,
                description: format!("payment {i}"),
                category: None,
                counterparty: None,
            })
            .collect(),
        liabilities: vec![],
        cards: vec![],
        parts: SnapshotParts::all(),
        data_as_of: None,
        ..Default::default()
    }
}

fn client_with(store: &Store, secrets: &MemorySecretStore, name: &str, snap: &Snapshot) -> i64 {
    let c = NewClient {
        name: name.into(),
        ..Default::default()
    };
    let id = advisor_desk_core::clients::add(store, &c, "bench")
        .unwrap()
        .id;
    let new = NewConnection {
        client_id: id,
        provider: Provider::Flanks,
        flow: "flanks_link".into(),
        institution_id: None,
        institution_name: Some("Bench Bank".into()),
    };
    let conn = advisor_desk_core::sync::connections::add(
        store,
        &new,
        &Secret::new(format!("bench-{name}")),
        secrets,
        "bench",
    )
    .unwrap()
    .id;
    store
        .write(|tx| write_snapshot(tx, conn, snap, Utc::now()))
        .unwrap();
    id
}

fn median(mut f: impl FnMut(), runs: usize) -> Duration {
    f();
    let mut v: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Peak resident memory of this process so far, in MiB (`VmHWM`).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemorySecretStore::new();

    // 1. Household of four: 50k transactions split 40/30/20/10 %.
    let store = Store::open(&dir.path().join("household.sqlite3")).unwrap();
    let total = scale(50_000);
    let shares = [40, 30, 20, 10];
    let household = advisor_desk_core::households::create(&store, "Bench family", "bench")
        .unwrap()
        .id;
    let mut largest = 0;
    for (i, share) in shares.iter().enumerate() {
        let snap = snapshot(&format!("m{i}"), 8, total * share / 100, 20);
        let id = client_with(&store, &secrets, &format!("Member {i}"), &snap);
        advisor_desk_core::households::add_member(&store, household, id, "bench").unwrap();
        if i == 0 {
            largest = id;
        }
    }
    let now = Utc::now();
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let member = median(
        || drop(client_overview(&store, largest, now).unwrap()),
        runs,
    );
    let whole = median(
        || drop(household_overview(&store, household, now).unwrap()),
        runs,
    );
    println!("household of 4 members, {total} transactions (median of {runs})");
    println!(
        "  largest member's page data (baseline): {:.3} ms; household page data: {:.3} ms; ratio {:.2} (target <= 2)",
        ms(member),
        ms(whole),
        whole.as_secs_f64() / member.as_secs_f64()
    );
    // The same page with the household's kept rows gone (migration 0018), so counted from its
    // members' rows: what every view cost before, and what the writer now spends once after
    // each change to those rows.
    rusqlite::Connection::open(store.path().unwrap())
        .unwrap()
        .execute("DELETE FROM household_pages", [])
        .unwrap();
    let counted = median(
        || drop(household_overview(&store, household, now).unwrap()),
        runs,
    );
    println!(
        "  household page counted from its members' rows (each view before 0018; now the writer's, once per change): {:.3} ms; ratio {:.2}",
        ms(counted),
        counted.as_secs_f64() / member.as_secs_f64()
    );
    if std::env::var("BENCH_ONLY").is_ok_and(|v| v == "household") {
        return;
    }

    // 2. One client, 50k transactions, 200 holdings: the whole report.
    let store = Store::open(&dir.path().join("report.sqlite3")).unwrap();
    let snap = snapshot("big", 20, scale(50_000), scale(200));
    let big = client_with(&store, &secrets, "Big Client", &snap);
    let settings = ReportSettings::load(&store, Some(Lang::En)).unwrap();
    let page = median(|| drop(client_overview(&store, big, now).unwrap()), 9);
    let mut bytes = 0;
    let report = median(
        || bytes = client_pdf(&store, big, &settings, now).unwrap().len(),
        9,
    );
    println!(
        "report of one client, {} transactions, {} holdings (median of 9)",
        scale(50_000),
        scale(200)
    );
    println!(
        "  client page data (baseline): {:.1} ms; report gathered and rendered: {:.1} ms ({} KiB); ratio {:.2}; target <= 1000 ms",
        ms(page),
        ms(report),
        bytes / 1024,
        report.as_secs_f64() / page.as_secs_f64()
    );

    // 3. A 500-client book to PDFs, one at a time.
    let store = Store::open(&dir.path().join("book.sqlite3")).unwrap();
    let clients: Vec<i64> = (0..scale(500))
        .map(|i| {
            client_with(
                &store,
                &secrets,
                &format!("Client {i}"),
                &snapshot(&format!("c{i}"), 3, 100, 5),
            )
        })
        .collect();
    let out = dir.path().join("pdfs");
    std::fs::create_dir_all(&out).unwrap();
    let start = Instant::now();
    let mut after_100 = 0.0;
    for (n, id) in clients.iter().enumerate() {
        let pdf = client_pdf(&store, *id, &settings, now).unwrap();
        advisor_desk_report::write_new_file(&out.join(format!("{id}.pdf")), &pdf).unwrap();
        if n + 1 == clients.len().min(100) {
            after_100 = peak_rss_mib();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "book of {} clients to PDFs, one after another",
        clients.len()
    );
    println!(
        "  {:.1} reports/s ({:.2} s); peak RSS after {} reports {:.1} MiB, after all {:.1} MiB (ratio {:.2}, must not grow)",
        clients.len() as f64 / secs,
        secs,
        clients.len().min(100),
        after_100,
        peak_rss_mib(),
        peak_rss_mib() / after_100.max(0.1)
    );
}

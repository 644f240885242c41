//! The daily backup of a large book against SQLite's own backup of the same file.
//!
//! The book: 500 clients, each with one connection; `BENCH_HEAVY_CLIENTS` of them (default
//! 20) hold 50 000 transactions each, the others 500. (All 500 at 50 000 would be a file of
//! about 8 GB; the bench builds the largest book that fits a shared machine's minutes and
//! prints its size.)
//!
//! The floor: SQLite's backup API in one step into a new file, nothing else. Ours:
//! `Store::backup_if_due` — the same copy from a snapshot, then the copy's integrity check
//! and row counts against the source, the rename and the retention. Each is timed over
//! `RUNS` rounds, taken in turn, with the file in the page cache for both; the ratio is of
//! the medians. The copy's `integrity_check` on its own is timed too, since it is most of
//! the difference; `quick_check` is timed beside it, to show what the weaker check would save.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use advisor_desk_core::store::verified_copy::row_counts;
use advisor_desk_core::sync::write_snapshot;
use chrono::Utc;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::Connection;
use support::{add_client_with_connection, snapshot};

const CLIENTS: usize = 500;
const HEAVY_TRANSACTIONS: usize = 50_000;
const LIGHT_TRANSACTIONS: usize = 500;
const RUNS: usize = 3;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

/// SQLite's own online backup, all pages in one step, no check: the floor.
fn sqlite_backup(db: &Path, target: &Path) -> Duration {
    let started = Instant::now();
    let source = Connection::open(db).unwrap();
    let mut copy = Connection::open(target).unwrap();
    let backup = Backup::new(&source, &mut copy).unwrap();
    assert_eq!(backup.step(-1).unwrap(), StepResult::Done);
    drop(backup);
    drop(copy);
    started.elapsed()
}

fn main() {
    let heavy = env_or("BENCH_HEAVY_CLIENTS", 20);
    let clients = env_or("BENCH_CLIENTS", CLIENTS);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("book.sqlite3");
    let store = advisor_desk_core::Store::open(&db).unwrap();

    let building = Instant::now();
    let (big, small) = (snapshot(HEAVY_TRANSACTIONS), snapshot(LIGHT_TRANSACTIONS));
    for i in 0..clients {
        let (_, conn) =
            add_client_with_connection(&store, &format!("Client {i}"), &format!("t-{i}"));
        let snap = if i < heavy { &big } else { &small };
        store
            .write(|tx| write_snapshot(tx, conn, snap, Utc::now()))
            .unwrap();
    }
    let plain = Connection::open(&db).unwrap();
    plain
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let rows = row_counts(&plain).unwrap();
    let bytes = std::fs::metadata(&db).unwrap().len();
    println!(
        "backup of a book of {clients} clients ({heavy} with {HEAVY_TRANSACTIONS} transactions, the \
         others {LIGHT_TRANSACTIONS}): {} transactions, {:.0} MB, built in {:.0} s",
        rows["transactions"],
        bytes as f64 / 1e6,
        building.elapsed().as_secs_f64()
    );

    let (mut floor, mut ours, mut check, mut quick) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let day = Utc::now();
    for round in 0..RUNS {
        let target = dir.path().join(format!("floor-{round}.sqlite3"));
        floor.push(sqlite_backup(&db, &target));
        let started = Instant::now();
        let copy = Connection::open(&target).unwrap();
        let found: String = copy
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(found, "ok");
        check.push(started.elapsed());
        // What the weaker check (b-trees only, no index against its table) would cost.
        let started = Instant::now();
        let found: String = copy
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(found, "ok");
        quick.push(started.elapsed());
        drop(copy);
        std::fs::remove_file(&target).unwrap();

        // One day later each round, so the daily backup is due.
        let now = day + chrono::Duration::days(round as i64 + 1);
        let started = Instant::now();
        let taken = store.backup_if_due(now).unwrap().expect("a daily backup");
        ours.push(started.elapsed());
        assert_eq!(taken.rows, rows);
    }
    let (floor, ours, check, quick) = (median(floor), median(ours), median(check), median(quick));
    println!("  SQLite's backup API, one step, no check (floor): {floor:>7.2} s");
    println!(
        "  our daily backup (copy + check + rename + retention): {ours:>7.2} s   ratio {:.2}",
        ours / floor
    );
    println!(
        "  of which the copy's integrity_check alone takes about: {check:>7.2} s   ({:.0}% of ours)",
        100.0 * check / ours
    );
    println!(
        "  the copy's quick_check (not used: it skips indexes against tables): {quick:>7.2} s   \
         (ours with it instead, estimated: ratio {:.2})",
        (ours - check + quick) / floor
    );
}

//! Ingest: 100k transactions through the store (dedupe keys, row hashes, diffing, FTS) vs a
//! bare rusqlite prepared insert of the same rows in one transaction, same run; then a second
//! sync of unchanged data, which must write no rows.

mod support;

use std::time::{Duration, Instant};

use advisor_desk_core::domain::Snapshot;
use advisor_desk_core::sync::write_snapshot;
use advisor_desk_core::Store;
use support::{snapshot, store_with_connection, ACCOUNTS};

const TRANSACTIONS: usize = 100_000;

fn bare_insert(store: &Store, conn: &i64, snap: &Snapshot) -> Duration {
    // Accounts first (untimed), then the same transaction rows with one prepared statement.
    let ids: Vec<i64> = store
        .write(|tx| {
            let mut ids = Vec::new();
            for (i, a) in snap.accounts.iter().enumerate() {
                tx.execute(
                    "INSERT INTO accounts (connection_id, provider_id, dedupe_key, kind, name,
                         currency, balance_minor) VALUES (?1, ?2, ?3, 'current', ?4, 'EUR', ?5)",
                    rusqlite::params![
                        conn,
                        a.provider_id,
                        format!("k{i}"),
                        a.name,
                        a.balance.minor
                    ],
                )?;
                ids.push(tx.last_insert_rowid());
            }
            Ok(ids)
        })
        .unwrap();
    // Grouped by account, as the store writes them: the fastest order for the indexes.
    let mut rows: Vec<_> = snap
        .transactions
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let account = ids[i % ACCOUNTS];
            (
                account,
                t,
                format!("{:032x}", i),
                t.booking_date.to_string(),
            )
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    let start = Instant::now();
    store
        .write(|tx| {
            let mut stmt = tx.prepare(
                "INSERT INTO transactions (connection_id, account_id, provider_id, dedupe_key,
                     booking_date, amount_minor, currency, description, category,
                     first_seen_at, last_seen_at, row_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'EUR', ?7, ?8, ?9, ?9, ?10)",
            )?;
            for (account, t, key, date) in &rows {
                stmt.execute(rusqlite::params![
                    conn,
                    account,
                    t.provider_id,
                    key,
                    date,
                    t.amount.minor,
                    t.description,
                    t.category,
                    "2026-01-01T00:00:00.000Z",
                    1i64
                ])?;
            }
            Ok(())
        })
        .unwrap();
    start.elapsed()
}

/// One round: the bare baseline and the store path, each in a fresh database file.
fn round(dir: &std::path::Path, n: usize, snap: &Snapshot) -> (Duration, Duration, Duration) {
    let (bare_store, _, bare_conn) = store_with_connection(dir, &format!("bare-{n}.sqlite3"));
    let bare = bare_insert(&bare_store, &bare_conn, snap);

    let (store, _, conn) = store_with_connection(dir, &format!("store-{n}.sqlite3"));
    let start = Instant::now();
    let first = store
        .write(|tx| write_snapshot(tx, conn, snap, chrono::Utc::now()))
        .unwrap();
    let first_time = start.elapsed();
    assert_eq!(first.inserted as usize, TRANSACTIONS + ACCOUNTS);

    let start = Instant::now();
    let second = store
        .write(|tx| write_snapshot(tx, conn, snap, chrono::Utc::now()))
        .unwrap();
    let second_time = start.elapsed();
    assert_eq!(
        second.written(),
        0,
        "an unchanged snapshot writes nothing: {second:?}"
    );
    (bare, first_time, second_time)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

const ROUNDS: usize = 3;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(TRANSACTIONS);
    // Alternating rounds, medians: a busy machine affects both sides alike.
    let rounds: Vec<_> = (0..ROUNDS).map(|n| round(dir.path(), n, &snap)).collect();
    let bare = median(rounds.iter().map(|r| r.0).collect());
    let first_time = median(rounds.iter().map(|r| r.1).collect());
    let second_time = median(rounds.iter().map(|r| r.2).collect());

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "ingest of {TRANSACTIONS} transactions ({ACCOUNTS} accounts), one SQLite transaction each, median of {ROUNDS} rounds"
    );
    println!(
        "  bare rusqlite prepared insert (baseline): {:>8.1} ms",
        ms(bare)
    );
    println!(
        "  store, first sync:                        {:>8.1} ms   ratio {:.2} (target <= 2)",
        ms(first_time),
        first_time.as_secs_f64() / bare.as_secs_f64()
    );
    println!(
        "  store, second sync of unchanged data:     {:>8.1} ms   ratio to first {:.2} (target <= 0.3), rows written 0",
        ms(second_time),
        second_time.as_secs_f64() / first_time.as_secs_f64()
    );
}

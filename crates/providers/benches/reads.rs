//! Reading one client with 50k transactions: net worth + allocation + newest 100 (target
//! under 20 ms together) and an FTS5 search over descriptions (target under 20 ms). The
//! baseline, measured in the same run, is a plain aggregate over the same client's rows.

mod support;

use std::time::{Duration, Instant};

use advisor_desk_core::reads;
use advisor_desk_core::sync::write_snapshot;
use support::{snapshot, store_with_connection};

const TRANSACTIONS: usize = 50_000;
const RUNS: usize = 50;

fn median_and_max(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(v[v.len() / 2]), ms(*v.last().unwrap()))
}

fn time<T>(mut f: impl FnMut() -> T) -> (f64, f64) {
    f(); // warm the page cache and the statement cache
    median_and_max(
        (0..RUNS)
            .map(|_| {
                let s = Instant::now();
                std::hint::black_box(f());
                s.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (store, client, conn) = store_with_connection(dir.path(), "reads.sqlite3");
    let snap = snapshot(TRANSACTIONS);
    store
        .write(|tx| write_snapshot(tx, conn, &snap, chrono::Utc::now()))
        .unwrap();

    let baseline = time(|| {
        store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT sum(amount_minor) FROM transactions WHERE connection_id IN
                         (SELECT id FROM connections WHERE client_id = ?1)",
                    [client],
                    |r| r.get::<_, i64>(0),
                )?)
            })
            .unwrap()
    });
    let overview = time(|| {
        store
            .read(|c| {
                Ok((
                    reads::net_worth(c, client)?,
                    reads::allocation(c, client)?,
                    reads::newest_transactions(c, client, 100)?,
                ))
            })
            .unwrap()
    });
    let mut found = 0;
    let search = time(|| {
        let rows = store
            .read(|c| reads::search_transactions(c, client, "farmacia ref 12", 100))
            .unwrap();
        found = rows.len();
        rows
    });
    let common = time(|| {
        store
            .read(|c| reads::search_transactions(c, client, "supermercado", 100))
            .unwrap()
    });
    println!("reads for one client with {TRANSACTIONS} transactions (median / max of {RUNS} runs)");
    println!(
        "  baseline: sum over the client's rows:          {:>6.2} / {:>6.2} ms",
        baseline.0, baseline.1
    );
    println!(
        "  net worth + allocation + newest 100:           {:>6.2} / {:>6.2} ms   ratio to baseline {:.2}, to the 20 ms target {:.2}",
        overview.0, overview.1, overview.0 / baseline.0, overview.0 / 20.0
    );
    println!(
        "  FTS search \"farmacia ref 12\" ({found} hits):      {:>6.2} / {:>6.2} ms   ratio to baseline {:.2}, to the 20 ms target {:.2}",
        search.0, search.1, search.0 / baseline.0, search.0 / 20.0
    );
    println!(
        "  FTS search \"supermercado\" (common word):       {:>6.2} / {:>6.2} ms   ratio to baseline {:.2}, to the 20 ms target {:.2}",
        common.0, common.1, common.0 / baseline.0, common.0 / 20.0
    );
}

//! Generation time of the 500-credential book, against a baseline measured in the same run:
//! a bare loop producing the same number of rows (one small struct with an id string, an
//! amount and a running balance each, no realism) so the ratio shows the cost of realism.
//!
//! Run: `cargo bench -p advisor-desk-sandbox --bench generate`

use std::hint::black_box;
use std::time::Instant;

use advisor_desk_sandbox::book;

struct BareRow {
    id: String,
    amount: i64,
    balance: i64,
}

fn main() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("valid date");
    let started = Instant::now();
    let big = book::generate(42, 500, today);
    let realistic = started.elapsed();
    let rows = book::transaction_count(&big);
    black_box(&big);

    let started = Instant::now();
    let mut bare = Vec::with_capacity(rows);
    let mut balance = 0i64;
    for i in 0..rows {
        let amount = (i as i64 * 7919) % 10_000 - 5_000;
        balance += amount;
        bare.push(BareRow {
            id: format!("row-{i}"),
            amount,
            balance,
        });
    }
    let baseline = started.elapsed();
    black_box(&bare);
    let checksum: i64 = bare.iter().map(|r| r.amount ^ r.balance).sum::<i64>() + bare.len() as i64;
    black_box(checksum);
    drop(bare.pop().map(|r| r.id));

    println!(
        "book 500 credentials: {} Flanks + {} Flinks, {rows} transaction rows in {:.3} s",
        big.flanks.len(),
        big.flinks.len(),
        realistic.as_secs_f64()
    );
    println!(
        "baseline (bare loop, same row count): {:.3} s; ratio {:.1}x",
        baseline.as_secs_f64(),
        realistic.as_secs_f64() / baseline.as_secs_f64().max(1e-9)
    );
}

//! Fault injection over real HTTP, call statistics, and validation of a generated book.

mod common;

use std::time::{Duration, Instant};

use advisor_desk_sandbox::book::{self, FlanksData};
use advisor_desk_sandbox::checkdigits::{iban_is_valid, isin_is_valid, spanish_iban_dc_is_valid};
use advisor_desk_sandbox::{FaultKind, FaultRule};
use common::*;

#[tokio::test]
async fn injected_faults_behave_as_asked() {
    let env = start();
    let tok = env.flanks_token().await;
    let ctl = env.sb.control();
    let get = || {
        env.http
            .get(env.url("/v0/bank/available"))
            .bearer_auth(&tok)
            .send()
    };

    let mut r = FaultRule::new("/v0/bank/available", FaultKind::Status);
    r.status = Some(503);
    r.count = Some(1);
    ctl.add_fault(&r).await.unwrap();
    assert_eq!(get().await.unwrap().status(), 503);
    assert_eq!(get().await.unwrap().status(), 200);

    let mut r = FaultRule::new("*", FaultKind::RateLimit);
    r.retry_after_s = Some(7);
    r.count = Some(1);
    ctl.add_fault(&r).await.unwrap();
    let resp = get().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");

    for kind in [FaultKind::Truncated, FaultKind::Malformed] {
        let mut r = FaultRule::new("/v0/bank/", kind);
        r.count = Some(1);
        ctl.add_fault(&r).await.unwrap();
        let text = get().await.unwrap().text().await.unwrap();
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_err(),
            "{kind:?}: {text}"
        );
    }

    let mut r = FaultRule::new("/v0/bank/", FaultKind::Drop);
    r.count = Some(1);
    ctl.add_fault(&r).await.unwrap();
    assert!(get().await.is_err(), "connection should be dropped");

    let mut r = FaultRule::new("/v0/bank/", FaultKind::Timeout);
    r.latency_ms = Some(5_000);
    r.count = Some(1);
    ctl.add_fault(&r).await.unwrap();
    let t = env
        .http
        .get(env.url("/v0/bank/available"))
        .bearer_auth(&tok)
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(t.unwrap_err().is_timeout());

    let mut r = FaultRule::new("/v0/bank/", FaultKind::Latency);
    r.latency_ms = Some(150);
    r.count = Some(1);
    ctl.add_fault(&r).await.unwrap();
    let started = Instant::now();
    assert_eq!(get().await.unwrap().status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));

    // Flinks paths get the Flinks error body.
    let mut r = FaultRule::new("/v3/", FaultKind::Status);
    r.status = Some(502);
    ctl.add_fault(&r).await.unwrap();
    let (s, v) = split(
        env.http
            .post(env.url("/v3/x/BankingServices/Authorize"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, v["HttpStatusCode"].clone()),
        (502, serde_json::json!(502))
    );
    ctl.clear_faults().await.unwrap();

    // Bad rules are refused with a message.
    let mut bad = FaultRule::new("*", FaultKind::Status);
    bad.rate = 2.0;
    assert!(ctl.add_fault(&bad).await.is_err());

    let stats = ctl.stats().await.unwrap();
    assert_eq!(stats["GET /v0/bank/available"], 8, "{stats:?}");
    assert_eq!(stats["POST /v3/{customerId}/BankingServices/Authorize"], 1);

    ctl.reset().await.unwrap();
    assert!(ctl.stats().await.unwrap().is_empty());
}

fn validate(creds: &[FlanksData]) -> usize {
    let mut ids = std::collections::HashSet::new();
    let mut rows = 0;
    for c in creds {
        assert!(ids.insert(c.token.clone()), "duplicate token");
        for a in &c.accounts {
            assert!(
                iban_is_valid(&a.iban) && spanish_iban_dc_is_valid(&a.iban),
                "{}",
                a.iban
            );
            assert!(ids.insert(format!("{}/{}", c.token, a._id)));
            let mut bal: Option<i64> = None;
            for t in c.transactions.iter().filter(|t| t.account_id == a._id) {
                if let Some(b) = bal {
                    assert_eq!(
                        b + t.amount.cents(),
                        t.balance.cents(),
                        "running balance {}",
                        t._id
                    );
                }
                bal = Some(t.balance.cents());
            }
            if let Some(b) = bal {
                assert_eq!(b, a.balance.cents());
            }
        }
        for t in &c.transactions {
            assert!(
                ids.insert(t._id.clone()),
                "duplicate transaction id {}",
                t._id
            );
        }
        for i in &c.investments {
            assert!(isin_is_valid(&i.isin), "{}", i.isin);
            assert!(ids.insert(i._id.clone()), "duplicate investment {}", i._id);
        }
        assert!(c.portfolios.len() >= 2, "several portfolios per credential");
        rows += c.transactions.len();
    }
    rows
}

#[test]
fn default_book_is_deterministic_and_valid() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    let a = book::generate(42, 11, today);
    let b = book::generate(42, 11, today);
    assert_eq!(a.flanks.len(), 8);
    assert_eq!(a.flinks.len(), 3);
    assert_eq!(
        a.flanks[3].transactions.len(),
        b.flanks[3].transactions.len()
    );
    assert_eq!(a.flanks[3].accounts[0].iban, b.flanks[3].accounts[0].iban);
    assert_ne!(
        book::generate(7, 11, today).flanks[3].accounts[0].iban,
        a.flanks[3].accounts[0].iban
    );
    validate(&a.flanks);
    let joint: Vec<_> = a
        .flanks
        .iter()
        .flat_map(|c| &c.accounts)
        .filter(|x| x.num_owners == 2)
        .collect();
    assert_eq!(joint.len(), 2);
    assert_eq!(joint[0].iban, joint[1].iban);
}

/// The 500-credential book; run by `./dev test` (and by hand:
/// `cargo test -p advisor-desk-sandbox --release --test faults_and_book -- --ignored`).
#[test]
#[ignore = "large book: run with --include-ignored (fast in release)"]
fn large_book_validates() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    let started = Instant::now();
    let big = book::generate(42, 500, today);
    let took = started.elapsed();
    let total = book::transaction_count(&big);
    assert!(total >= 100_000, "{total} rows");
    let rows = validate(&big.flanks);
    println!(
        "500-credential book: {total} transaction rows ({rows} Flanks account rows) in {took:?}"
    );
}

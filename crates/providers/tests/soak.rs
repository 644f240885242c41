//! Fault soak: many connections synced while 20% of provider calls fail in mixed ways, then
//! one sync with faults off. Every connection must end ready, with exactly the rows a
//! fault-free sync of the same sandbox produces, no duplicates, and no connection ever
//! marked as needing the client.
//!
//! The 200-connection run is ignored by default (it takes a while on 2 cores):
//! `cargo test -p advisor-desk-providers --release --test soak -- --ignored --nocapture`.
//! A 24-connection run of the same code is part of the normal suite.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use advisor_desk_core::domain::{Actor, ConnectionStatus, Provider};
use advisor_desk_core::sync::connections;
use advisor_desk_core::sync::{CancelToken, SyncOptions};
use advisor_desk_sandbox::{FaultKind, FaultRule, SandboxConfig};
use common::*;

fn mixed_faults(total_rate: f64) -> Vec<FaultRule> {
    let kinds = [
        (FaultKind::Status, Some(500)),
        (FaultKind::Status, Some(503)),
        (FaultKind::RateLimit, None),
        (FaultKind::Timeout, None),
        (FaultKind::Truncated, None),
        (FaultKind::Malformed, None),
        (FaultKind::Drop, None),
        (FaultKind::Status, Some(502)),
    ];
    // The sandbox tries rules in order; rule i fires with p_i given the earlier ones did
    // not, chosen so each kind gets an equal share of `total_rate`.
    let share = total_rate / kinds.len() as f64;
    let mut left = 1.0;
    kinds
        .iter()
        .map(|(kind, status)| {
            let mut r = FaultRule::new("*", *kind);
            r.status = *status;
            r.rate = (share / left).min(1.0);
            left -= share;
            if *kind == FaultKind::RateLimit {
                r.retry_after_s = Some(0);
            }
            r
        })
        .collect()
}

/// A transaction as compared: (provider_id, date, amount, presence).
type Row = (String, String, i64, String);
/// A connection's stored data: its transactions, sorted, and its account and holding counts.
type Contents = (Vec<Row>, i64, i64);

/// Connection token → what is stored for it.
fn contents(w: &World) -> BTreeMap<String, Contents> {
    let conns = connections::list(&w.store, None).unwrap();
    let mut out = BTreeMap::new();
    for c in conns {
        let token = w.secrets_token(&c);
        let rows = w
            .store
            .read(|db| {
                let mut stmt = db.prepare(
                    "SELECT provider_id, booking_date, amount_minor, presence FROM transactions
                     WHERE connection_id = ?1 ORDER BY provider_id, booking_date, amount_minor",
                )?;
                let rows = stmt
                    .query_map([c.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let accounts: i64 = db.query_row(
                    "SELECT count(*) FROM accounts WHERE connection_id = ?1",
                    [c.id],
                    |r| r.get(0),
                )?;
                let holdings: i64 = db.query_row(
                    "SELECT count(*) FROM holdings WHERE connection_id = ?1",
                    [c.id],
                    |r| r.get(0),
                )?;
                Ok((rows, accounts, holdings))
            })
            .unwrap();
        out.insert(token, rows);
    }
    out
}

impl World {
    fn secrets_token(&self, c: &advisor_desk_core::sync::Connection) -> String {
        use advisor_desk_core::secrets::SecretStore;
        self.secrets
            .get(&c.secret_key().unwrap())
            .unwrap()
            .unwrap()
            .expose()
            .to_string()
    }
}

async fn soak(connections: usize) {
    let config = SandboxConfig {
        credentials: connections,
        ..sandbox_config()
    };
    let w = world_with(config, fast_policy()).await;
    let book = w.control.book().await.unwrap();
    assert_eq!(book.len(), connections);
    let ids: Vec<i64> = book
        .iter()
        .map(|b| {
            let p = if b.provider == "flanks" {
                Provider::Flanks
            } else {
                Provider::Flinks
            };
            w.connect(p, &b.token)
        })
        .collect();
    let options = SyncOptions {
        concurrency: 8,
        ..fast_sync()
    };
    let engine = w.engine(options.clone());

    for rule in mixed_faults(0.2) {
        w.control.add_fault(&rule).await.unwrap();
    }
    let faulty = engine
        .sync_many(ids.clone(), Arc::new(|_| {}), CancelToken::new())
        .await;
    let stats = w.control.stats().await.unwrap();
    let calls: u64 = stats.values().sum();
    eprintln!(
        "faulty round: {} synced, {} failed, {} provider calls, {} ms",
        faulty.synced, faulty.failed, calls, faulty.elapsed_ms
    );
    for c in connections::list(&w.store, None).unwrap() {
        assert_ne!(
            c.action_by,
            Actor::Client,
            "falsely blamed the client: {c:?}"
        );
        assert_ne!(
            c.action_by,
            Actor::Advisor,
            "falsely blamed the advisor: {c:?}"
        );
    }
    // A second faulty round (updates on top of partial state) before the clean one.
    engine
        .sync_many(ids.clone(), Arc::new(|_| {}), CancelToken::new())
        .await;

    w.control.clear_faults().await.unwrap();
    let clean = engine
        .sync_many(ids.clone(), Arc::new(|_| {}), CancelToken::new())
        .await;
    assert_eq!(
        clean.synced,
        connections,
        "{:?}",
        clean
            .outcomes
            .iter()
            .filter(|o| o.status != ConnectionStatus::Ready)
            .collect::<Vec<_>>()
    );
    for c in connections::list(&w.store, None).unwrap() {
        assert_eq!(c.status, ConnectionStatus::Ready);
        assert_eq!(c.consecutive_failures, 0);
        assert!(c.next_retry_at.is_none());
    }
    let dupes = w.count(
        "SELECT count(*) FROM (SELECT 1 FROM transactions
             GROUP BY connection_id, account_id, provider_id HAVING count(*) > 1)",
    );
    assert_eq!(dupes, 0, "duplicate transactions");

    // Reference: the same book synced once with no faults into a fresh database.
    let reference = world_with(
        SandboxConfig {
            credentials: connections,
            ..sandbox_config()
        },
        fast_policy(),
    )
    .await;
    let ref_ids: Vec<i64> = reference
        .control
        .book()
        .await
        .unwrap()
        .iter()
        .map(|b| {
            let p = if b.provider == "flanks" {
                Provider::Flanks
            } else {
                Provider::Flinks
            };
            reference.connect(p, &b.token)
        })
        .collect();
    let r = reference
        .engine(options)
        .sync_many(ref_ids, Arc::new(|_| {}), CancelToken::new())
        .await;
    assert_eq!(r.synced, connections);
    let (got, want) = (contents(&w), contents(&reference));
    assert_eq!(got.len(), want.len());
    for (token, expected) in &want {
        assert_eq!(got.get(token), Some(expected), "connection data differs");
    }
    assert!(want.values().any(|(t, _, _)| !t.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_24_connections_with_20_percent_faults() {
    soak(24).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long soak: run with --ignored"]
async fn soak_200_connections_with_20_percent_faults() {
    soak(200).await;
}

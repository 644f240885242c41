//! Sync throughput: 200 sandbox connections, 50 ms of latency injected on every provider call,
//! engine concurrency 8. Prints the measured time, the ideal time (calls actually made ×
//! latency ÷ concurrency) and their ratio, and the sequential baseline from the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use advisor_desk_core::clients;
use advisor_desk_core::clients::NewClient;
use advisor_desk_core::domain::Provider;
use advisor_desk_core::secrets::{MemorySecretStore, Secret, SecretStore};
use advisor_desk_core::sync::connections;
use advisor_desk_core::sync::{
    CallBuffer, CancelToken, NewConnection, ProviderGateway, SyncEngine, SyncOptions,
};
use advisor_desk_core::Store;
use advisor_desk_providers::{
    FlanksClient, FlanksConfig, FlanksGateway, FlinksClient, FlinksConfig, FlinksGateway,
    HttpPolicy,
};
use advisor_desk_sandbox::{
    FaultKind, FaultRule, Sandbox, SandboxConfig, SandboxControl, FLANKS_CLIENT_ID,
    FLANKS_CLIENT_SECRET, FLINKS_API_KEY, FLINKS_CUSTOMER_ID, FLINKS_SECRET_KEY,
};

const CONNECTIONS: usize = 200;
const LATENCY: Duration = Duration::from_millis(50);
const CONCURRENCY: usize = 8;

struct Run {
    elapsed: Duration,
    calls: u64,
    synced: usize,
}

async fn total_calls(control: &SandboxControl) -> u64 {
    control.stats().await.unwrap().values().sum()
}

async fn run(base: &str, control: &SandboxControl, concurrency: usize) -> Run {
    let policy = HttpPolicy {
        timeout: Duration::from_secs(20),
        max_concurrency: 64,
        max_per_second: 0,
        ..HttpPolicy::default()
    };
    let calls = Arc::new(CallBuffer::new());
    let mut flanks = FlanksConfig::new(
        Secret::new(FLANKS_CLIENT_ID),
        Secret::new(FLANKS_CLIENT_SECRET),
    )
    .with_base_url(base);
    flanks.http = policy.clone();
    let mut flinks = FlinksConfig::new(
        FLINKS_CUSTOMER_ID,
        Secret::new(FLINKS_SECRET_KEY),
        Secret::new(FLINKS_API_KEY),
    )
    .with_base_url(base);
    flinks.http = policy;
    flinks.async_poll_interval = Duration::from_millis(10);
    let gateways: Vec<Arc<dyn ProviderGateway>> = vec![
        Arc::new(FlanksGateway::new(Arc::new(
            FlanksClient::new(flanks, calls.clone()).unwrap(),
        ))),
        Arc::new(FlinksGateway::new(Arc::new(
            FlinksClient::new(flinks, calls.clone()).unwrap(),
        ))),
    ];
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("bench.sqlite3")).unwrap());
    let secrets = Arc::new(MemorySecretStore::new());
    let client = clients::add(
        &store,
        &NewClient {
            name: "Bench".into(),
            ..Default::default()
        },
        "bench",
    )
    .unwrap()
    .id;
    let mut ids = Vec::new();
    for b in control.book().await.unwrap() {
        let (provider, flow) = if b.provider == "flanks" {
            (Provider::Flanks, "flanks_link")
        } else {
            (Provider::Flinks, "flinks_connect")
        };
        let new = NewConnection {
            client_id: client,
            provider,
            flow: flow.into(),
            institution_id: None,
            institution_name: None,
        };
        ids.push(
            connections::add(
                &store,
                &new,
                &Secret::new(b.token),
                secrets.as_ref(),
                "bench",
            )
            .unwrap()
            .id,
        );
    }
    let secrets: Arc<dyn SecretStore> = secrets;
    let engine = SyncEngine::new(
        store,
        secrets,
        gateways,
        calls,
        SyncOptions {
            concurrency,
            status_poll_initial: Duration::from_millis(20),
            trigger: "bench".into(),
            ..SyncOptions::default()
        },
    );
    let before = total_calls(control).await;
    let start = Instant::now();
    let summary = engine
        .sync_many(ids, Arc::new(|_| {}), CancelToken::new())
        .await;
    let elapsed = start.elapsed();
    Run {
        elapsed,
        calls: total_calls(control).await - before,
        synced: summary.synced,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sandbox = Sandbox::start(SandboxConfig {
        credentials: CONNECTIONS,
        pending_delay: Duration::ZERO,
        flinks_processing_delay: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .unwrap();
    let control = sandbox.control();
    let mut latency = FaultRule::new("*", FaultKind::Latency);
    latency.latency_ms = Some(LATENCY.as_millis() as u64);
    control.add_fault(&latency).await.unwrap();
    let base = sandbox.base_url();

    let concurrent = run(&base, &control, CONCURRENCY).await;
    let sequential = run(&base, &control, 1).await;

    let secs = |d: Duration| d.as_secs_f64();
    let ideal = secs(LATENCY) * concurrent.calls as f64 / CONCURRENCY as f64;
    let ideal_seq = secs(LATENCY) * sequential.calls as f64;
    println!(
        "sync throughput: {CONNECTIONS} connections, {} ms latency per call, concurrency {CONCURRENCY}",
        LATENCY.as_millis()
    );
    println!(
        "  concurrent: {} synced, {} calls, measured {:.2} s, ideal {:.2} s (calls x latency / {CONCURRENCY}), ratio {:.2} (target <= 1.3)",
        concurrent.synced, concurrent.calls, secs(concurrent.elapsed), ideal, secs(concurrent.elapsed) / ideal
    );
    println!(
        "  sequential baseline: {} synced, {} calls, measured {:.2} s, ideal {:.2} s (calls x latency), ratio {:.2}",
        sequential.synced, sequential.calls, secs(sequential.elapsed), ideal_seq, secs(sequential.elapsed) / ideal_seq
    );
    println!(
        "  speed-up over sequential: {:.2}x",
        secs(sequential.elapsed) / secs(concurrent.elapsed)
    );
    sandbox.shutdown().await;
}

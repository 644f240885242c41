//! Shared by the refresh tests and the refresh benchmark: the sandbox, its call counts, and a
//! firm book whose desktops refresh through the production refresher ([`firm_book`]: the
//! providers' real clients, sealed credentials, the core's snapshot writer). The benchmark's
//! [`SandboxRefresher`] fetches the same way but writes only a stand-in row, to time the
//! coordination rather than the writes.
#![allow(dead_code)]

mod firm_book;
pub use firm_book::*;

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::domain::{Provider, ProviderFailure, RemoteState, Snapshot};
use advisor_desk_core::secrets::Secret;
use advisor_desk_core::sync::{CallBuffer, ProviderGateway};
use advisor_desk_firm::refresh::{schema, Outcome, OutcomeKind, RefreshError, Refresher};
use advisor_desk_providers::{
    FlanksClient, FlanksConfig, FlanksGateway, FlinksClient, FlinksConfig, FlinksGateway,
    HttpPolicy,
};
use advisor_desk_sandbox::{
    BookEntry, Sandbox, SandboxConfig, SandboxControl, SandboxHandle, FLANKS_CLIENT_ID,
    FLANKS_CLIENT_SECRET, FLINKS_API_KEY, FLINKS_CUSTOMER_ID, FLINKS_SECRET_KEY,
};
use serde_json::json;

/// The endpoint each provider's fetch calls exactly once, first: counted by the sandbox.
pub const FLANKS_FIRST_CALL: &str = "POST /v0/bank/credentials/status";
pub const FLINKS_FIRST_CALL: &str = "POST /v3/{customerId}/BankingServices/Authorize";

/// A sandbox seeded with `credentials` bank logins (Flanks and Flinks), quick to answer.
pub fn sandbox_config(credentials: usize) -> SandboxConfig {
    SandboxConfig {
        credentials,
        pending_delay: Duration::from_millis(200),
        flinks_processing_delay: Duration::from_millis(100),
        ..SandboxConfig::default()
    }
}

/// The sandbox on a runtime of its own (the desktops are plain threads or processes).
pub fn start_sandbox(credentials: usize) -> (tokio::runtime::Runtime, SandboxHandle) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = {
        let _inside = runtime.enter();
        Sandbox::start(sandbox_config(credentials)).unwrap()
    };
    (runtime, sandbox)
}

/// The book's connection ids for the sandbox's seeded logins, in the book's order (every
/// desktop derives the same ones). The tokens stay in memory: they stand for the keychain.
pub fn connections(book: &[BookEntry]) -> Vec<(i64, &BookEntry)> {
    (1..).zip(book).collect()
}

/// The refresh tables and a stand-in for the snapshot the real writer will store; `writes`
/// counts the committed writes per connection.
pub fn install_tables(client: &mut postgres::Client) {
    schema::install(client).unwrap();
    client
        .batch_execute(
            "create table if not exists snapshots (
                 connection_id bigint primary key,
                 accounts int not null,
                 holdings int not null,
                 transactions int not null,
                 writes int not null default 1)",
        )
        .unwrap();
}

/// Provider calls by endpoint so far.
pub fn provider_calls(
    runtime: &tokio::runtime::Runtime,
    control: &SandboxControl,
) -> BTreeMap<String, u64> {
    runtime.block_on(control.stats()).unwrap()
}

/// Fetches of each provider (its first call per fetch) counted by the sandbox.
pub fn fetches(calls: &BTreeMap<String, u64>) -> (u64, u64) {
    let count = |key: &str| calls.get(key).copied().unwrap_or(0);
    (count(FLANKS_FIRST_CALL), count(FLINKS_FIRST_CALL))
}

pub type Fetched = (Provider, Result<Snapshot, ProviderFailure>);

pub struct SandboxRefresher {
    runtime: tokio::runtime::Runtime,
    flanks: FlanksGateway,
    flinks: FlinksGateway,
    tokens: HashMap<i64, (Provider, Secret)>,
    fetch_log: Option<File>,
    pause_after_fetch: Duration,
}

impl SandboxRefresher {
    pub fn new(sandbox_url: &str) -> SandboxRefresher {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let policy = HttpPolicy {
            max_concurrency: 4,
            max_per_second: 0,
            ..HttpPolicy::default()
        };
        let calls = Arc::new(CallBuffer::new());
        let mut flanks = FlanksConfig::new(
            Secret::new(FLANKS_CLIENT_ID),
            Secret::new(FLANKS_CLIENT_SECRET),
        )
        .with_base_url(sandbox_url);
        flanks.http = policy.clone();
        let mut flinks = FlinksConfig::new(
            FLINKS_CUSTOMER_ID,
            Secret::new(FLINKS_SECRET_KEY),
            Secret::new(FLINKS_API_KEY),
        )
        .with_base_url(sandbox_url);
        flinks.async_poll_interval = Duration::from_millis(50);
        flinks.http = policy;
        let book = runtime
            .block_on(SandboxControl::new(sandbox_url).book())
            .unwrap();
        let tokens = connections(&book)
            .into_iter()
            .map(|(id, entry)| {
                let provider = match entry.provider.as_str() {
                    "flinks" => Provider::Flinks,
                    _ => Provider::Flanks,
                };
                (id, (provider, Secret::new(entry.token.clone())))
            })
            .collect();
        SandboxRefresher {
            flanks: FlanksGateway::new(Arc::new(FlanksClient::new(flanks, calls.clone()).unwrap())),
            flinks: FlinksGateway::new(Arc::new(FlinksClient::new(flinks, calls).unwrap())),
            runtime,
            tokens,
            fetch_log: None,
            pause_after_fetch: Duration::ZERO,
        }
    }

    /// Appends each connection id to `path` just before its fetch (survives a kill -9).
    pub fn with_fetch_log(mut self, path: &Path) -> Self {
        self.fetch_log = Some(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap(),
        );
        self
    }

    /// A slower desktop: waits this long between a fetch and its completion.
    pub fn with_pause_after_fetch(mut self, pause: Duration) -> Self {
        self.pause_after_fetch = pause;
        self
    }

    fn gateway(&self, provider: Provider) -> &dyn ProviderGateway {
        match provider {
            Provider::Flanks => &self.flanks,
            Provider::Flinks => &self.flinks,
        }
    }
}

impl Refresher for SandboxRefresher {
    type Fetched = Fetched;

    fn fetch(&mut self, connection_id: i64) -> Fetched {
        if let Some(log) = &mut self.fetch_log {
            writeln!(log, "{connection_id}").unwrap();
        }
        let (provider, token) = self.tokens[&connection_id].clone();
        let gateway = self.gateway(provider);
        // As the sync engine does, less its polling of a pending credential: one status call.
        let fetched = self.runtime.block_on(async {
            let status = gateway.status(&token).await?;
            if status.state != RemoteState::Ready {
                return Err(ProviderFailure::new(match status.state {
                    RemoteState::PendingSca => advisor_desk_core::domain::FailureKind::ScaRequired,
                    RemoteState::Blocked => advisor_desk_core::domain::FailureKind::Blocked,
                    _ => advisor_desk_core::domain::FailureKind::Pending,
                }));
            }
            gateway.snapshot(&token, &status).await
        });
        std::thread::sleep(self.pause_after_fetch);
        (provider, fetched)
    }

    fn outcome(&self, _connection_id: i64, (provider, fetched): &Fetched) -> Outcome {
        match fetched {
            Ok(snapshot) => Outcome {
                kind: OutcomeKind::Refreshed,
                detail: json!({
                    "provider": provider.as_str(),
                    "accounts": snapshot.accounts.len(),
                    "holdings": snapshot.holdings.len(),
                    "transactions": snapshot.transactions.len(),
                }),
            },
            Err(failure) => Outcome {
                kind: OutcomeKind::Failed,
                detail: json!({"provider": provider.as_str(), "failure": failure.kind.as_str()}),
            },
        }
    }

    fn write(
        &mut self,
        tx: &mut postgres::Transaction<'_>,
        connection_id: i64,
        (_, fetched): &Fetched,
    ) -> Result<(), RefreshError> {
        let Ok(snapshot) = fetched else {
            return Ok(());
        };
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        tx.execute(
            "insert into snapshots (connection_id, accounts, holdings, transactions)
             values ($1, $2, $3, $4)
             on conflict (connection_id) do update
             set accounts = excluded.accounts, holdings = excluded.holdings,
                 transactions = excluded.transactions, writes = snapshots.writes + 1",
            &[
                &connection_id,
                &count(snapshot.accounts.len()),
                &count(snapshot.holdings.len()),
                &count(snapshot.transactions.len()),
            ],
        )?;
        Ok(())
    }
}

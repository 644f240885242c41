//! Shared by the refresh tests and the refresh benchmark: the sandbox, its call counts, and a
//! firm book whose desktops refresh through the production refresher ([`firm_book`]: the
//! providers' real clients, sealed credentials, the core's snapshot writer). The benchmark's
//! [`SandboxRefresher`] fetches the same way but writes only a stand-in row, to time the
//! coordination rather than the writes.
#![allow(dead_code)]

mod firm_book;
pub use firm_book::*;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::domain::Provider;
use advisor_desk_core::secrets::Secret;
use advisor_desk_core::sync::{fetch_snapshot, ProviderGateway, StatusPolling};
use advisor_desk_firm::refresh::provider_refresher::outcome_of;
use advisor_desk_firm::refresh::{Fetched, Outcome, RefreshError, Refresher};
use advisor_desk_firm::test_firm::seed_connections;
use advisor_desk_sandbox::{BookEntry, Sandbox, SandboxConfig, SandboxControl, SandboxHandle};

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

/// On a migrated firm database: connections 1..=`connections` and a stand-in for the snapshot
/// the real writer stores (for the bench's toy refresher); `writes` counts the committed writes
/// per connection.
pub fn install_tables(client: &mut postgres::Client, connections: i64) {
    seed_connections(client, connections);
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

/// The benchmark's desktop: the production fetch (the providers' real clients, the core's
/// `fetch_snapshot`) with the tokens taken straight from the sandbox's book, and a stand-in
/// row for the write, so the benchmark times the coordination rather than the writer.
pub struct SandboxRefresher {
    runtime: tokio::runtime::Runtime,
    gateways: HashMap<Provider, Arc<dyn ProviderGateway>>,
    tokens: HashMap<i64, (Provider, Secret)>,
}

impl SandboxRefresher {
    pub fn new(sandbox_url: &str) -> SandboxRefresher {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let book = runtime
            .block_on(SandboxControl::new(sandbox_url).book())
            .unwrap();
        let tokens = connections(&book)
            .into_iter()
            .map(|(id, entry)| {
                let provider = Provider::parse(&entry.provider).unwrap();
                (id, (provider, Secret::new(entry.token.clone())))
            })
            .collect();
        SandboxRefresher {
            gateways: sandbox_gateways(sandbox_url)
                .into_iter()
                .map(|g| (g.provider(), g))
                .collect(),
            runtime,
            tokens,
        }
    }
}

/// A pending credential polled quickly (the sandbox's are ready within a second).
pub fn quick_polling() -> StatusPolling {
    StatusPolling {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(200),
        deadline: Duration::from_secs(10),
    }
}

impl Refresher for SandboxRefresher {
    type Fetched = Fetched;

    fn fetch(&mut self, connection_id: i64) -> Fetched {
        let (provider, token) = &self.tokens[&connection_id];
        let gateway = self.gateways[provider].as_ref();
        let quiet = |_| {};
        let result = self
            .runtime
            .block_on(fetch_snapshot(gateway, token, quick_polling(), &quiet));
        Fetched::Answered {
            provider: *provider,
            result: result.map(Box::new),
        }
    }

    fn outcome(&self, _connection_id: i64, fetched: &Fetched) -> Outcome {
        outcome_of(fetched)
    }

    fn write(
        &mut self,
        tx: &mut postgres::Transaction<'_>,
        connection_id: i64,
        fetched: &Fetched,
    ) -> Result<(), RefreshError> {
        let Fetched::Answered {
            result: Ok(snapshot),
            ..
        } = fetched
        else {
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

//! A firm book for the refresh tests: the firm schema migrated (refresh tables included),
//! the firm set up with its first key (filed in a real keychain), and one client and one
//! connection per sandbox login with its credentials sealed in `sealed_secrets`; and a desktop's
//! production refresher (`ProviderRefresher`) over the providers' real clients.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::firm::{FirmId, FirmKey};
use advisor_desk_core::secrets::{KeyringStore, Secret, SecretStore};
use advisor_desk_core::sync::{CallBuffer, ProviderGateway};
use advisor_desk_firm::refresh::{Outcome, ProviderRefresher, RefreshError, Refresher};
use advisor_desk_firm::secrets::{self, SecretPlace};
use advisor_desk_firm::FirmPool;
use advisor_desk_providers::{
    FlanksClient, FlanksConfig, FlanksGateway, FlinksClient, FlinksConfig, FlinksGateway,
    HttpPolicy,
};
use advisor_desk_sandbox::{
    BookEntry, FLANKS_CLIENT_ID, FLANKS_CLIENT_SECRET, FLINKS_API_KEY, FLINKS_CUSTOMER_ID,
    FLINKS_SECRET_KEY,
};

use super::{connections, quick_polling};

/// The keychain every desktop of a test firm opens (the Secret Service of the test's session,
/// `scripts/with-keyring.sh`), one service name per firm database.
pub fn firm_keychain(service: &str) -> Arc<dyn SecretStore> {
    Arc::new(KeyringStore::new(service))
}

/// Sets up the firm in `client`'s (migrated) database: refresh tables, the firm id and first
/// key (the key filed in `keychain`), a client and a ready connection per sandbox login
/// (connection id = the login's place in the book), each login's token sealed. Returns
/// connection id → provider name.
pub fn seed_firm(
    client: &mut postgres::Client,
    firm: &FirmId,
    keychain: &dyn SecretStore,
    book: &[BookEntry],
) -> BTreeMap<i64, String> {
    let key = FirmKey::generate(1).unwrap();
    key.save(keychain, firm).unwrap();
    let mut tx = client.transaction().unwrap();
    secrets::set_up_firm(&mut tx, firm, &key).unwrap();
    let mut providers = BTreeMap::new();
    for (id, entry) in connections(book) {
        let flow = match entry.provider.as_str() {
            "flinks" => "flinks_connect",
            _ => "flanks_link",
        };
        tx.execute(
            "INSERT INTO clients (id, kind, name, created_at, updated_at)
                 VALUES ($1, 'person', $2, now(), now())",
            &[&id, &format!("Client {id}")],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO connections (id, client_id, provider, flow, status, token_hash,
                 created_at, updated_at)
                 VALUES ($1, $1, $2, $3, 'ready', $4, now(), now())",
            &[&id, &entry.provider, &flow, &format!("hash-{id}")],
        )
        .unwrap();
        let place = SecretPlace::Credentials { connection_id: id };
        secrets::put(&mut tx, &key, place, &Secret::new(entry.token.clone())).unwrap();
        providers.insert(id, entry.provider.clone());
    }
    tx.batch_execute(
        "SELECT setval(pg_get_serial_sequence(t, 'id'), 100000)
           FROM unnest(ARRAY['clients', 'connections']) AS t",
    )
    .unwrap();
    tx.commit().unwrap();
    providers
}

/// Counts the committed after-sync updates of each connection (the refresh records every
/// result, success or failure, with one update setting `last_attempt_at`).
pub fn count_connection_writes(client: &mut postgres::Client) {
    client
        .batch_execute(
            "CREATE TABLE connection_writes (connection_id bigint PRIMARY KEY, writes int NOT NULL);
             CREATE FUNCTION count_connection_write() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 INSERT INTO connection_writes VALUES (NEW.id, 1)
                     ON CONFLICT (connection_id)
                     DO UPDATE SET writes = connection_writes.writes + 1;
                 RETURN NULL;
             END $$;
             CREATE TRIGGER count_connection_write AFTER UPDATE OF last_attempt_at ON connections
                 FOR EACH ROW EXECUTE FUNCTION count_connection_write();",
        )
        .unwrap();
}

/// The providers' real clients on the sandbox, as the app builds them for its environment.
pub fn sandbox_gateways(sandbox_url: &str) -> Vec<Arc<dyn ProviderGateway>> {
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
    vec![
        Arc::new(FlanksGateway::new(Arc::new(
            FlanksClient::new(flanks, calls.clone()).unwrap(),
        ))),
        Arc::new(FlinksGateway::new(Arc::new(
            FlinksClient::new(flinks, calls).unwrap(),
        ))),
    ]
}

/// A desktop's production refresher on the sandbox, polling a pending credential quickly.
pub fn desktop_refresher(
    pool: &FirmPool,
    keychain: Arc<dyn SecretStore>,
    sandbox_url: &str,
) -> ProviderRefresher {
    ProviderRefresher::new(pool.clone(), keychain, sandbox_gateways(sandbox_url))
        .unwrap()
        .with_status_polling(quick_polling())
        .with_patience(Duration::from_secs(60))
}

/// A refresher as the test watches it: each connection id appended to a file just before its
/// fetch (survives a kill -9), and an optional pause between a fetch and its completion.
pub struct Watched<R> {
    inner: R,
    fetch_log: File,
    pause_after_fetch: Duration,
}

impl<R> Watched<R> {
    pub fn new(inner: R, fetch_log: &Path, pause_after_fetch: Duration) -> Watched<R> {
        let fetch_log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(fetch_log)
            .unwrap();
        Watched {
            inner,
            fetch_log,
            pause_after_fetch,
        }
    }
}

impl<R: Refresher> Refresher for Watched<R> {
    type Fetched = R::Fetched;

    fn fetch(&mut self, connection_id: i64) -> R::Fetched {
        writeln!(self.fetch_log, "{connection_id}").unwrap();
        let fetched = self.inner.fetch(connection_id);
        std::thread::sleep(self.pause_after_fetch);
        fetched
    }

    fn outcome(&self, connection_id: i64, fetched: &R::Fetched) -> Outcome {
        self.inner.outcome(connection_id, fetched)
    }

    fn write(
        &mut self,
        tx: &mut postgres::Transaction<'_>,
        connection_id: i64,
        fetched: &R::Fetched,
    ) -> Result<(), RefreshError> {
        self.inner.write(tx, connection_id, fetched)
    }
}

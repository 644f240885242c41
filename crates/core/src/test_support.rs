//! Builders the core's unit tests share: one place for setup that several tests repeat.

use crate::clients;
use crate::clients::NewClient;
use crate::links::sessions;
use crate::links::{Delivery, LinkFlow, LinkPurpose, NewLinkSession, StartedLinkSession};
use crate::secrets::{MemorySecretStore, Secret, SecretError, SecretKey, SecretStore};
use crate::store::Store;
use crate::time::Timestamp;

/// Adds a person with this name to the book; their id.
pub(crate) fn client(store: &Store, name: &str) -> i64 {
    clients::add(
        store,
        &NewClient {
            name: name.into(),
            ..Default::default()
        },
        "t",
    )
    .unwrap()
    .id
}

/// Starts a link session for a new connection of the client, open for 30 minutes from `now`.
pub(crate) fn start_session(
    store: &Store,
    client_id: i64,
    flow: LinkFlow,
    now: Timestamp,
) -> StartedLinkSession {
    sessions::start(
        store,
        &NewLinkSession {
            client_id,
            connection_id: None,
            flow,
            purpose: LinkPurpose::New,
            ttl: chrono::Duration::minutes(30),
            delivery: Delivery::Window,
        },
        "advisor",
        now,
    )
    .unwrap()
}

/// A keychain whose `fail_at`-th write (counting from 1) fails as a locked keychain's would;
/// every other call goes through to `inner`. For tests of all-or-nothing keychain writes.
pub(crate) struct FailingPut {
    pub(crate) inner: MemorySecretStore,
    puts: std::sync::atomic::AtomicUsize,
    fail_at: usize,
}

impl FailingPut {
    pub(crate) fn new(fail_at: usize) -> FailingPut {
        FailingPut {
            inner: MemorySecretStore::new(),
            puts: Default::default(),
            fail_at,
        }
    }
}

impl SecretStore for FailingPut {
    fn put(&self, key: &SecretKey, value: &Secret) -> Result<(), SecretError> {
        let nth = self.puts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if nth == self.fail_at {
            return Err(SecretError::Locked);
        }
        self.inner.put(key, value)
    }
    fn get(&self, key: &SecretKey) -> Result<Option<Secret>, SecretError> {
        self.inner.get(key)
    }
    fn delete(&self, key: &SecretKey) -> Result<bool, SecretError> {
        self.inner.delete(key)
    }
    fn check(&self) -> Result<(), SecretError> {
        self.inner.check()
    }
}

//! The keychain as a refresh reads it: each entry read from the OS keychain once. A round opens
//! hundreds of credentials under the same firm key, and every keychain read is a round trip to
//! the Secret Service (serialised, since concurrent sessions fail at random). Writes go straight
//! through and forget what was read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use advisor_desk_core::secrets::{Secret, SecretError, SecretKey, SecretStore};

pub struct KeychainCache {
    keychain: Arc<dyn SecretStore>,
    read: Mutex<HashMap<String, Secret>>,
}

impl KeychainCache {
    pub fn new(keychain: Arc<dyn SecretStore>) -> KeychainCache {
        KeychainCache {
            keychain,
            read: Mutex::default(),
        }
    }

    fn forget(&self, key: &SecretKey) {
        self.read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key.as_str());
    }
}

impl SecretStore for KeychainCache {
    fn put(&self, key: &SecretKey, value: &Secret) -> Result<(), SecretError> {
        self.forget(key);
        self.keychain.put(key, value)
    }

    fn get(&self, key: &SecretKey) -> Result<Option<Secret>, SecretError> {
        let read = |cache: &HashMap<String, Secret>| cache.get(key.as_str()).cloned();
        if let Some(found) = read(&self.read.lock().unwrap_or_else(|e| e.into_inner())) {
            return Ok(Some(found));
        }
        // An absent entry is asked again next time: it may be filed meanwhile (a key update).
        let found = self.keychain.get(key)?;
        if let Some(secret) = &found {
            self.read
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key.as_str().to_string(), secret.clone());
        }
        Ok(found)
    }

    fn delete(&self, key: &SecretKey) -> Result<bool, SecretError> {
        self.forget(key);
        self.keychain.delete(key)
    }

    fn check(&self) -> Result<(), SecretError> {
        self.keychain.check()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use advisor_desk_core::secrets::MemorySecretStore;

    use super::*;

    /// Counts the reads that reach the keychain underneath.
    struct Counted {
        inner: MemorySecretStore,
        gets: AtomicUsize,
    }

    impl SecretStore for Counted {
        fn put(&self, key: &SecretKey, value: &Secret) -> Result<(), SecretError> {
            self.inner.put(key, value)
        }
        fn get(&self, key: &SecretKey) -> Result<Option<Secret>, SecretError> {
            self.gets.fetch_add(1, Ordering::Relaxed);
            self.inner.get(key)
        }
        fn delete(&self, key: &SecretKey) -> Result<bool, SecretError> {
            self.inner.delete(key)
        }
        fn check(&self) -> Result<(), SecretError> {
            self.inner.check()
        }
    }

    #[test]
    fn an_entry_is_read_once_until_it_is_written_and_an_absent_one_is_asked_again() {
        let counted = Arc::new(Counted {
            inner: MemorySecretStore::new(),
            gets: AtomicUsize::new(0),
        });
        let cache = KeychainCache::new(counted.clone());
        let key = SecretKey::new("firm/f/key/1").unwrap();
        assert_eq!(cache.get(&key).unwrap(), None);
        assert_eq!(cache.get(&key).unwrap(), None);
        assert_eq!(
            counted.gets.load(Ordering::Relaxed),
            2,
            "absent: asked again"
        );
        cache.put(&key, &Secret::new("one")).unwrap();
        for _ in 0..3 {
            assert_eq!(cache.get(&key).unwrap(), Some(Secret::new("one")));
        }
        assert_eq!(counted.gets.load(Ordering::Relaxed), 3, "then read once");
        cache.put(&key, &Secret::new("two")).unwrap();
        assert_eq!(cache.get(&key).unwrap(), Some(Secret::new("two")));
        assert!(cache.delete(&key).unwrap());
        assert_eq!(cache.get(&key).unwrap(), None);
    }
}

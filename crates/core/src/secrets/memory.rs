use std::collections::HashMap;
use std::sync::Mutex;

use super::{Secret, SecretError, SecretKey, SecretStore};

/// In-memory secret store for unit tests only: nothing survives the process.
#[derive(Default)]
pub struct MemorySecretStore {
    entries: Mutex<HashMap<String, Secret>>,
    /// Lets unit tests simulate a locked keychain.
    locked: std::sync::atomic::AtomicBool,
}

impl MemorySecretStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_locked(&self, locked: bool) {
        self.locked
            .store(locked, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn guard(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Secret>>, SecretError> {
        if self.locked.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(SecretError::Locked);
        }
        self.entries
            .lock()
            .map_err(|_| SecretError::Other("store poisoned".into()))
    }
}

impl SecretStore for MemorySecretStore {
    fn put(&self, key: &SecretKey, value: &Secret) -> Result<(), SecretError> {
        self.guard()?
            .insert(key.as_str().to_string(), value.clone());
        Ok(())
    }

    fn get(&self, key: &SecretKey) -> Result<Option<Secret>, SecretError> {
        Ok(self.guard()?.get(key.as_str()).cloned())
    }

    fn delete(&self, key: &SecretKey) -> Result<bool, SecretError> {
        Ok(self.guard()?.remove(key.as_str()).is_some())
    }

    fn check(&self) -> Result<(), SecretError> {
        self.guard().map(|_| ())
    }
}

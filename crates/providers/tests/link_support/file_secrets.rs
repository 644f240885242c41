//! A secret store over a JSON file, shared by a test and the child processes it kills.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use advisor_desk_core::secrets::{Secret, SecretError, SecretKey, SecretStore};

/// A secret store over a JSON file, rewritten (write + rename) on every change so an abort
/// never leaves it half written. Test only: it is how the child and the parent share the
/// "keychain".
pub struct FileSecretStore {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileSecretStore {
    pub fn new(path: &Path) -> Self {
        FileSecretStore {
            path: path.to_path_buf(),
            lock: Mutex::new(()),
        }
    }

    fn load(&self) -> BTreeMap<String, String> {
        std::fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn save(&self, map: &BTreeMap<String, String>) -> Result<(), SecretError> {
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(map).unwrap())
            .and_then(|_| std::fs::rename(&tmp, &self.path))
            .map_err(|e| SecretError::Other(e.to_string()))
    }

    pub fn names(&self) -> Vec<String> {
        self.load().into_keys().collect()
    }
}

impl SecretStore for FileSecretStore {
    fn put(&self, key: &SecretKey, value: &Secret) -> Result<(), SecretError> {
        let _g = self.lock.lock().unwrap();
        let mut m = self.load();
        m.insert(key.as_str().to_string(), value.expose().to_string());
        self.save(&m)
    }

    fn get(&self, key: &SecretKey) -> Result<Option<Secret>, SecretError> {
        let _g = self.lock.lock().unwrap();
        Ok(self
            .load()
            .get(key.as_str())
            .map(|v| Secret::new(v.clone())))
    }

    fn delete(&self, key: &SecretKey) -> Result<bool, SecretError> {
        let _g = self.lock.lock().unwrap();
        let mut m = self.load();
        let had = m.remove(key.as_str()).is_some();
        self.save(&m)?;
        Ok(had)
    }

    fn check(&self) -> Result<(), SecretError> {
        Ok(())
    }
}

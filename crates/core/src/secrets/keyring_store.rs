use std::sync::Mutex;

use super::{Secret, SecretError, SecretKey, SecretStore, DEFAULT_SERVICE, SERVICE_ENV};

/// The OS keychain through `keyring` (macOS Keychain, Windows Credential Manager, the Secret
/// Service on Linux). Calls are serialised: concurrent Secret Service sessions fail at random.
pub struct KeyringStore {
    service: String,
}

static KEYRING_LOCK: Mutex<()> = Mutex::new(());

/// The entry used by [`SecretStore::check`] to prove a round trip works.
const PROBE_KEY: &str = "probe/availability";

impl KeyringStore {
    pub fn new(service: impl Into<String>) -> Self {
        KeyringStore {
            service: service.into(),
        }
    }

    /// The app's service name, or the override from `ADVISOR_DESK_KEYRING_SERVICE`.
    pub fn from_env() -> Self {
        let service = std::env::var(SERVICE_ENV)
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_SERVICE.to_string());
        KeyringStore::new(service)
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, key: &SecretKey) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, key.as_str()).map_err(map_error)
    }

    fn with_lock<T>(&self, f: impl FnOnce() -> Result<T, SecretError>) -> Result<T, SecretError> {
        let _guard = KEYRING_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        f()
    }
}

/// Maps keyring's errors to ours without ever including a value.
fn map_error(e: keyring::Error) -> SecretError {
    use keyring::Error as K;
    match e {
        K::NoStorageAccess(inner) => {
            let text = inner.to_string();
            if looks_locked(&text) {
                SecretError::Locked
            } else {
                SecretError::Unavailable(text)
            }
        }
        K::PlatformFailure(inner) => {
            let text = inner.to_string();
            if looks_locked(&text) {
                SecretError::Locked
            } else {
                SecretError::Unavailable(text)
            }
        }
        K::BadEncoding(_) => SecretError::Other("an entry is not valid UTF-8".into()),
        K::TooLong(field, _) => SecretError::Other(format!("{field} is too long")),
        K::Invalid(field, reason) => SecretError::Other(format!("invalid {field}: {reason}")),
        K::Ambiguous(_) => SecretError::Other("several keychain entries match".into()),
        K::NoEntry => SecretError::Other("no such entry".into()),
        other => SecretError::Other(other.to_string()),
    }
}

fn looks_locked(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("locked") || t.contains("prompt") || t.contains("dismissed")
}

impl SecretStore for KeyringStore {
    fn put(&self, key: &SecretKey, value: &Secret) -> Result<(), SecretError> {
        self.with_lock(|| {
            self.entry(key)?
                .set_password(value.expose())
                .map_err(map_error)
        })
    }

    fn get(&self, key: &SecretKey) -> Result<Option<Secret>, SecretError> {
        self.with_lock(|| match self.entry(key)?.get_password() {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        })
    }

    fn delete(&self, key: &SecretKey) -> Result<bool, SecretError> {
        self.with_lock(|| match self.entry(key)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(e)),
        })
    }

    fn check(&self) -> Result<(), SecretError> {
        let key = SecretKey::new(PROBE_KEY)?;
        self.put(&key, &Secret::new("ok"))?;
        let back = self.get(&key)?;
        self.delete(&key)?;
        match back {
            Some(v) if v.expose() == "ok" => Ok(()),
            _ => Err(SecretError::Unavailable(
                "a value written to the keychain could not be read back".into(),
            )),
        }
    }
}

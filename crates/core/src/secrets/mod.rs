//! Secrets: provider API keys, each connection's credentials_token / loginId, one-use link
//! codes. They live in the OS keychain and nowhere else; the rest of the app holds only a
//! [`SecretKey`] (a reference) and, while making a request, a [`Secret`].

mod keyring_store;
mod memory;
mod secret;

pub use keyring_store::KeyringStore;
pub use memory::MemorySecretStore;
pub use secret::Secret;

use crate::error::ErrorCode;

/// The keychain service name every entry of the app is filed under.
pub const DEFAULT_SERVICE: &str = "app.advisordesk.desktop";
/// Overrides the service name so tests get their own namespace in a real keychain.
pub const SERVICE_ENV: &str = "ADVISOR_DESK_KEYRING_SERVICE";

/// Names one secret inside the app's keychain namespace. The name itself is not secret: it is
/// what SQLite stores in place of the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretKey(String);

impl SecretKey {
    /// `provider/flanks/client_secret`, `connection/42/token`, `link/17/code` …
    pub fn new(name: impl Into<String>) -> Result<Self, SecretError> {
        let name = name.into();
        let valid = !name.is_empty()
            && name.len() <= 200
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_-.:".contains(&b));
        if valid {
            Ok(SecretKey(name))
        } else {
            Err(SecretError::InvalidKey)
        }
    }

    pub fn provider_key(provider: &str, field: &str) -> Self {
        SecretKey(format!("provider/{provider}/{field}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SecretError {
    #[error(
        "the system keychain is not available ({0}); Advisor Desk keeps credentials only in \
         the keychain, so start or install it and try again"
    )]
    Unavailable(String),
    #[error("the system keychain is locked; unlock your keychain and try again")]
    Locked,
    #[error("invalid keychain entry name")]
    InvalidKey,
    #[error("keychain error: {0}")]
    Other(String),
}

impl SecretError {
    pub fn code(&self) -> ErrorCode {
        match self {
            SecretError::Unavailable(_) => ErrorCode::KeychainUnavailable,
            SecretError::Locked => ErrorCode::KeychainLocked,
            SecretError::InvalidKey | SecretError::Other(_) => ErrorCode::Keychain,
        }
    }
}

/// Where secrets are kept. Implementations must be safe to share between threads.
pub trait SecretStore: Send + Sync {
    fn put(&self, key: &SecretKey, value: &Secret) -> Result<(), SecretError>;
    fn get(&self, key: &SecretKey) -> Result<Option<Secret>, SecretError>;
    /// Returns whether an entry existed.
    fn delete(&self, key: &SecretKey) -> Result<bool, SecretError>;
    /// Proves the store can be used right now (for `doctor` and start-up checks).
    fn check(&self) -> Result<(), SecretError>;
}

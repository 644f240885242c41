//! Where each provider lives and how hard to push it. Defaults are the real production hosts;
//! the sandbox is selected by giving its base URL, never by a code path of its own.

use std::time::Duration;

use advisor_desk_core::secrets::{Secret, SecretKey, SecretStore};
use advisor_desk_core::CoreError;

/// Timeouts, retries and limits shared by both clients.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    /// Whole-request timeout (connect, send, read the body).
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Tries per call, the first included.
    pub max_attempts: u32,
    /// First backoff; doubles per retry, with full jitter, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the call fails as rate-limited
    /// with the time of the next try.
    pub max_retry_after_wait: Duration,
    /// Calls in flight at once to this provider.
    pub max_concurrency: usize,
    /// Calls started per second to this provider (0 = unlimited).
    pub max_per_second: u32,
    /// The largest answer body read; a larger one fails as `BadResponse` without being read
    /// further. Generous: a Flinks GetAccountsDetail with years of transactions is tens of MB.
    pub max_body_bytes: usize,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_attempts: 4,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            max_retry_after_wait: Duration::from_secs(60),
            max_concurrency: 8,
            max_per_second: 10,
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}

pub const FLANKS_PRODUCTION_URL: &str = "https://api.flanks.io";
pub const FLINKS_PRODUCTION_URL: &str = "https://toolbox-api.private.fin.ag";

#[derive(Clone)]
pub struct FlanksConfig {
    pub base_url: String,
    pub client_id: Secret,
    pub client_secret: Secret,
    pub http: HttpPolicy,
}

impl std::fmt::Debug for FlanksConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlanksConfig")
            .field("base_url", &self.base_url)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl FlanksConfig {
    pub fn new(client_id: Secret, client_secret: Secret) -> Self {
        FlanksConfig {
            base_url: FLANKS_PRODUCTION_URL.to_string(),
            client_id,
            client_secret,
            http: HttpPolicy::default(),
        }
    }

    /// Reads `provider/flanks/client_id` and `provider/flanks/client_secret` from the store.
    pub fn from_secrets(secrets: &dyn SecretStore) -> Result<Self, CoreError> {
        Ok(FlanksConfig::new(
            required(secrets, "flanks", "client_id")?,
            required(secrets, "flanks", "client_secret")?,
        ))
    }

    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into().trim_end_matches('/').to_string();
        self
    }
}

#[derive(Clone)]
pub struct FlinksConfig {
    /// `https://{instance}-api.private.fin.ag`.
    pub base_url: String,
    pub customer_id: String,
    /// `flinks-auth-key` for GenerateAuthorizeToken.
    pub secret_key: Secret,
    /// `x-api-key` for the data endpoints.
    pub api_key: Secret,
    /// GetAccountsDetailAsync polling (the docs say every 10 s, for up to 30 min).
    pub async_poll_interval: Duration,
    pub async_deadline: Duration,
    pub days_of_transactions: &'static str,
    pub http: HttpPolicy,
}

impl std::fmt::Debug for FlinksConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlinksConfig")
            .field("base_url", &self.base_url)
            .field("customer_id", &self.customer_id)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl FlinksConfig {
    pub fn new(customer_id: impl Into<String>, secret_key: Secret, api_key: Secret) -> Self {
        FlinksConfig {
            base_url: FLINKS_PRODUCTION_URL.to_string(),
            customer_id: customer_id.into(),
            secret_key,
            api_key,
            async_poll_interval: Duration::from_secs(10),
            async_deadline: Duration::from_secs(30 * 60),
            days_of_transactions: "Days365",
            http: HttpPolicy::default(),
        }
    }

    /// Reads `provider/flinks/{customer_id,secret_key,api_key}` from the store.
    pub fn from_secrets(secrets: &dyn SecretStore) -> Result<Self, CoreError> {
        let customer = required(secrets, "flinks", "customer_id")?;
        Ok(FlinksConfig::new(
            customer.expose(),
            required(secrets, "flinks", "secret_key")?,
            required(secrets, "flinks", "api_key")?,
        ))
    }

    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into().trim_end_matches('/').to_string();
        self
    }
}

fn required(secrets: &dyn SecretStore, provider: &str, field: &str) -> Result<Secret, CoreError> {
    secrets
        .get(&SecretKey::provider_key(provider, field))?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            CoreError::invalid(format!(
                "{provider} is not configured: its {field} is missing from the keychain"
            ))
        })
}

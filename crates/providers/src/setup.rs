//! Builds the gateways the sync engine needs from the app's configuration: API keys from the
//! keychain, base URLs from settings (or the environment), production hosts by default. The
//! CLI's `sync` and the app's daily refresh both start here, so the sandbox is chosen by
//! configuration only.

use std::sync::Arc;

use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::sync::{CallLog, ProviderGateway};
use advisor_desk_core::{CoreError, Store};

use crate::{FlanksClient, FlanksConfig, FlanksGateway, FlinksClient, FlinksConfig, FlinksGateway};
use advisor_desk_core::settings;

/// Settings keys (core's provider settings) and environment variables that override them.
pub use advisor_desk_core::settings::{FLANKS_BASE_URL_SETTING, FLINKS_BASE_URL_SETTING};
pub const FLANKS_BASE_URL_ENV: &str = "ADVISOR_DESK_FLANKS_BASE_URL";
pub const FLINKS_BASE_URL_ENV: &str = "ADVISOR_DESK_FLINKS_BASE_URL";

fn base_url(store: &Store, env: &str, setting: &str) -> Result<Option<String>, CoreError> {
    if let Some(v) = std::env::var(env).ok().filter(|v| !v.trim().is_empty()) {
        return Ok(Some(v));
    }
    Ok(settings::get(store, setting)?.filter(|v| !v.trim().is_empty()))
}

/// The configured providers' gateways, plus a note for each provider that is not configured
/// (its connections then fail with a clear "not configured" error, the others still sync).
pub struct Configured {
    pub gateways: Vec<Arc<dyn ProviderGateway>>,
    pub not_configured: Vec<String>,
}

pub fn gateways(
    store: &Store,
    secrets: &dyn SecretStore,
    log: Arc<dyn CallLog>,
) -> Result<Configured, CoreError> {
    let mut out: Vec<Arc<dyn ProviderGateway>> = Vec::new();
    let mut missing = Vec::new();
    match FlanksConfig::from_secrets(secrets) {
        Ok(mut c) => {
            if let Some(url) = base_url(store, FLANKS_BASE_URL_ENV, FLANKS_BASE_URL_SETTING)? {
                c = c.with_base_url(url);
            }
            let client =
                FlanksClient::new(c, log.clone()).map_err(|f| CoreError::invalid(f.to_string()))?;
            out.push(Arc::new(FlanksGateway::new(Arc::new(client))));
        }
        Err(CoreError::InvalidInput(m)) => missing.push(m),
        Err(e) => return Err(e),
    }
    match FlinksConfig::from_secrets(secrets) {
        Ok(mut c) => {
            if let Some(url) = base_url(store, FLINKS_BASE_URL_ENV, FLINKS_BASE_URL_SETTING)? {
                c = c.with_base_url(url);
            }
            let client =
                FlinksClient::new(c, log).map_err(|f| CoreError::invalid(f.to_string()))?;
            out.push(Arc::new(FlinksGateway::new(Arc::new(client))));
        }
        Err(CoreError::InvalidInput(m)) => missing.push(m),
        Err(e) => return Err(e),
    }
    Ok(Configured {
        gateways: out,
        not_configured: missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use advisor_desk_core::secrets::{MemorySecretStore, Secret, SecretKey};
    use advisor_desk_core::sync::CallBuffer;

    #[test]
    fn unconfigured_providers_are_named_and_configured_ones_built() {
        let store = Store::open_in_memory().unwrap();
        let secrets = MemorySecretStore::new();
        let log = Arc::new(CallBuffer::new());
        let c = gateways(&store, &secrets, log.clone()).unwrap();
        let (g, missing) = (c.gateways, c.not_configured);
        assert!(g.is_empty());
        assert_eq!(missing.len(), 2);
        assert!(missing[0].contains("flanks"), "{missing:?}");
        for (f, v) in [("client_id", "id"), ("client_secret", "s")] {
            secrets
                .put(&SecretKey::provider_key("flanks", f), &Secret::new(v))
                .unwrap();
        }
        settings::set(&store, FLANKS_BASE_URL_SETTING, "http://127.0.0.1:9").unwrap();
        let c = gateways(&store, &secrets, log).unwrap();
        let (g, missing) = (c.gateways, c.not_configured);
        assert_eq!(g.len(), 1);
        assert_eq!(missing.len(), 1);
    }
}

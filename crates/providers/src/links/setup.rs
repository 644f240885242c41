//! Builds the link flows' provider side from the app's configuration, as `crate::setup` does
//! for the sync gateways: API keys from the keychain, base URLs from the environment or
//! settings, production hosts by default.
//!
//! Link pages: `provider.flanks.link_url` / `provider.flinks.connect_url` (or the environment
//! variables below) when set; otherwise, when a provider's API base URL is overridden (the
//! sandbox, a proxy), its pages are taken to live under that same base at their real paths;
//! otherwise the production pages.

use std::sync::Arc;

use advisor_desk_core::links::LinkProviderApi;
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::sync::CallLog;
use advisor_desk_core::{CoreError, Store};

use super::{FlanksLinks, FlinksLinks, LinkPages};
use crate::setup::{
    FLANKS_BASE_URL_ENV, FLANKS_BASE_URL_SETTING, FLINKS_BASE_URL_ENV, FLINKS_BASE_URL_SETTING,
};
use crate::{FlanksClient, FlanksConfig, FlinksClient, FlinksConfig};
use advisor_desk_core::settings;

pub const FLANKS_LINK_URL_SETTING: &str = "provider.flanks.link_url";
pub const FLANKS_LINK_TOKEN_SETTING: &str = "provider.flanks.link_token";
pub const FLINKS_CONNECT_URL_SETTING: &str = "provider.flinks.connect_url";
pub const FLANKS_LINK_URL_ENV: &str = "ADVISOR_DESK_FLANKS_LINK_URL";
pub const FLINKS_CONNECT_URL_ENV: &str = "ADVISOR_DESK_FLINKS_CONNECT_URL";
/// `true` (the default) or `false`: whether Flinks Connect runs an OAuth bank's sign-in as
/// redirects in the link window (`oauthWindowRedirect=true`) or in a pop-up.
pub const FLINKS_OAUTH_WINDOW_REDIRECT_SETTING: &str = "provider.flinks.oauth_window_redirect";
pub const FLINKS_OAUTH_WINDOW_REDIRECT_ENV: &str = "ADVISOR_DESK_FLINKS_OAUTH_WINDOW_REDIRECT";

/// The configured choice between redirects and pop-ups for Flinks' OAuth banks. Only
/// `false` chooses pop-ups; anything else keeps the default (redirects).
pub fn flinks_oauth_window_redirect(store: &Store) -> Result<bool, CoreError> {
    let v = configured(
        store,
        FLINKS_OAUTH_WINDOW_REDIRECT_ENV,
        FLINKS_OAUTH_WINDOW_REDIRECT_SETTING,
    )?;
    Ok(!v.is_some_and(|v| v.eq_ignore_ascii_case("false")))
}

fn configured(store: &Store, env: &str, setting: &str) -> Result<Option<String>, CoreError> {
    if let Some(v) = std::env::var(env).ok().filter(|v| !v.trim().is_empty()) {
        return Ok(Some(v.trim().to_string()));
    }
    Ok(settings::get(store, setting)?
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty()))
}

impl LinkPages {
    /// The pages as configured (see the module documentation).
    pub fn from_settings(store: &Store) -> Result<Self, CoreError> {
        let mut pages = LinkPages::default();
        if let Some(base) = configured(store, FLANKS_BASE_URL_ENV, FLANKS_BASE_URL_SETTING)? {
            pages.flanks_link_url = LinkPages::at_base(&base).flanks_link_url;
        }
        if let Some(base) = configured(store, FLINKS_BASE_URL_ENV, FLINKS_BASE_URL_SETTING)? {
            let at = LinkPages::at_base(&base);
            pages.flinks_connect_url = at.flinks_connect_url;
            pages.flinks_demo = at.flinks_demo;
        }
        if let Some(url) = configured(store, FLANKS_LINK_URL_ENV, FLANKS_LINK_URL_SETTING)? {
            pages.flanks_link_url = url;
        }
        if let Some(url) = configured(store, FLINKS_CONNECT_URL_ENV, FLINKS_CONNECT_URL_SETTING)? {
            pages.flinks_connect_url = url;
        }
        pages.flanks_link_token =
            settings::get(store, FLANKS_LINK_TOKEN_SETTING)?.filter(|t| !t.trim().is_empty());
        pages.flinks_oauth_window_redirect = flinks_oauth_window_redirect(store)?;
        Ok(pages)
    }
}

/// The link providers over existing clients (share them with the sync gateways so each
/// provider keeps one token cache and one rate limiter).
pub fn link_providers(
    flanks: Option<Arc<FlanksClient>>,
    flinks: Option<Arc<FlinksClient>>,
    pages: &LinkPages,
) -> Vec<Arc<dyn LinkProviderApi>> {
    let mut out: Vec<Arc<dyn LinkProviderApi>> = Vec::new();
    if let Some(c) = flanks {
        out.push(Arc::new(FlanksLinks::new(c, pages.clone())));
    }
    if let Some(c) = flinks {
        out.push(Arc::new(FlinksLinks::new(c, pages.clone())));
    }
    out
}

/// The clients of the configured providers; `None` for a provider whose keys are missing.
pub struct Clients {
    pub flanks: Option<Arc<FlanksClient>>,
    pub flinks: Option<Arc<FlinksClient>>,
}

/// The configured providers' clients, built from the keychain and settings.
pub fn configured_clients(
    store: &Store,
    secrets: &dyn SecretStore,
    log: Arc<dyn CallLog>,
) -> Result<Clients, CoreError> {
    let flanks = match FlanksConfig::from_secrets(secrets) {
        Ok(mut c) => {
            if let Some(url) = configured(store, FLANKS_BASE_URL_ENV, FLANKS_BASE_URL_SETTING)? {
                c = c.with_base_url(url);
            }
            let client =
                FlanksClient::new(c, log.clone()).map_err(|f| CoreError::invalid(f.to_string()))?;
            Some(Arc::new(client))
        }
        Err(CoreError::InvalidInput(_)) => None,
        Err(e) => return Err(e),
    };
    let flinks = match FlinksConfig::from_secrets(secrets) {
        Ok(mut c) => {
            if let Some(url) = configured(store, FLINKS_BASE_URL_ENV, FLINKS_BASE_URL_SETTING)? {
                c = c.with_base_url(url);
            }
            let client =
                FlinksClient::new(c, log).map_err(|f| CoreError::invalid(f.to_string()))?;
            Some(Arc::new(client))
        }
        Err(CoreError::InvalidInput(_)) => None,
        Err(e) => return Err(e),
    };
    Ok(Clients { flanks, flinks })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_configured_base_unless_set_explicitly() {
        let store = Store::open_in_memory().unwrap();
        let p = LinkPages::from_settings(&store).unwrap();
        assert_eq!(p.flanks_link_url, super::super::pages::FLANKS_LINK_PAGE);
        assert!(!p.flinks_demo);
        settings::set(&store, FLANKS_BASE_URL_SETTING, "http://127.0.0.1:9/").unwrap();
        settings::set(&store, FLINKS_BASE_URL_SETTING, "http://127.0.0.1:9").unwrap();
        settings::set(&store, FLANKS_LINK_TOKEN_SETTING, "tok-1").unwrap();
        let p = LinkPages::from_settings(&store).unwrap();
        assert_eq!(p.flanks_link_url, "http://127.0.0.1:9/link");
        assert_eq!(
            p.flinks_connect_url,
            "http://127.0.0.1:9/flinks-connect/v2/"
        );
        assert_eq!(p.flanks_link_token.as_deref(), Some("tok-1"));
        settings::set(
            &store,
            FLANKS_LINK_URL_SETTING,
            "https://links.example/link",
        )
        .unwrap();
        let p = LinkPages::from_settings(&store).unwrap();
        assert_eq!(p.flanks_link_url, "https://links.example/link");
    }

    #[test]
    fn flinks_oauth_banks_use_redirects_unless_pop_ups_are_chosen() {
        let store = Store::open_in_memory().unwrap();
        assert!(
            LinkPages::from_settings(&store)
                .unwrap()
                .flinks_oauth_window_redirect
        );
        for (value, redirects) in [
            ("false", false),
            ("FALSE", false),
            ("true", true),
            ("x", true),
        ] {
            settings::set(&store, FLINKS_OAUTH_WINDOW_REDIRECT_SETTING, value).unwrap();
            assert_eq!(
                flinks_oauth_window_redirect(&store).unwrap(),
                redirects,
                "{value}"
            );
        }
    }
}

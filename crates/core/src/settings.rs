//! Provider settings the advisor edits on the Settings screen: the environment (the embedded
//! sandbox or the real services), the real services' API keys (keychain only; the UI learns
//! whether each is set, never its value) and optional base URLs. Every change is audited
//! without its value.

use serde::{Deserialize, Serialize};

use crate::doctor::PROVIDER_ENVIRONMENT_SETTING;
use crate::error::{CoreError, Result};
use crate::secrets::{Secret, SecretKey, SecretStore};
use crate::store::audit::NewAuditEntry;
use crate::store::{queries, Store};

/// A setting's value, if one was ever set.
pub fn get(store: &Store, key: &str) -> Result<Option<String>> {
    store.read(|c| queries::settings::read::value(c, key))
}

/// Sets a setting (no audit entry: callers that need one write it).
pub fn set(store: &Store, key: &str, value: &str) -> Result<()> {
    store.write(|tx| queries::settings::write::set(tx, key, value))
}

/// Same keys as `advisor_desk_providers::setup` reads.
pub const FLANKS_BASE_URL_SETTING: &str = "provider.flanks.base_url";
pub const FLINKS_BASE_URL_SETTING: &str = "provider.flinks.base_url";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ProviderEnvironment {
    /// The embedded provider imitation (the default): public test keys, seeded data.
    Sandbox,
    /// The real Flanks and Flinks services with the advisor's own keys.
    Production,
}

impl ProviderEnvironment {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderEnvironment::Sandbox => "sandbox",
            ProviderEnvironment::Production => "production",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sandbox" => Some(ProviderEnvironment::Sandbox),
            "production" => Some(ProviderEnvironment::Production),
            _ => None,
        }
    }
}

/// The saved environment; anything unknown (or nothing) is the sandbox, so a damaged setting
/// can never point the app at the real services by accident.
pub fn provider_environment(store: &Store) -> Result<ProviderEnvironment> {
    Ok(get(store, PROVIDER_ENVIRONMENT_SETTING)?
        .as_deref()
        .and_then(ProviderEnvironment::parse)
        .unwrap_or(ProviderEnvironment::Sandbox))
}

/// The advisor's name: signs reports and messages sent to clients.
pub const ADVISOR_NAME_SETTING: &str = "advisor.name";

/// Setting key of the interface language the advisor chose. Kept in the database (not only
/// in webview storage) so it follows the data folder and is written before the call returns.
pub const UI_LOCALE_SETTING: &str = "ui.locale";

/// The interface languages. Anything else is refused when the IPC arguments are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum UiLocale {
    En,
    Es,
    Fr,
}

impl UiLocale {
    pub fn as_str(self) -> &'static str {
        match self {
            UiLocale::En => "en",
            UiLocale::Es => "es",
            UiLocale::Fr => "fr",
        }
    }

    pub fn parse(s: &str) -> Option<UiLocale> {
        [UiLocale::En, UiLocale::Es, UiLocale::Fr]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

/// The saved interface language; a value this version does not know (a newer app wrote it)
/// is `None`, so the window falls back to the OS language.
pub fn ui_locale(store: &Store) -> Result<Option<UiLocale>> {
    Ok(get(store, UI_LOCALE_SETTING)?
        .as_deref()
        .and_then(UiLocale::parse))
}

pub fn set_ui_locale(store: &Store, locale: UiLocale) -> Result<()> {
    set(store, UI_LOCALE_SETTING, locale.as_str())
}

pub fn set_provider_environment(
    store: &Store,
    env: ProviderEnvironment,
    actor: &str,
) -> Result<()> {
    set(store, PROVIDER_ENVIRONMENT_SETTING, env.as_str())?;
    store.audit(&NewAuditEntry {
        actor,
        client_id: None,
        connection_id: None,
        action: "settings.environment",
        detail: env.as_str(),
    })
}

/// Setting: which Flanks integration new connections to a bank in Spain or Europe use. The
/// advisor picks a region when connecting ("a bank in Spain or Europe", "a bank in Canada");
/// the integration is chosen once, here.
pub const FLANKS_INTEGRATION_SETTING: &str = "provider.flanks.integration";

/// The two Flanks integrations (providers.md): the legacy Link page and Connect v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FlanksIntegration {
    #[default]
    Link,
    ConnectV2,
}

impl FlanksIntegration {
    pub fn as_str(self) -> &'static str {
        match self {
            FlanksIntegration::Link => "link",
            FlanksIntegration::ConnectV2 => "connect_v2",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [FlanksIntegration::Link, FlanksIntegration::ConnectV2]
            .into_iter()
            .find(|i| i.as_str() == s)
    }
}

/// The saved integration; nothing (or a value this version does not know) is Link.
pub fn flanks_integration(store: &Store) -> Result<FlanksIntegration> {
    Ok(get(store, FLANKS_INTEGRATION_SETTING)?
        .as_deref()
        .and_then(FlanksIntegration::parse)
        .unwrap_or_default())
}

pub fn set_flanks_integration(
    store: &Store,
    integration: FlanksIntegration,
    actor: &str,
) -> Result<()> {
    store.write(|tx| {
        queries::settings::write::set(tx, FLANKS_INTEGRATION_SETTING, integration.as_str())?;
        crate::store::audit::append(
            tx,
            &NewAuditEntry {
                actor,
                client_id: None,
                connection_id: None,
                action: "settings.flanks_integration",
                detail: integration.as_str(),
            },
        )
    })
}

/// Every API key field the real services need, per provider (the names
/// `advisor_desk_providers::config` reads from the keychain).
pub const KEY_FIELDS: &[(&str, &str)] = &[
    ("flanks", "client_id"),
    ("flanks", "client_secret"),
    ("flinks", "customer_id"),
    ("flinks", "secret_key"),
    ("flinks", "api_key"),
];

fn key(provider: &str, field: &str) -> Result<SecretKey> {
    if KEY_FIELDS.contains(&(provider, field)) {
        Ok(SecretKey::provider_key(provider, field))
    } else {
        Err(CoreError::invalid(format!(
            "unknown provider key {provider}/{field}"
        )))
    }
}

/// Whether one key is in the keychain. The value is never returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct KeyStatus {
    pub provider: &'static str,
    pub field: &'static str,
    pub set: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct ProviderSettings {
    pub environment: ProviderEnvironment,
    pub keys: Vec<KeyStatus>,
    pub flanks_base_url: Option<String>,
    pub flinks_base_url: Option<String>,
    pub flanks_integration: FlanksIntegration,
}

/// What the Settings screen shows. A locked or missing keychain is the typed error.
pub fn provider_settings(store: &Store, secrets: &dyn SecretStore) -> Result<ProviderSettings> {
    let mut keys = Vec::with_capacity(KEY_FIELDS.len());
    for (provider, field) in KEY_FIELDS {
        let set = secrets
            .get(&SecretKey::provider_key(provider, field))?
            .is_some_and(|s| !s.is_empty());
        keys.push(KeyStatus {
            provider,
            field,
            set,
        });
    }
    Ok(ProviderSettings {
        environment: provider_environment(store)?,
        keys,
        flanks_base_url: get(store, FLANKS_BASE_URL_SETTING)?,
        flinks_base_url: get(store, FLINKS_BASE_URL_SETTING)?,
        flanks_integration: flanks_integration(store)?,
    })
}

pub fn set_provider_key(
    store: &Store,
    secrets: &dyn SecretStore,
    provider: &str,
    field: &str,
    value: &Secret,
    actor: &str,
) -> Result<()> {
    let k = key(provider, field)?;
    let trimmed = value.expose().trim();
    if trimmed.is_empty() || trimmed.len() > 512 || trimmed.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "an API key is one line of at most 512 characters",
        ));
    }
    secrets.put(&k, &Secret::new(trimmed))?;
    store.audit(&NewAuditEntry {
        actor,
        client_id: None,
        connection_id: None,
        action: "settings.key.set",
        detail: k.as_str(),
    })
}

pub fn remove_provider_key(
    store: &Store,
    secrets: &dyn SecretStore,
    provider: &str,
    field: &str,
    actor: &str,
) -> Result<()> {
    let k = key(provider, field)?;
    secrets.delete(&k)?;
    store.audit(&NewAuditEntry {
        actor,
        client_id: None,
        connection_id: None,
        action: "settings.key.removed",
        detail: k.as_str(),
    })
}

/// Sets (or with `None`/blank, clears) a provider's base URL. Only `https://`, or `http://`
/// to this machine (a sandbox run by hand).
pub fn set_base_url(store: &Store, provider: &str, url: Option<&str>, actor: &str) -> Result<()> {
    let setting = match provider {
        "flanks" => FLANKS_BASE_URL_SETTING,
        "flinks" => FLINKS_BASE_URL_SETTING,
        _ => return Err(CoreError::invalid(format!("unknown provider {provider}"))),
    };
    let url = url.map(str::trim).filter(|u| !u.is_empty());
    match url {
        None => store.write(|tx| queries::settings::write::remove(tx, setting))?,
        Some(u) => {
            let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|p| {
                    u.strip_prefix(p)
                        .is_some_and(|r| r.is_empty() || r.starts_with([':', '/']))
                });
            let ok = (u.starts_with("https://") && u.len() > "https://".len() || local)
                && u.len() <= 300
                && !u.chars().any(|c| c.is_whitespace() || c.is_control())
                && !u.contains(['?', '#', '@']);
            if !ok {
                return Err(CoreError::invalid(
                    "a base URL starts with https:// (or http://127.0.0.1 for a local sandbox) \
                     and has no query",
                ));
            }
            set(store, setting, u.trim_end_matches('/'))?;
        }
    }
    store.audit(&NewAuditEntry {
        actor,
        client_id: None,
        connection_id: None,
        action: "settings.base_url",
        detail: &format!("{provider} {}", url.unwrap_or("default")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_ui_locale_round_trips_and_an_unknown_one_is_none() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(ui_locale(&store).unwrap(), None);
        set_ui_locale(&store, UiLocale::Es).unwrap();
        assert_eq!(ui_locale(&store).unwrap(), Some(UiLocale::Es));
        set(&store, UI_LOCALE_SETTING, "de").unwrap();
        assert_eq!(ui_locale(&store).unwrap(), None);
    }
    use crate::secrets::MemorySecretStore;

    #[test]
    fn the_flanks_integration_defaults_to_link_is_audited_and_shown() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(flanks_integration(&store).unwrap(), FlanksIntegration::Link);
        set_flanks_integration(&store, FlanksIntegration::ConnectV2, "advisor").unwrap();
        assert_eq!(
            flanks_integration(&store).unwrap(),
            FlanksIntegration::ConnectV2
        );
        let entry = &store.audit_log(1).unwrap()[0];
        assert_eq!(
            (entry.action.as_str(), entry.detail.as_str()),
            ("settings.flanks_integration", "connect_v2")
        );
        let shown = provider_settings(&store, &MemorySecretStore::new()).unwrap();
        assert_eq!(shown.flanks_integration, FlanksIntegration::ConnectV2);
        set(&store, FLANKS_INTEGRATION_SETTING, "v3").unwrap();
        assert_eq!(flanks_integration(&store).unwrap(), FlanksIntegration::Link);
    }

    #[test]
    fn the_environment_defaults_to_the_sandbox_and_unknown_values_too() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(
            provider_environment(&store).unwrap(),
            ProviderEnvironment::Sandbox
        );
        set_provider_environment(&store, ProviderEnvironment::Production, "advisor").unwrap();
        assert_eq!(
            provider_environment(&store).unwrap(),
            ProviderEnvironment::Production
        );
        set(&store, PROVIDER_ENVIRONMENT_SETTING, "staging").unwrap();
        assert_eq!(
            provider_environment(&store).unwrap(),
            ProviderEnvironment::Sandbox
        );
        assert_eq!(
            store.audit_log(1).unwrap()[0].action,
            "settings.environment"
        );
    }

    #[test]
    fn keys_are_reported_as_set_never_by_value_and_audited_without_it() {
        let store = Store::open_in_memory().unwrap();
        let secrets = MemorySecretStore::new();
        let s = provider_settings(&store, &secrets).unwrap();
        assert_eq!(s.keys.len(), 5);
        assert!(s.keys.iter().all(|k| !k.set));
        set_provider_key(
            &store,
            &secrets,
            "flanks",
            "client_secret",
            &Secret::new("  top-secret-value \n"),
            "advisor",
        )
        .unwrap();
        let s = provider_settings(&store, &secrets).unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert!(!json.contains("top-secret"), "{json}");
        assert!(s.keys.iter().any(|k| k.field == "client_secret" && k.set));
        assert_eq!(
            secrets
                .get(&SecretKey::provider_key("flanks", "client_secret"))
                .unwrap()
                .unwrap()
                .expose(),
            "top-secret-value"
        );
        let audit = store.audit_log(5).unwrap();
        assert!(audit.iter().all(|e| !e.detail.contains("top-secret")));
        remove_provider_key(&store, &secrets, "flanks", "client_secret", "advisor").unwrap();
        assert!(provider_settings(&store, &secrets)
            .unwrap()
            .keys
            .iter()
            .all(|k| !k.set));
        // Only the known fields, only sane values.
        for (p, f, v) in [
            ("flanks", "password", "x"),
            ("other", "api_key", "x"),
            ("flinks", "api_key", "   "),
            ("flinks", "api_key", "two\nlines"),
        ] {
            let e = set_provider_key(&store, &secrets, p, f, &Secret::new(v), "a").unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::InvalidInput, "{p}/{f}");
        }
    }

    #[test]
    fn base_urls_must_be_https_or_this_machine() {
        let store = Store::open_in_memory().unwrap();
        set_base_url(&store, "flanks", Some("https://api.flanks.io/"), "a").unwrap();
        assert_eq!(
            provider_settings(&store, &MemorySecretStore::new())
                .unwrap()
                .flanks_base_url
                .as_deref(),
            Some("https://api.flanks.io")
        );
        set_base_url(&store, "flinks", Some("http://127.0.0.1:8377"), "a").unwrap();
        for bad in [
            "http://api.flanks.io",
            "ftp://x",
            "https://",
            "https://a b",
            "https://x?y=1",
            "http://127.0.0.1.evil.com",
            "https://user@host",
        ] {
            assert!(
                set_base_url(&store, "flanks", Some(bad), "a").is_err(),
                "{bad}"
            );
        }
        set_base_url(&store, "flanks", None, "a").unwrap();
        assert_eq!(get(&store, FLANKS_BASE_URL_SETTING).unwrap(), None);
    }
}

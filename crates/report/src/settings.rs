//! The settings a report reads: who prepared it (the advisor's name and firm), the paper size
//! and the language. Non-secret, in the settings table like the other preferences.

pub use advisor_desk_core::settings::ADVISOR_NAME_SETTING;
use advisor_desk_core::settings::UI_LOCALE_SETTING;
use advisor_desk_core::{CoreError, Store};

use crate::i18n::Lang;

pub const ADVISOR_FIRM_SETTING: &str = "advisor.firm";
/// `a4` (the default) or `letter`.
pub const PAPER_SETTING: &str = "report.paper";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    A4,
    Letter,
}

impl Paper {
    pub fn parse(s: &str) -> Option<Paper> {
        match s.trim().to_ascii_lowercase().as_str() {
            "a4" => Some(Paper::A4),
            "letter" => Some(Paper::Letter),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Paper::A4 => "a4",
            Paper::Letter => "letter",
        }
    }

    /// Width and height in PDF points (1/72 in).
    pub fn size(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.28, 841.89),
            Paper::Letter => (612.0, 792.0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSettings {
    pub advisor_name: Option<String>,
    pub firm: Option<String>,
    pub paper: Paper,
    pub lang: Lang,
}

impl ReportSettings {
    /// From the settings table: the interface language unless `lang` is given.
    pub fn load(store: &Store, lang: Option<Lang>) -> Result<ReportSettings, CoreError> {
        let text = |k: &str| -> Result<Option<String>, CoreError> {
            Ok(advisor_desk_core::settings::get(store, k)?
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty()))
        };
        Ok(ReportSettings {
            advisor_name: text(ADVISOR_NAME_SETTING)?,
            firm: text(ADVISOR_FIRM_SETTING)?,
            paper: text(PAPER_SETTING)?
                .as_deref()
                .and_then(Paper::parse)
                .unwrap_or(Paper::A4),
            lang: match lang {
                Some(l) => l,
                None => text(UI_LOCALE_SETTING)?
                    .as_deref()
                    .and_then(Lang::parse)
                    .unwrap_or(Lang::En),
            },
        })
    }
}

/// What the advisor edits in Settings → Report: who signs the cover, the paper, and the base
/// currency of the totals.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct ReportProfile {
    #[serde(default)]
    pub advisor_name: Option<String>,
    #[serde(default)]
    pub firm: Option<String>,
    pub paper: Paper,
    pub base_currency: String,
}

/// Longest advisor or firm name accepted.
pub const MAX_SIGNATURE_LEN: usize = 200;

fn signature(label: &str, v: &Option<String>) -> Result<String, CoreError> {
    let v = v.as_deref().unwrap_or("").trim();
    if v.chars().count() > MAX_SIGNATURE_LEN || v.chars().any(char::is_control) {
        return Err(CoreError::invalid(format!(
            "the {label} can be at most {MAX_SIGNATURE_LEN} characters, without control characters"
        )));
    }
    Ok(v.to_string())
}

pub fn load_profile(store: &Store) -> Result<ReportProfile, CoreError> {
    let s = ReportSettings::load(store, None)?;
    Ok(ReportProfile {
        advisor_name: s.advisor_name,
        firm: s.firm,
        paper: s.paper,
        base_currency: advisor_desk_core::rates::base_currency(store)?.to_string(),
    })
}

/// Validates and saves the profile (an empty name or firm clears it); audited with the keys
/// it changed, not their values.
pub fn save_profile(
    store: &Store,
    p: &ReportProfile,
    actor: &str,
) -> Result<ReportProfile, CoreError> {
    let name = signature("advisor's name", &p.advisor_name)?;
    let firm = signature("firm's name", &p.firm)?;
    advisor_desk_core::rates::set_base_currency(store, &p.base_currency, actor)?;
    for (key, value) in [
        (ADVISOR_NAME_SETTING, name.as_str()),
        (ADVISOR_FIRM_SETTING, firm.as_str()),
        (PAPER_SETTING, p.paper.as_str()),
    ] {
        advisor_desk_core::settings::set(store, key, value)?;
    }
    store.audit(&advisor_desk_core::store::NewAuditEntry {
        actor,
        client_id: None,
        connection_id: None,
        action: "settings.report",
        detail: "advisor.name, advisor.firm, report.paper",
    })?;
    load_profile(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_is_validated_saved_and_read_back() {
        let store = Store::open_in_memory().unwrap();
        let p = load_profile(&store).unwrap();
        assert_eq!(
            (p.paper, p.base_currency.as_str(), p.advisor_name),
            (Paper::A4, "EUR", None)
        );
        let saved = save_profile(
            &store,
            &ReportProfile {
                advisor_name: Some(" Marta Gil ".into()),
                firm: Some(String::new()),
                paper: Paper::Letter,
                base_currency: "cad".into(),
            },
            "test",
        )
        .unwrap();
        assert_eq!(saved.advisor_name.as_deref(), Some("Marta Gil"));
        assert_eq!(saved.firm, None);
        assert_eq!(
            (saved.paper, saved.base_currency.as_str()),
            (Paper::Letter, "CAD")
        );
        let bad = ReportProfile {
            advisor_name: Some("A\u{7}B".into()),
            ..saved.clone()
        };
        assert_eq!(
            save_profile(&store, &bad, "test").unwrap_err().code(),
            advisor_desk_core::ErrorCode::InvalidInput
        );
        assert_eq!(load_profile(&store).unwrap(), saved);
        let bad_currency = ReportProfile {
            base_currency: "euros".into(),
            ..saved.clone()
        };
        assert!(save_profile(&store, &bad_currency, "test").is_err());
        assert_eq!(load_profile(&store).unwrap(), saved, "nothing half-saved");
    }
}

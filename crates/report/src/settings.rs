//! The settings a report reads: who prepared it (the advisor's name and firm), the paper size
//! and the language. Non-secret, in the settings table like the other preferences.

use advisor_desk_core::settings::UI_LOCALE_SETTING;
use advisor_desk_core::{CoreError, Store};

use crate::i18n::Lang;

pub const ADVISOR_NAME_SETTING: &str = "advisor.name";
pub const ADVISOR_FIRM_SETTING: &str = "advisor.firm";
/// `a4` (the default) or `letter`.
pub const PAPER_SETTING: &str = "report.paper";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
            Ok(store
                .setting(k)?
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

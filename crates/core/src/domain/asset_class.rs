//! Asset classes used for allocation, and the mapping from each provider's product types.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetClass {
    Cash,
    Equity,
    FixedIncome,
    Fund,
    Pension,
    Crypto,
    Derivative,
    Mixed,
    Other,
}

impl AssetClass {
    pub fn as_str(self) -> &'static str {
        match self {
            AssetClass::Cash => "cash",
            AssetClass::Equity => "equity",
            AssetClass::FixedIncome => "fixed_income",
            AssetClass::Fund => "fund",
            AssetClass::Pension => "pension",
            AssetClass::Crypto => "crypto",
            AssetClass::Derivative => "derivative",
            AssetClass::Mixed => "mixed",
            AssetClass::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "cash" => AssetClass::Cash,
            "equity" => AssetClass::Equity,
            "fixed_income" => AssetClass::FixedIncome,
            "fund" => AssetClass::Fund,
            "pension" => AssetClass::Pension,
            "crypto" => AssetClass::Crypto,
            "derivative" => AssetClass::Derivative,
            "mixed" => AssetClass::Mixed,
            "other" => AssetClass::Other,
            _ => return None,
        })
    }

    /// Flanks portfolio and investment type codes (providers.md: M, UM, F, S, CFD, PP, FI, C,
    /// ETF, L, O, DV, BP, AEP, MIX for portfolios; F, VI, PP, FI, C, ETF, CFD, L, O, DV, BP, AEP
    /// for investments). Unknown codes are `Other`, never an error.
    pub fn from_flanks_type(code: &str) -> AssetClass {
        match code.trim().to_ascii_uppercase().as_str() {
            // Equities: securities account (M: "mercado"), shares (VI), sub-markets.
            "M" | "UM" | "VI" | "S" => AssetClass::Equity,
            "F" | "ETF" => AssetClass::Fund,
            "PP" | "AEP" | "BP" => AssetClass::Pension,
            "FI" => AssetClass::FixedIncome,
            "C" => AssetClass::Crypto,
            "CFD" | "DV" => AssetClass::Derivative,
            "L" => AssetClass::Cash,
            "MIX" => AssetClass::Mixed,
            _ => AssetClass::Other,
        }
    }
}

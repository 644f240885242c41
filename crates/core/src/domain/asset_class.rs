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
    /// Bank products: deposits, certificates of deposit (Flanks `BP`, `CD`).
    BankProduct,
    /// Alternative and emerging products: private equity, real assets (Flanks `AEP`, `PE`, `RA`).
    Alternative,
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
            AssetClass::BankProduct => "bank_product",
            AssetClass::Alternative => "alternative",
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
            "bank_product" => AssetClass::BankProduct,
            "alternative" => AssetClass::Alternative,
            "mixed" => AssetClass::Mixed,
            "other" => AssetClass::Other,
            _ => return None,
        })
    }

    /// Flanks portfolio and investment type codes, per the provider's "Data types" table.
    /// `M` / `UM` (managed / unmanaged portfolios) can hold any kind of asset, so they are
    /// `Mixed`, not equities; `S` holds variable income (`VI`). Unknown codes are `None`: the
    /// caller files them as `Other` and counts the oddity, never a guessed class.
    pub fn from_flanks_code(code: &str) -> Option<AssetClass> {
        Some(match code.trim().to_ascii_uppercase().as_str() {
            "VI" | "S" => AssetClass::Equity,
            "F" | "ETF" => AssetClass::Fund,
            "PP" => AssetClass::Pension,
            "FI" => AssetClass::FixedIncome,
            "C" => AssetClass::Crypto,
            // CFDs, derivatives, and the derivative subtypes: forex option, option, futures,
            // warrants, commodities, forex forwards.
            "CFD" | "DV" | "FOP" | "OP" | "FT" | "W" | "COM" | "FF" => AssetClass::Derivative,
            "BP" | "CD" => AssetClass::BankProduct,
            "AEP" | "PE" | "RA" => AssetClass::Alternative,
            "L" => AssetClass::Cash,
            "M" | "UM" | "MIX" => AssetClass::Mixed,
            "O" => AssetClass::Other,
            _ => return None,
        })
    }

    /// [`from_flanks_code`](Self::from_flanks_code), an unknown code filed as `Other`.
    pub fn from_flanks_type(code: &str) -> AssetClass {
        Self::from_flanks_code(code).unwrap_or(AssetClass::Other)
    }
}

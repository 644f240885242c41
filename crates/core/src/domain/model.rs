//! One model for both providers. Money is always [`Money`]; provider ids are kept as given;
//! full account identifiers (IBAN, account number) live only in memory for dedupe and are
//! stored masked.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{AssetClass, DecodeNotes};
use crate::money::Money;
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Flanks,
    Flinks,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Flanks => "flanks",
            Provider::Flinks => "flinks",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "flanks" => Some(Provider::Flanks),
            "flinks" => Some(Provider::Flinks),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Institution {
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Current,
    Savings,
    /// A securities portfolio whose positions are holdings.
    Portfolio,
    /// A registered investment or retirement account (TFSA, RRSP, …).
    Investment,
    CreditCard,
    Loan,
    Other,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Current => "current",
            AccountKind::Savings => "savings",
            AccountKind::Portfolio => "portfolio",
            AccountKind::Investment => "investment",
            AccountKind::CreditCard => "credit_card",
            AccountKind::Loan => "loan",
            AccountKind::Other => "other",
        }
    }
}

/// An account. `balance` is signed from the client's point of view: debt is negative.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub provider_id: String,
    pub kind: AccountKind,
    pub name: String,
    /// Full IBAN or account number, used only to compute the dedupe key; never stored.
    pub identifier: Option<String>,
    pub balance: Money,
    pub available: Option<Money>,
    pub asset_class: Option<AssetClass>,
    pub owners: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    pub provider_id: String,
    /// Provider id of the account (portfolio) holding it, when known.
    pub account_ref: Option<String>,
    pub name: String,
    pub isin: Option<String>,
    pub asset_class: AssetClass,
    pub units: Option<Decimal>,
    pub value: Money,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    pub provider_id: String,
    /// Provider id of the account it belongs to.
    pub account_ref: String,
    pub booking_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    /// Signed: money in is positive, money out negative.
    pub amount: Money,
    pub balance_after: Option<Money>,
    pub description: String,
    pub category: Option<String>,
    pub counterparty: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiabilityKind {
    Loan,
    Credit,
    Other,
}

impl LiabilityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LiabilityKind::Loan => "loan",
            LiabilityKind::Credit => "credit",
            LiabilityKind::Other => "other",
        }
    }
}

/// A liability. `outstanding` is the amount owed, positive.
#[derive(Debug, Clone, PartialEq)]
pub struct Liability {
    pub provider_id: String,
    pub kind: LiabilityKind,
    pub name: String,
    pub outstanding: Money,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub provider_id: String,
    pub name: String,
    pub pan_masked: Option<String>,
    pub balance: Option<Money>,
}

/// Which parts of a snapshot were actually fetched. A part that was not fetched (an errored
/// product, an endpoint skipped) leaves the stored rows of that kind untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SnapshotParts {
    pub accounts: bool,
    pub transactions: bool,
    pub holdings: bool,
    pub liabilities: bool,
    pub cards: bool,
}

impl SnapshotParts {
    pub fn all() -> Self {
        SnapshotParts {
            accounts: true,
            transactions: true,
            holdings: true,
            liabilities: true,
            cards: true,
        }
    }
}

/// Everything one connection returned in one sync.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub institution: Institution,
    pub accounts: Vec<Account>,
    pub holdings: Vec<Holding>,
    pub transactions: Vec<Transaction>,
    pub liabilities: Vec<Liability>,
    pub cards: Vec<Card>,
    pub parts: SnapshotParts,
    /// The provider's own "data as of" time, when it says.
    pub data_as_of: Option<Timestamp>,
    /// Records that could not be decoded or normalised and were skipped (with why), and the
    /// odd fields worked around in the records that were kept.
    pub notes: DecodeNotes,
}

impl Snapshot {
    /// How many records were dropped.
    pub fn skipped(&self) -> u32 {
        self.notes.skipped_total()
    }
}

/// Masks an IBAN or account number to its last four characters: `••••1234`.
pub fn mask_identifier(id: &str) -> String {
    let clean: Vec<char> = id.chars().filter(|c| !c.is_whitespace()).collect();
    let tail: String = clean[clean.len().saturating_sub(4)..].iter().collect();
    format!("••••{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_masked_to_the_last_four() {
        assert_eq!(mask_identifier("ES91 2100 0418 4502 0005 1332"), "••••1332");
        assert_eq!(mask_identifier("12"), "••••12");
    }
}

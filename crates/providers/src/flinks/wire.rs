//! Flinks JSON as it arrives: PascalCase, nearly every field nullable.

use serde::Deserialize;
use serde_json::Value;

type Raw = Option<Value>;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BalanceWire {
    pub available: Raw,
    pub current: Raw,
    pub limit: Raw,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HolderWire {
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactionWire {
    pub id: Raw,
    pub date: Option<String>,
    pub description: Option<String>,
    pub debit: Raw,
    pub credit: Raw,
    pub balance: Raw,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountWire {
    pub id: Raw,
    pub title: Option<String>,
    pub account_number: Option<String>,
    pub last_four_digits: Option<String>,
    pub transit_number: Option<String>,
    pub institution_number: Option<String>,
    pub category: Option<String>,
    pub r#type: Option<String>,
    pub currency: Option<String>,
    pub balance: Option<BalanceWire>,
    pub holder: Option<HolderWire>,
    /// Kept raw: each transaction is decoded on its own, so one odd one is skipped alone.
    pub transactions: Option<Vec<Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoginWire {
    pub last_refresh: Option<String>,
}

//! Flinks JSON as it arrives: PascalCase, nearly every field nullable.

use serde::Deserialize;
use serde_json::Value;

type Raw = Option<Value>;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactionWire {
    pub id: Raw,
    pub date: Raw,
    pub description: Raw,
    pub debit: Raw,
    pub credit: Raw,
    pub balance: Raw,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountWire {
    pub id: Raw,
    pub title: Raw,
    pub account_number: Raw,
    pub last_four_digits: Raw,
    pub transit_number: Raw,
    pub institution_number: Raw,
    pub category: Raw,
    pub r#type: Raw,
    pub currency: Raw,
    /// `{Available, Current, Limit}`, or in looser answers a plain amount: read raw.
    pub balance: Raw,
    /// `{Name, Address, …}`, or in looser answers the name as plain text: read raw.
    pub holder: Raw,
    /// Kept raw: each transaction is decoded on its own, so one odd one is skipped alone.
    pub transactions: Option<Vec<Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoginWire {
    pub last_refresh: Raw,
}

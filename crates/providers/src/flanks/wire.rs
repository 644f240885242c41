//! Flanks JSON as it arrives. Every field is optional; numbers and ids are kept as raw JSON
//! values and read with [`crate::lenient`], so a number sent as text (or the reverse) is no
//! reason to drop a record.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

type Raw = Option<Value>;

#[derive(Debug, Deserialize)]
pub struct TokenWire {
    pub access_token: Option<String>,
    pub expires_in: Raw,
}

#[derive(Debug, Default, Deserialize)]
pub struct ProductFlags {
    #[serde(default)]
    pub product: BTreeMap<String, Value>,
    /// `transaction` in one doc version, `transactions` in another.
    #[serde(default, alias = "transactions")]
    pub transaction: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
pub struct StatusWire {
    pub pending: Raw,
    pub blocked: Raw,
    pub reset_token: Option<String>,
    pub sca_token: Option<String>,
    pub transaction_token: Option<String>,
    pub name: Option<String>,
    pub last_update: Option<String>,
    pub time: Option<String>,
    pub last_update_timestamp: Raw,
    pub created_at_timestamp: Raw,
    pub last_transaction_date: Option<String>,
    pub errored: Option<ProductFlags>,
    pub created: Option<ProductFlags>,
}

#[derive(Debug, Deserialize)]
pub struct AccountWire {
    pub _id: Raw,
    pub iban: Option<String>,
    pub entity: Option<String>,
    pub alias: Option<String>,
    pub balance: Raw,
    #[serde(alias = "available_balance")]
    pub available: Raw,
    pub currency: Option<String>,
    pub description: Option<String>,
    #[serde(alias = "account_type", alias = "accountType")]
    pub r#type: Option<String>,
    pub owners: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize)]
pub struct TransferWire {
    pub payer: Option<String>,
    #[serde(alias = "ibanPayer")]
    pub iban_payer: Option<String>,
    pub beneficiary: Option<String>,
    #[serde(alias = "ibanBeneficiary")]
    pub iban_beneficiary: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AccountTxnWire {
    pub _id: Raw,
    pub account_id: Raw,
    pub amount: Raw,
    pub balance: Raw,
    pub currency: Option<String>,
    #[serde(alias = "operationDate")]
    pub operation_date: Option<String>,
    #[serde(alias = "valueDate")]
    pub value_date: Option<String>,
    pub description: Option<String>,
    #[serde(alias = "productDescription")]
    pub product_description: Option<String>,
    pub category: Option<Value>,
    pub transfer: Option<TransferWire>,
}

#[derive(Debug, Deserialize)]
pub struct PortfolioWire {
    pub _id: Raw,
    pub name: Option<String>,
    pub r#type: Option<String>,
    pub currency: Option<String>,
    #[serde(alias = "refValores")]
    pub ref_valores: Option<String>,
    #[serde(alias = "refAccount")]
    pub ref_account: Option<String>,
    pub owners: Option<Vec<Value>>,
    pub balance: Raw,
    pub entity: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct InvestmentWire {
    pub _id: Raw,
    pub name: Option<String>,
    pub isin: Option<String>,
    pub portfolio_id: Raw,
    /// Units (providers.md: a guess).
    pub amount: Raw,
    /// Market value.
    pub balance: Raw,
    pub currency: Option<String>,
    pub r#type: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LiabilityWire {
    pub _id: Raw,
    pub name: Option<String>,
    pub description: Option<String>,
    pub r#type: Option<String>,
    pub balance: Raw,
    #[serde(alias = "pending_amount", alias = "debt")]
    pub outstanding: Raw,
    pub currency: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CardWire {
    pub _id: Raw,
    pub card_id: Raw,
    pub pan: Option<String>,
    pub name: Option<String>,
    pub alias: Option<String>,
    pub balance: Raw,
    pub currency: Option<String>,
}

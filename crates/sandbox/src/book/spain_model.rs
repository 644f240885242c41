//! The Flanks product shapes the Aggregation API answers (field names from providers.md;
//! the ones it marks [guess] say so).

use serde::Serialize;

use super::money::Amount;

/// A holder. [guess] shape of `holder` items and of the `auth` object.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub name: String,
    pub document_id: String,
    pub email: String,
    pub phone: String,
    pub address: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub _id: String,
    pub iban: String,
    pub entity: String,
    pub alias: String,
    pub balance: Amount,
    pub currency: &'static str,
    pub description: String,
    #[serde(rename = "isOwner")]
    pub is_owner: bool,
    #[serde(rename = "numOwners")]
    pub num_owners: u32,
    pub owners: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Transfer {
    pub payer: String,
    #[serde(rename = "ibanPayer")]
    pub iban_payer: String,
    pub beneficiary: String,
    #[serde(rename = "ibanBeneficiary")]
    pub iban_beneficiary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountTransaction {
    pub _id: String,
    pub account_id: String,
    pub amount: Amount,
    pub balance: Amount,
    pub currency: &'static str,
    #[serde(rename = "operationDate")]
    pub operation_date: String,
    #[serde(rename = "valueDate")]
    pub value_date: String,
    pub description: String,
    #[serde(rename = "productDescription")]
    pub product_description: String,
    pub category: &'static str,
    #[serde(rename = "cardNumber", skip_serializing_if = "Option::is_none")]
    pub card_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Transfer>,
}

/// [guess] beyond `card_id` and `pan`.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub card_id: String,
    pub pan: String,
    pub name: String,
    pub account_id: String,
    pub currency: &'static str,
    pub entity: String,
}

/// [guess] shape.
#[derive(Debug, Clone, Serialize)]
pub struct CardTransaction {
    pub _id: String,
    pub card_id: String,
    pub amount: Amount,
    pub currency: &'static str,
    #[serde(rename = "operationDate")]
    pub operation_date: String,
    pub description: String,
    pub category: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Portfolio {
    pub _id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_type: Option<&'static str>,
    pub currency: &'static str,
    #[serde(rename = "refValores", skip_serializing_if = "Option::is_none")]
    pub ref_valores: Option<String>,
    #[serde(rename = "refAccount", skip_serializing_if = "Option::is_none")]
    pub ref_account: Option<String>,
    #[serde(rename = "refAccounts", skip_serializing_if = "Vec::is_empty")]
    pub ref_accounts: Vec<String>,
    pub owners: Vec<String>,
    pub balance: Amount,
    pub entity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub updated_at_timestamp: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Investment {
    pub _id: String,
    pub name: String,
    pub isin: String,
    pub portfolio_id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Units held. [guess] that `amount` means units.
    pub amount: f64,
    pub balance: Amount,
    pub currency: &'static str,
    /// Last price in cents; not emitted (not in the docs), used by the daily refresh.
    #[serde(skip)]
    pub price_cents: i64,
}

/// [guess] shape of `investment/transaction` items.
#[derive(Debug, Clone, Serialize)]
pub struct InvestmentTransaction {
    pub _id: String,
    pub investment_id: String,
    pub portfolio_id: String,
    pub isin: String,
    pub name: String,
    pub operation: &'static str,
    pub units: f64,
    pub price: Amount,
    pub amount: Amount,
    pub currency: &'static str,
    #[serde(rename = "operationDate")]
    pub operation_date: String,
    #[serde(rename = "valueDate")]
    pub value_date: String,
}

/// [guess] shape beyond the type names `Credit` / `Loan`.
#[derive(Debug, Clone, Serialize)]
pub struct Liability {
    pub _id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub currency: &'static str,
    /// Outstanding principal, positive.
    pub balance: Amount,
    pub initial_amount: Amount,
    pub interest_rate: f64,
    pub start_date: String,
    pub end_date: String,
    pub owners: Vec<String>,
    pub entity: String,
}

/// [guess] shape.
#[derive(Debug, Clone, Serialize)]
pub struct LiabilityTransaction {
    pub _id: String,
    pub liability_id: String,
    pub amount: Amount,
    pub principal: Amount,
    pub interest: Amount,
    pub balance: Amount,
    pub currency: &'static str,
    #[serde(rename = "operationDate")]
    pub operation_date: String,
    pub description: String,
}

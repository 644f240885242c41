//! A saved provider answer run through exactly the decoder and normaliser the sync uses, for
//! `advisor-desk-cli provider decode`: "why does this account look wrong?" answered from a
//! captured answer. Secrets in an answer (tokens, loginIds) are never repeated: only whether
//! one was there.

mod flanks;
mod flinks;

use std::collections::BTreeMap;

use advisor_desk_core::domain::{DecodeNotes, Oddity, Provider, ProviderFailure, Snapshot};
use serde::Serialize;
use serde_json::Value;

use crate::http::RawResponse;

/// Why an answer could not be decoded at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("the file is not JSON: {0}")]
    NotJson(String),
    #[error("unknown {provider} endpoint {endpoint:?}; known: {known}")]
    UnknownEndpoint {
        provider: &'static str,
        endpoint: String,
        known: String,
    },
}

/// What the answer meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Records (accounts, transactions, holdings, a list).
    Data,
    /// An access or authorize token, or an authorization (Flinks 200).
    Authorized,
    /// The client must answer a challenge (Flinks 203, Flanks Pending SCA).
    MfaRequired,
    /// Not ready yet: poll again (Flinks 202, Flanks pending / delayed code).
    Pending,
    /// A credential usable as it is (Flanks status, nothing pending).
    Ready,
    /// A credential the client must log in again to (Flanks Blocked).
    Blocked,
    /// A deletion or a setting accepted.
    Done,
    /// An error answer, classified as the sync classifies it.
    Failure,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureView {
    pub kind: &'static str,
    pub actor: &'static str,
    pub code: Option<String>,
    pub message: Option<String>,
}

impl From<&ProviderFailure> for FailureView {
    fn from(f: &ProviderFailure) -> Self {
        FailureView {
            kind: f.kind.as_str(),
            actor: f.actor().as_str(),
            code: f.provider_code.clone(),
            message: f.provider_message.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoneyView {
    /// A decimal string, exact: `"-120.50"`.
    pub amount: String,
    pub currency: String,
}

impl From<advisor_desk_core::money::Money> for MoneyView {
    fn from(m: advisor_desk_core::money::Money) -> Self {
        MoneyView {
            amount: m.to_decimal().to_string(),
            currency: m.currency.as_str().to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountView {
    pub id: String,
    pub kind: &'static str,
    pub name: String,
    pub balance: MoneyView,
    pub owners: Vec<String>,
    pub asset_class: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionView {
    pub id: String,
    pub account_id: String,
    pub date: String,
    pub amount: MoneyView,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoldingView {
    pub id: String,
    pub account_id: Option<String>,
    pub name: String,
    pub isin: Option<String>,
    pub asset_class: &'static str,
    pub units: Option<String>,
    pub value: MoneyView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedView {
    pub record: String,
    pub reason: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OddityView {
    pub class: &'static str,
    pub count: u32,
}

/// The decoded answer, under stable snake_case names (the `--json` output).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecodeReport {
    pub provider: &'static str,
    pub endpoint: String,
    pub status: u16,
    pub outcome: Outcome,
    pub failure: Option<FailureView>,
    pub accounts: Vec<AccountView>,
    pub transactions: Vec<TransactionView>,
    pub holdings: Vec<HoldingView>,
    /// The endpoint's own fields (`last_update`, `last_refresh`, `request_id`, …).
    #[serde(flatten)]
    pub fields: BTreeMap<String, Value>,
    pub skipped: Vec<SkippedView>,
    pub oddities: Vec<OddityView>,
}

impl DecodeReport {
    fn new(provider: Provider, endpoint: &str, status: u16, outcome: Outcome) -> Self {
        DecodeReport {
            provider: provider.as_str(),
            endpoint: endpoint.to_string(),
            status,
            outcome,
            failure: None,
            accounts: Vec::new(),
            transactions: Vec::new(),
            holdings: Vec::new(),
            fields: BTreeMap::new(),
            skipped: Vec::new(),
            oddities: Vec::new(),
        }
    }

    fn failed(provider: Provider, endpoint: &str, status: u16, f: &ProviderFailure) -> Self {
        let mut r = Self::new(provider, endpoint, status, Outcome::Failure);
        r.failure = Some(f.into());
        r
    }

    fn field(&mut self, name: &str, value: impl Into<Value>) {
        self.fields.insert(name.to_string(), value.into());
    }

    fn optional<T: Into<Value>>(&mut self, name: &str, value: Option<T>) {
        self.field(name, value.map(Into::into).unwrap_or(Value::Null));
    }

    /// Records of a normalised snapshot, and its notes.
    fn add_snapshot(&mut self, snap: Snapshot) {
        self.accounts = snap
            .accounts
            .into_iter()
            .map(|a| AccountView {
                id: a.provider_id,
                kind: a.kind.as_str(),
                name: a.name,
                balance: a.balance.into(),
                owners: a.owners,
                asset_class: a.asset_class.map(|c| c.as_str()),
            })
            .collect();
        self.transactions = snap
            .transactions
            .into_iter()
            .map(|t| TransactionView {
                id: t.provider_id,
                account_id: t.account_ref,
                date: t.booking_date.to_string(),
                amount: t.amount.into(),
                description: t.description,
            })
            .collect();
        self.holdings = snap
            .holdings
            .into_iter()
            .map(|h| HoldingView {
                id: h.provider_id,
                account_id: h.account_ref,
                name: h.name,
                isin: h.isin,
                asset_class: h.asset_class.as_str(),
                units: h.units.map(|u| u.to_string()),
                value: h.value.into(),
            })
            .collect();
        if let Some(t) = snap.data_as_of {
            self.field("data_as_of", t.to_rfc3339());
        }
        self.add_notes(snap.notes);
    }

    fn add_notes(&mut self, notes: DecodeNotes) {
        self.skipped
            .extend(notes.skipped.into_iter().map(|(k, count)| {
                let (record, reason) = k.split_once(": ").unwrap_or((k.as_str(), ""));
                SkippedView {
                    record: record.to_string(),
                    reason: reason.to_string(),
                    count,
                }
            }));
        self.oddities
            .extend(notes.oddities.into_iter().map(|(o, count)| OddityView {
                class: Oddity::as_str(o),
                count,
            }));
    }
}

/// Decodes a saved answer of `provider`'s `endpoint` (named as documented: Flanks the path
/// after `/v0/` or `/connect/v2/`, Flinks the BankingServices name) answered with `status`.
pub fn decode(
    provider: Provider,
    endpoint: &str,
    status: u16,
    body: &[u8],
) -> Result<DecodeReport, DecodeError> {
    serde_json::from_slice::<Value>(body).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    let resp = RawResponse {
        status,
        body: body.to_vec(),
        request_id: None,
        retry_after: None,
    };
    match provider {
        Provider::Flanks => flanks::decode(endpoint, &resp),
        Provider::Flinks => flinks::decode(endpoint, &resp),
    }
}

fn unknown(provider: Provider, endpoint: &str, known: &[&str]) -> DecodeError {
    DecodeError::UnknownEndpoint {
        provider: provider.as_str(),
        endpoint: endpoint.to_string(),
        known: known.join(", "),
    }
}

//! Flanks JSON → the core domain model.

use advisor_desk_core::domain::{
    Account, AccountKind, AssetClass, Card, DecodeNotes, Holding, Institution, Liability,
    LiabilityKind, Oddity, Snapshot, SnapshotParts, Transaction,
};
use serde_json::Value;

use super::wire::{
    AccountTxnWire, AccountWire, CardWire, InvestmentWire, LiabilityWire, PortfolioWire,
};
use crate::lenient::{self, decode_records};

/// The raw answers of one sync; `None` = that endpoint was not fetched.
#[derive(Debug, Default)]
pub struct FlanksRaw {
    pub bank: Option<String>,
    pub data_as_of: Option<chrono::DateTime<chrono::Utc>>,
    pub accounts: Option<Value>,
    pub transactions: Option<Value>,
    pub portfolios: Option<Value>,
    pub investments: Option<Value>,
    pub liabilities: Option<Value>,
    pub cards: Option<Value>,
}

fn owners(v: &Option<Vec<Value>>) -> Vec<String> {
    v.iter()
        .flatten()
        .filter_map(|o| match o {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Object(m) => m.get("name").and_then(Value::as_str).map(str::to_string),
            _ => None,
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Flanks account types (`cashAccount`, `safekeepingAccount`, `nostroAccount`,
/// `vostroAccount`, `other`); the account endpoint lists bank accounts, so no type is a cash
/// account. An unknown type is `Other`, noted.
fn account_kind(t: Option<&str>, notes: &mut DecodeNotes) -> AccountKind {
    match t.map(str::to_ascii_lowercase).as_deref() {
        Some("cashaccount") | Some("cash_account") | Some("current") | None => AccountKind::Current,
        // Correspondent accounts between banks: current accounts held for another bank.
        Some("nostroaccount") | Some("vostroaccount") => AccountKind::Current,
        Some("savings") => AccountKind::Savings,
        Some("safekeepingaccount") => AccountKind::Portfolio,
        Some("other") => AccountKind::Other,
        Some(_) => {
            notes.odd(Oddity::UnknownCode);
            AccountKind::Other
        }
    }
}

/// A product or investment type code per the data-types table; an unknown one is `Other`,
/// noted, never a guessed class.
fn asset_class(code: &str, notes: &mut DecodeNotes) -> AssetClass {
    AssetClass::from_flanks_code(code).unwrap_or_else(|| {
        notes.odd(Oddity::UnknownCode);
        AssetClass::Other
    })
}

pub fn normalise(raw: FlanksRaw) -> Snapshot {
    let mut notes = DecodeNotes::default();
    let mut snap = Snapshot {
        institution: Institution {
            id: raw.bank.clone(),
            name: raw.bank.clone(),
        },
        data_as_of: raw.data_as_of,
        parts: SnapshotParts {
            accounts: raw.accounts.is_some() && raw.portfolios.is_some(),
            transactions: raw.transactions.is_some(),
            holdings: raw.investments.is_some(),
            liabilities: raw.liabilities.is_some(),
            cards: raw.cards.is_some(),
        },
        ..Default::default()
    };
    // IBAN → account id, for transactions that point at the IBAN instead of the id.
    let mut iban_to_id = std::collections::HashMap::new();

    if let Some(v) = raw.accounts {
        for a in decode_records::<AccountWire>(v, "flanks account", &mut notes) {
            let (Some(id), Some(balance)) = (
                lenient::text(&a._id),
                lenient::money(&a.balance, a.currency.as_deref()),
            ) else {
                notes.skip("flanks account", "no _id or readable balance");
                continue;
            };
            if let Some(iban) = &a.iban {
                iban_to_id.insert(iban.replace(' ', "").to_ascii_uppercase(), id.clone());
            }
            let name = a
                .alias
                .clone()
                .or(a.description.clone())
                .unwrap_or_else(|| "Account".into());
            snap.accounts.push(Account {
                provider_id: id,
                kind: account_kind(a.r#type.as_deref(), &mut notes),
                name,
                identifier: a.iban.clone(),
                balance,
                available: lenient::money(&a.available, a.currency.as_deref()),
                asset_class: None,
                owners: owners(&a.owners),
            });
        }
    }

    let mut portfolio_class = std::collections::HashMap::new();
    if let Some(v) = raw.portfolios {
        for p in decode_records::<PortfolioWire>(v, "flanks portfolio", &mut notes) {
            let (Some(id), Some(balance)) = (
                lenient::text(&p._id),
                lenient::money(&p.balance, p.currency.as_deref()),
            ) else {
                notes.skip("flanks portfolio", "no _id or readable balance");
                continue;
            };
            let class = match p.r#type.as_deref() {
                Some(code) => asset_class(code, &mut notes),
                None => {
                    notes.odd(Oddity::MissingClassification);
                    AssetClass::Other
                }
            };
            portfolio_class.insert(id.clone(), class);
            snap.accounts.push(Account {
                provider_id: id,
                kind: AccountKind::Portfolio,
                name: p.name.clone().unwrap_or_else(|| "Portfolio".into()),
                identifier: p.ref_valores.clone(),
                balance,
                available: None,
                asset_class: Some(class),
                owners: owners(&p.owners),
            });
        }
    }

    if let Some(v) = raw.investments {
        for i in decode_records::<InvestmentWire>(v, "flanks investment", &mut notes) {
            let (Some(id), Some(value)) = (
                lenient::text(&i._id),
                lenient::money(&i.balance, i.currency.as_deref()),
            ) else {
                notes.skip("flanks investment", "no _id or readable balance");
                continue;
            };
            let portfolio = lenient::text(&i.portfolio_id);
            let class = i
                .r#type
                .as_deref()
                .map(|code| asset_class(code, &mut notes))
                .or_else(|| {
                    portfolio
                        .as_ref()
                        .and_then(|p| portfolio_class.get(p).copied())
                })
                .unwrap_or(AssetClass::Other);
            snap.holdings.push(Holding {
                provider_id: id,
                account_ref: portfolio,
                name: i.name.clone().unwrap_or_else(|| "Investment".into()),
                isin: i.isin.clone().filter(|s| !s.trim().is_empty()),
                asset_class: class,
                units: lenient::decimal(&i.amount),
                value,
            });
        }
    }

    if let Some(v) = raw.transactions {
        for t in decode_records::<AccountTxnWire>(v, "flanks transaction", &mut notes) {
            let account_ref = lenient::text(&t.account_id).map(|a| {
                iban_to_id
                    .get(&a.replace(' ', "").to_ascii_uppercase())
                    .cloned()
                    .unwrap_or(a)
            });
            let value_date = lenient::date_noting(t.value_date.as_deref(), &mut notes);
            let date = lenient::date_noting(t.operation_date.as_deref(), &mut notes).or(value_date);
            let (Some(id), Some(account_ref), Some(date), Some(amount)) = (
                lenient::text(&t._id),
                account_ref,
                date,
                lenient::money(&t.amount, t.currency.as_deref()),
            ) else {
                notes.skip("flanks transaction", "no _id, account, date or amount");
                continue;
            };
            let counterparty = t.transfer.as_ref().and_then(|tr| {
                if amount.minor < 0 {
                    tr.beneficiary.clone()
                } else {
                    tr.payer.clone()
                }
            });
            let category = match &t.category {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(Value::Object(o)) => o.get("name").and_then(Value::as_str).map(str::to_string),
                _ => None,
            };
            snap.transactions.push(Transaction {
                provider_id: id,
                account_ref,
                booking_date: date,
                value_date,
                amount,
                balance_after: lenient::money(&t.balance, t.currency.as_deref()),
                description: t
                    .description
                    .clone()
                    .or(t.product_description.clone())
                    .unwrap_or_default(),
                category,
                counterparty,
            });
        }
    }

    if let Some(v) = raw.liabilities {
        for l in decode_records::<LiabilityWire>(v, "flanks liability", &mut notes) {
            let amount = lenient::money(&l.outstanding, l.currency.as_deref())
                .or_else(|| lenient::money(&l.balance, l.currency.as_deref()));
            let (Some(id), Some(mut amount)) = (lenient::text(&l._id), amount) else {
                notes.skip("flanks liability", "no _id or readable amount");
                continue;
            };
            // Outstanding debt is positive, whichever sign the provider used.
            amount.minor = amount.minor.abs();
            let kind = match l.r#type.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("loan") => LiabilityKind::Loan,
                Some("credit") => LiabilityKind::Credit,
                _ => LiabilityKind::Other,
            };
            snap.liabilities.push(Liability {
                provider_id: id,
                kind,
                name: l
                    .name
                    .clone()
                    .or(l.description.clone())
                    .unwrap_or_else(|| "Liability".into()),
                outstanding: amount,
            });
        }
    }

    if let Some(v) = raw.cards {
        for c in decode_records::<CardWire>(v, "flanks card", &mut notes) {
            let Some(id) = lenient::text(&c.card_id).or_else(|| lenient::text(&c._id)) else {
                notes.skip("flanks card", "no card_id or _id");
                continue;
            };
            snap.cards.push(Card {
                provider_id: id,
                name: c
                    .name
                    .clone()
                    .or(c.alias.clone())
                    .unwrap_or_else(|| "Card".into()),
                pan_masked: c.pan.as_deref().map(mask_pan),
                balance: lenient::money(&c.balance, c.currency.as_deref()),
            });
        }
    }
    snap.notes = notes;
    snap
}

/// Keeps a PAN masked even if the provider sent it in full: first 4 and last 4 only.
fn mask_pan(pan: &str) -> String {
    let digits: Vec<char> = pan.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() <= 8 {
        return digits.iter().collect();
    }
    let head: String = digits[..4].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(digits.len() - 8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fixture_from_providers_md_normalises_and_skips_the_odd_record() {
        let raw = FlanksRaw {
            bank: Some("testbank".into()),
            accounts: Some(json!([
                {"_id": "acc1", "iban": "ES91 2100 0418 4502 0005 1332", "entity": "testbank",
                 "alias": "Cuenta nómina", "balance": 1523.45, "currency": "EUR",
                 "description": "Cuenta", "isOwner": true, "numOwners": 2,
                 "owners": ["ANA RUIZ", "LUIS GIL"], "unknown_field": {"x": 1}},
                {"_id": "acc2", "balance": "not money", "currency": "EUR"}
            ])),
            transactions: Some(json!([
                {"_id": "t1", "account_id": "acc1", "amount": -12.5, "balance": 1523.45,
                 "currency": "EUR", "operationDate": "2026-03-01", "valueDate": "2026-03-02",
                 "description": "CAFE", "productDescription": "Cuenta", "category": "food",
                 "transfer": {"payer": "ANA", "beneficiary": "CAFE SL"}},
                {"_id": "t2", "account_id": "ES9121000418450200051332", "amount": "1.000,00",
                 "currency": "EUR", "operationDate": "2026-03-03", "description": "NOMINA"},
                {"_id": "t3", "account_id": "acc1", "amount": 1, "currency": "EUR"}
            ])),
            portfolios: Some(json!([
                {"_id": "pf1", "name": "Valores", "type": "M", "currency": "EUR",
                 "refValores": "0049-0001-1234", "owners": ["ANA RUIZ"], "balance": 10000,
                 "entity": "testbank", "updated_at_timestamp": 1767225600}
            ])),
            investments: Some(json!([
                {"_id": "tokIE00B4L5Y983", "name": "iShares World", "isin": "IE00B4L5Y983",
                 "portfolio_id": "pf1", "amount": "12.345", "balance": 9000.1, "currency": "EUR"},
                {"_id": "tokX", "name": "Fondo", "isin": null, "portfolio_id": "pf1",
                 "balance": 999.9, "currency": "EUR", "type": "F"}
            ])),
            liabilities: Some(json!([
                {"_id": "l1", "type": "Loan", "balance": -150000, "currency": "EUR"}
            ])),
            cards: Some(json!([{"card_id": "c1", "pan": "4111111111111111"}])),
            ..Default::default()
        };
        let s = normalise(raw);
        assert_eq!(
            s.accounts.len(),
            2,
            "one odd account skipped, one portfolio"
        );
        assert_eq!(s.accounts[0].balance.minor, 152_345);
        assert_eq!(s.accounts[0].owners, vec!["ANA RUIZ", "LUIS GIL"]);
        assert_eq!(s.accounts[1].kind, AccountKind::Portfolio);
        assert_eq!(
            s.accounts[1].asset_class,
            Some(AssetClass::Mixed),
            "M can hold any asset"
        );
        assert_eq!(s.transactions.len(), 2);
        assert_eq!(s.transactions[0].amount.minor, -1250);
        assert_eq!(s.transactions[0].counterparty.as_deref(), Some("CAFE SL"));
        // Pointed at by IBAN, resolved to the account id; "1.000,00" read as 1000.
        assert_eq!(s.transactions[1].account_ref, "acc1");
        assert_eq!(s.transactions[1].amount.minor, 100_000);
        assert_eq!(s.holdings.len(), 2);
        assert_eq!(
            s.holdings[0].asset_class,
            AssetClass::Mixed,
            "from its portfolio"
        );
        assert_eq!(
            s.holdings[1].asset_class,
            AssetClass::Fund,
            "its own type wins"
        );
        assert_eq!(s.holdings[0].units.unwrap().to_string(), "12.345");
        assert_eq!(s.liabilities[0].outstanding.minor, 15_000_000);
        assert_eq!(s.cards[0].pan_masked.as_deref(), Some("4111********1111"));
        assert_eq!(s.skipped(), 2);
        assert_eq!(s.parts, SnapshotParts::all());
    }
}

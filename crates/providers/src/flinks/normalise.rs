//! Flinks GetAccountsDetail JSON → the core domain model.

use advisor_desk_core::domain::{
    Account, AccountKind, AssetClass, Institution, Snapshot, SnapshotParts, Transaction,
};
use advisor_desk_core::money::Money;
use serde_json::Value;

use super::wire::{AccountWire, LoginWire, TransactionWire};
use crate::lenient::{self, decode_records};

fn kind_of(category: Option<&str>, kind: Option<&str>) -> AccountKind {
    let kind = kind.unwrap_or("").to_ascii_lowercase();
    match category.unwrap_or("").to_ascii_lowercase().as_str() {
        "operations" if kind.contains("saving") => AccountKind::Savings,
        "operations" => AccountKind::Current,
        "credits" if kind.contains("credit") && kind.contains("card") => AccountKind::CreditCard,
        "credits" => AccountKind::Loan,
        "products" => AccountKind::Investment,
        _ if kind.contains("saving") => AccountKind::Savings,
        _ if kind.contains("chequing") || kind.contains("checking") => AccountKind::Current,
        _ => AccountKind::Other,
    }
}

pub fn normalise(detail: Value) -> Snapshot {
    let login: LoginWire = detail
        .get("Login")
        .cloned()
        .and_then(|l| serde_json::from_value(l).ok())
        .unwrap_or_default();
    let text = |k: &str| lenient::text(&detail.get(k).cloned());
    let mut snap = Snapshot {
        institution: Institution {
            id: text("InstitutionId").or_else(|| text("Institution")),
            name: text("InstitutionName").or_else(|| text("Institution")),
        },
        data_as_of: lenient::utc_datetime(login.last_refresh.as_deref()),
        parts: SnapshotParts {
            accounts: true,
            transactions: true,
            // Flinks (banking) has no holdings, liabilities or cards of its own: nothing
            // stored under those for a Flinks connection, so "fetched, empty" is true.
            holdings: true,
            liabilities: true,
            cards: true,
        },
        ..Default::default()
    };
    let accounts = detail.get("Accounts").cloned().unwrap_or(Value::Null);
    let decoded = decode_records::<AccountWire>(accounts, "flinks account");
    snap.skipped += decoded.skipped;
    for a in decoded.items {
        let kind = kind_of(a.category.as_deref(), a.r#type.as_deref());
        let balance = a.balance.unwrap_or_default();
        let current = lenient::money(&balance.current, a.currency.as_deref())
            .or_else(|| lenient::money(&balance.available, a.currency.as_deref()));
        let (Some(id), Some(mut balance_money)) = (lenient::text(&a.id), current) else {
            snap.skipped += 1;
            continue;
        };
        // Flinks reports what is owed on a credit as a positive Current: debt is negative here.
        let is_debt = matches!(kind, AccountKind::CreditCard | AccountKind::Loan);
        if is_debt {
            balance_money.minor = -balance_money.minor.abs();
        }
        let identifier = a.account_number.as_ref().map(|n| {
            [
                a.institution_number.as_deref(),
                a.transit_number.as_deref(),
                Some(n),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("-")
        });
        let currency = balance_money.currency;
        for t in a.transactions.iter().flatten() {
            match transaction(t, &id, currency) {
                Some(t) => snap.transactions.push(t),
                None => snap.skipped += 1,
            }
        }
        snap.accounts.push(Account {
            provider_id: id,
            kind,
            name: a
                .title
                .clone()
                .or(a.r#type.clone())
                .unwrap_or_else(|| "Account".into()),
            identifier: identifier.or(a.last_four_digits.clone()),
            balance: balance_money,
            available: lenient::money(&balance.available, a.currency.as_deref()),
            asset_class: (kind == AccountKind::Investment).then_some(AssetClass::Mixed),
            owners: a.holder.and_then(|h| h.name).into_iter().collect(),
        });
    }
    snap
}

fn transaction(
    v: &Value,
    account: &str,
    currency: advisor_desk_core::money::Currency,
) -> Option<Transaction> {
    let t: TransactionWire = serde_json::from_value(v.clone()).ok()?;
    let credit = lenient::decimal(&t.credit);
    let debit = lenient::decimal(&t.debit);
    if credit.is_none() && debit.is_none() {
        return None;
    }
    // Debit is money out, written positive by Flinks.
    let amount = credit.unwrap_or_default() - debit.unwrap_or_default().abs();
    Some(Transaction {
        provider_id: lenient::text(&t.id)?,
        account_ref: account.to_string(),
        booking_date: lenient::date(t.date.as_deref())?,
        value_date: None,
        amount: Money::from_decimal(amount, currency)?,
        balance_after: lenient::decimal(&t.balance).and_then(|b| Money::from_decimal(b, currency)),
        description: t.description.unwrap_or_default(),
        category: None,
        counterparty: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fixture_from_providers_md_normalises() {
        let detail = json!({
            "HttpStatusCode": 200, "RequestId": "r1", "Institution": "FlinksCapital",
            "InstitutionName": "Flinks Capital", "InstitutionId": 14,
            "Login": {"Id": "l", "Username": "Greatday", "IsScheduledRefresh": false,
                      "LastRefresh": "2026-03-01T10:20:30.1234567", "Type": "Personal"},
            "Accounts": [
                {"Id": "a1", "Title": "Chequing", "AccountNumber": "1111000", "LastFourDigits": null,
                 "TransitNumber": "77777", "InstitutionNumber": "777", "OverdraftLimit": 0,
                 "Category": "Operations", "Type": "Chequing", "Currency": "CAD",
                 "Balance": {"Available": 1500.5, "Current": 1500.5, "Limit": null},
                 "Holder": {"Name": "John Doe", "Address": {"City": "Montreal"}},
                 "AccountType": null,
                 "Transactions": [
                    {"Id": "t1", "Date": "2026-02-27", "Code": null, "Description": "Payroll",
                     "Debit": null, "Credit": 2000, "Balance": 1500.5},
                    {"Id": "t2", "Date": "2026-02-28", "Description": "Coffee",
                     "Debit": 4.75, "Credit": null, "Balance": 1495.75},
                    {"Id": "t3", "Date": "2026-02-28", "Description": "Neither"}
                 ]},
                {"Id": "a2", "Title": "Visa", "Category": "Credits", "Type": "CreditCard",
                 "Currency": "CAD", "Balance": {"Current": 250.0}},
                {"Id": "a3", "Title": "TFSA", "Category": "Products", "Type": "TFSA",
                 "Currency": "USD", "Balance": {"Current": "1000"}},
                {"Id": null, "Balance": {"Current": 1}}
            ]
        });
        let s = normalise(detail);
        assert_eq!(s.institution.name.as_deref(), Some("Flinks Capital"));
        assert_eq!(s.institution.id.as_deref(), Some("14"));
        assert!(s.data_as_of.is_some());
        assert_eq!(s.accounts.len(), 3);
        assert_eq!(s.accounts[0].kind, AccountKind::Current);
        assert_eq!(s.accounts[0].owners, vec!["John Doe"]);
        assert_eq!(s.accounts[1].kind, AccountKind::CreditCard);
        assert_eq!(s.accounts[1].balance.minor, -25_000);
        assert_eq!(s.accounts[2].balance.currency.as_str(), "USD");
        assert_eq!(s.transactions.len(), 2);
        assert_eq!(s.transactions[0].amount.minor, 200_000);
        assert_eq!(s.transactions[1].amount.minor, -475);
        assert_eq!(
            s.skipped, 2,
            "one transaction without amounts, one account without id"
        );
    }
}

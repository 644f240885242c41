//! Flinks GetAccountsDetail JSON → the core domain model. Real answers are looser than the
//! reference (providers.md): an odd field never drops or mis-files its record; what cannot be
//! read is left unknown and each oddity is noted.

use advisor_desk_core::domain::{
    Account, AccountKind, AssetClass, DecodeNotes, Institution, Oddity, Snapshot, SnapshotParts,
    Transaction,
};
use advisor_desk_core::money::{Currency, Money};
use serde_json::Value;

use super::wire::{AccountWire, LoginWire, TransactionWire};
use crate::lenient::{self, decode_records};

const ACCOUNT: &str = "flinks account";
const TRANSACTION: &str = "flinks transaction";

fn lower(v: &Option<Value>) -> Option<String> {
    lenient::text(v).map(|s| s.to_ascii_lowercase())
}

/// A kind read from words a bank uses (a Type such as "Chequing" or "TFSA", or a Title).
fn kind_from_words(words: &str) -> Option<AccountKind> {
    let w = words.to_ascii_lowercase();
    let has = |k: &[&str]| k.iter().any(|k| w.contains(k));
    Some(
        if has(&["creditcard", "credit card", "visa", "mastercard", "amex"]) {
            AccountKind::CreditCard
        } else if has(&[
            "line of credit",
            "lineofcredit",
            "loan",
            "mortgage",
            "heloc",
        ]) {
            AccountKind::Loan
        } else if has(&["saving"]) {
            AccountKind::Savings
        } else if has(&["chequing", "checking", "cheque"]) {
            AccountKind::Current
        } else if has(&["tfsa", "rrsp", "resp", "rrif", "lira", "fhsa", "investment"]) {
            AccountKind::Investment
        } else {
            return None;
        },
    )
}

/// A card number masked the way banks show them (`************1234`, `XXXX XXXX XXXX 1234`).
fn looks_like_masked_card(number: &str) -> bool {
    let chars: Vec<char> = number.chars().filter(|c| !c.is_whitespace()).collect();
    let masked = chars.iter().any(|c| matches!(c, '*' | 'x' | 'X' | '•'));
    let tail_digits = chars
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .count();
    masked && (15..=16).contains(&chars.len()) && tail_digits >= 4
}

/// The account's kind from the documented Category and Type. When the Category is missing
/// or not one of the four documented, the kind is inferred from what is there (Type, Title,
/// a masked card number) and the oddity noted; when nothing tells, it is `Other` (unknown).
fn kind_of(a: &AccountWire, notes: &mut DecodeNotes) -> AccountKind {
    let ty = lower(&a.r#type).unwrap_or_default();
    match lower(&a.category).as_deref() {
        Some("operations") if ty.contains("saving") => return AccountKind::Savings,
        Some("operations") => return AccountKind::Current,
        Some("credits") if kind_from_words(&ty) == Some(AccountKind::CreditCard) => {
            return AccountKind::CreditCard
        }
        Some("credits") => return AccountKind::Loan,
        Some("products") => return AccountKind::Investment,
        Some("other") => {
            return kind_from_words(&ty).unwrap_or(AccountKind::Other);
        }
        _ => notes.odd(Oddity::MissingClassification),
    }
    let masked_card = [&a.account_number, &a.last_four_digits]
        .into_iter()
        .filter_map(lenient::text)
        .any(|n| looks_like_masked_card(&n));
    kind_from_words(&ty)
        .or_else(|| lenient::text(&a.title).and_then(|t| kind_from_words(&t)))
        .or(masked_card.then_some(AccountKind::CreditCard))
        .unwrap_or(AccountKind::Other)
}

/// `Balance`: `{Current, Available}` as documented, or a plain amount (noted). Current wins.
fn balances(
    a: &AccountWire,
    currency: Currency,
    notes: &mut DecodeNotes,
) -> (Option<Money>, Option<Money>) {
    let money = |v: Option<&Value>| {
        lenient::decimal(&v.cloned()).and_then(|d| Money::from_decimal(d, currency))
    };
    match lenient::object_or_text(a.balance.as_ref(), notes) {
        (Some(b), _) => {
            let available = money(b.get("Available"));
            (money(b.get("Current")).or(available), available)
        }
        (None, Some(amount)) => (money(Some(&Value::String(amount))), None),
        (None, None) => {
            notes.odd(Oddity::AbsentObject);
            (None, None)
        }
    }
}

/// `Holder`: `{Name, …}` as documented, or the name as plain text (noted).
fn holder_name(a: &AccountWire, notes: &mut DecodeNotes) -> Option<String> {
    match lenient::object_or_text(a.holder.as_ref(), notes) {
        (Some(h), _) => lenient::text(&h.get("Name").cloned()),
        (None, text) => text,
    }
}

pub fn normalise(detail: Value) -> Snapshot {
    let mut notes = DecodeNotes::default();
    let login: Option<LoginWire> = match detail.get("Login") {
        Some(l @ Value::Object(_)) => serde_json::from_value(l.clone()).ok(),
        _ => {
            notes.odd(Oddity::AbsentObject);
            None
        }
    };
    let last_refresh = login.and_then(|l| lenient::text(&l.last_refresh));
    let text = |k: &str| lenient::text(&detail.get(k).cloned());
    let mut snap = Snapshot {
        institution: Institution {
            id: text("InstitutionId").or_else(|| text("Institution")),
            name: text("InstitutionName").or_else(|| text("Institution")),
        },
        data_as_of: lenient::utc_datetime_noting(last_refresh.as_deref(), &mut notes),
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
    for a in decode_records::<AccountWire>(accounts, ACCOUNT, &mut notes) {
        if let Some(account) = account(&a, &mut snap.transactions, &mut notes) {
            snap.accounts.push(account);
        }
    }
    snap.notes = notes;
    snap
}

/// One account and its transactions (pushed onto `transactions`); `None` (noted) when it has
/// no id, currency or balance to stand on.
fn account(
    a: &AccountWire,
    transactions: &mut Vec<Transaction>,
    notes: &mut DecodeNotes,
) -> Option<Account> {
    let Some(id) = lenient::text(&a.id) else {
        notes.skip(ACCOUNT, "no Id");
        return None;
    };
    let Some(currency) = lenient::text(&a.currency).and_then(|c| Currency::parse(&c)) else {
        notes.skip(ACCOUNT, "no readable Currency");
        return None;
    };
    let kind = kind_of(a, notes);
    let (current, available) = balances(a, currency, notes);
    let Some(mut balance) = current else {
        notes.skip(ACCOUNT, "no readable Balance");
        return None;
    };
    // Flinks reports what is owed on a credit as a positive Current: debt is negative here.
    if matches!(kind, AccountKind::CreditCard | AccountKind::Loan) {
        balance.minor = -balance.minor.abs();
    }
    let number = lenient::text(&a.account_number);
    let identifier = number.as_ref().map(|n| {
        [
            lenient::text(&a.institution_number),
            lenient::text(&a.transit_number),
            Some(n.clone()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("-")
    });
    for t in a.transactions.iter().flatten() {
        match transaction(t, &id, currency, notes) {
            Ok(t) => transactions.push(t),
            Err(reason) => notes.skip(TRANSACTION, reason),
        }
    }
    Some(Account {
        provider_id: id,
        kind,
        name: lenient::text(&a.title)
            .or(lenient::text(&a.r#type))
            .unwrap_or_else(|| "Account".into()),
        identifier: identifier.or(lenient::text(&a.last_four_digits)),
        balance,
        available,
        asset_class: (kind == AccountKind::Investment).then_some(AssetClass::Mixed),
        owners: holder_name(a, notes).into_iter().collect(),
    })
}

fn transaction(
    v: &Value,
    account: &str,
    currency: Currency,
    notes: &mut DecodeNotes,
) -> Result<Transaction, &'static str> {
    let t: TransactionWire = serde_json::from_value(v.clone()).map_err(|_| "not an object")?;
    let credit = lenient::decimal(&t.credit).filter(|d| !d.is_zero());
    let debit = lenient::decimal(&t.debit).filter(|d| !d.is_zero());
    let amount = match (credit, debit) {
        (None, None) => {
            // Both zero is a real zero-amount line; both absent is nothing to go on.
            let zero = [&t.credit, &t.debit]
                .into_iter()
                .any(|v| lenient::decimal(v).is_some());
            if !zero {
                return Err("neither Debit nor Credit");
            }
            rust_decimal::Decimal::ZERO
        }
        (Some(c), Some(d)) => {
            // Exclusive by the reference, both filled in practice: the net keeps both.
            notes.odd(Oddity::BothExclusive);
            c - d.abs()
        }
        // Debit is money out, written positive by Flinks.
        (c, d) => c.unwrap_or_default() - d.unwrap_or_default().abs(),
    };
    let id = lenient::text(&t.id).ok_or("no Id")?;
    let date = lenient::text(&t.date);
    let booking_date = lenient::date_noting(date.as_deref(), notes).ok_or("no readable Date")?;
    Ok(Transaction {
        provider_id: id,
        account_ref: account.to_string(),
        booking_date,
        value_date: None,
        amount: Money::from_decimal(amount, currency).ok_or("amount out of range")?,
        balance_after: lenient::decimal(&t.balance).and_then(|b| Money::from_decimal(b, currency)),
        description: lenient::text(&t.description).unwrap_or_default(),
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
            s.skipped(),
            2,
            "one transaction without amounts, one account without id"
        );
        assert_eq!(s.notes.skipped["flinks account: no Id"], 1);
        assert_eq!(
            s.notes.skipped["flinks transaction: neither Debit nor Credit"],
            1
        );
        assert_eq!(
            s.notes.oddities_total(),
            0,
            "the reference shape is not odd"
        );
    }

    /// Each class of looseness providers.md lists, in one answer: every record kept, what is
    /// unknown left unknown, each oddity counted.
    #[test]
    fn looser_answers_keep_every_record_and_count_each_oddity() {
        let detail = json!({
            "HttpStatusCode": 200, "RequestId": "r1", "Institution": "FlinksCapital",
            "Login": {"Id": "l", "LastRefresh": "0001-01-01T00:00:00"},
            "Accounts": [
                // Holder and Balance as plain text; no Category or Type, a card's masked number.
                {"Id": "a1", "Title": "Rewards", "AccountNumber": "************4242",
                 "Currency": "CAD", "Balance": "120.50", "Holder": "JANE ROE",
                 "Transactions": [
                    {"Id": "t1", "Date": "2026-02-27T00:00:00.0000000", "Description": "Both",
                     "Debit": 10, "Credit": 2.5, "Balance": 120.5},
                    {"Id": "t2", "Date": "0001-01-01", "Debit": 1}
                 ]},
                // Nothing tells what it is: kept as Other, never guessed.
                {"Id": "a2", "Title": "Account 7", "Currency": "CAD", "Balance": {"Current": 5}},
                // Category missing, Type known.
                {"Id": "a3", "Type": "TFSA", "Currency": "CAD", "Balance": {"Available": 9}}
            ]
        });
        let s = normalise(detail);
        let kinds: Vec<_> = s.accounts.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            [
                AccountKind::CreditCard,
                AccountKind::Other,
                AccountKind::Investment
            ]
        );
        assert_eq!(
            s.accounts[0].balance.minor, -12_050,
            "a card's balance is owed"
        );
        assert_eq!(s.accounts[0].owners, vec!["JANE ROE"]);
        assert_eq!(s.accounts[1].balance.minor, 500);
        assert_eq!(
            s.accounts[2].balance.minor, 900,
            "Available when no Current"
        );
        assert_eq!(s.data_as_of, None, "a sentinel LastRefresh means never");
        assert_eq!(s.transactions.len(), 1);
        assert_eq!(s.transactions[0].amount.minor, -750, "the net of both");
        let odd = |o: Oddity| s.notes.oddities.get(&o).copied().unwrap_or(0);
        assert_eq!(odd(Oddity::ObjectAsText), 2);
        assert_eq!(odd(Oddity::MissingClassification), 3);
        assert_eq!(odd(Oddity::SentinelDate), 2);
        assert_eq!(odd(Oddity::ExtraPrecision), 1);
        assert_eq!(odd(Oddity::BothExclusive), 1);
        assert_eq!(
            s.notes.skipped["flinks transaction: no readable Date"], 1,
            "a transaction with no date at all cannot be filed"
        );
    }

    #[test]
    fn an_absent_login_or_balance_is_noted() {
        let s = normalise(json!({"Accounts": [{"Id": "a", "Currency": "CAD"}]}));
        assert!(s.accounts.is_empty());
        assert_eq!(s.notes.oddities[&Oddity::AbsentObject], 2);
        assert_eq!(s.notes.skipped["flinks account: no readable Balance"], 1);
    }
}

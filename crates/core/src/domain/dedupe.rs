//! Stable dedupe keys and row-content hashes.
//!
//! A dedupe key names "the same thing" across syncs even when the provider reissues its ids:
//! accounts by their IBAN / account number, holdings by ISIN, transactions by their content
//! (date, amount, currency, description) plus an occurrence number that tells apart two
//! identical transactions on one day. Keys are SHA-256 prefixes, so an IBAN is never stored
//! in clear.

use sha2::{Digest, Sha256};

use super::model::{Account, Card, Holding, Liability, Transaction};

fn key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(&h.finalize()[..16])
}

/// Uppercase, no spaces or dashes: "es91 2100-0418" and "ES9121000418" are one account.
fn normalise_identifier(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Lowercase words separated by one space.
fn normalise_text(s: &str) -> String {
    s.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn account_key(a: &Account) -> String {
    match a.identifier.as_deref().map(normalise_identifier) {
        Some(id) if !id.is_empty() => key(&["acct", "number", &id]),
        _ => key(&["acct", "id", &a.provider_id]),
    }
}

pub fn holding_key(h: &Holding, account_key: Option<&str>) -> String {
    let scope = account_key.unwrap_or("");
    match h.isin.as_deref().map(normalise_identifier) {
        Some(isin) if !isin.is_empty() => key(&["hold", scope, "isin", &isin]),
        _ => key(&["hold", scope, "id", &h.provider_id]),
    }
}

/// The content part of a transaction's key; [`transaction_key`] adds the occurrence.
pub fn transaction_content(t: &Transaction) -> String {
    format!(
        "{}|{}|{}|{}",
        t.booking_date,
        t.amount.minor,
        t.amount.currency,
        normalise_text(&t.description)
    )
}

pub fn transaction_key(content: &str, occurrence: u32) -> String {
    key(&["txn", content, &occurrence.to_string()])
}

pub fn liability_key(l: &Liability) -> String {
    key(&["liab", &l.provider_id])
}

pub fn card_key(c: &Card) -> String {
    match c.pan_masked.as_deref() {
        Some(pan) if !pan.is_empty() => key(&["card", "pan", pan, &c.provider_id]),
        _ => key(&["card", "id", &c.provider_id]),
    }
}

/// FNV-1a, 64 bits: a stable, fast hash of a row's stored fields (not for security).
#[derive(Clone, Copy)]
pub struct RowHasher(u64);

impl Default for RowHasher {
    fn default() -> Self {
        RowHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl RowHasher {
    pub fn bytes(mut self, b: &[u8]) -> Self {
        for byte in b {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator so ("ab","c") and ("a","bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        self
    }

    pub fn str(self, s: &str) -> Self {
        self.bytes(s.as_bytes())
    }

    pub fn opt(self, s: Option<&str>) -> Self {
        match s {
            Some(s) => self.bytes(&[1]).str(s),
            None => self.bytes(&[0]),
        }
    }

    pub fn int(self, v: i64) -> Self {
        self.bytes(&v.to_le_bytes())
    }

    pub fn opt_int(self, v: Option<i64>) -> Self {
        match v {
            Some(v) => self.bytes(&[1]).int(v),
            None => self.bytes(&[0]),
        }
    }

    /// As SQLite's signed 64-bit integer.
    pub fn finish(self) -> i64 {
        self.0 as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::AccountKind;
    use crate::money::{Currency, Money};

    fn eur(minor: i64) -> Money {
        Money {
            minor,
            currency: Currency::parse("EUR").unwrap(),
        }
    }

    #[test]
    fn account_key_follows_the_iban_not_the_provider_id() {
        let a = Account {
            provider_id: "id-1".into(),
            kind: AccountKind::Current,
            name: "x".into(),
            identifier: Some("es91 2100-0418 4502".into()),
            balance: eur(1),
            available: None,
            asset_class: None,
            owners: vec![],
        };
        let mut b = a.clone();
        b.provider_id = "id-2-reissued".into();
        b.identifier = Some("ES9121000418 4502".into());
        assert_eq!(account_key(&a), account_key(&b));
        b.identifier = None;
        assert_ne!(account_key(&a), account_key(&b));
        assert!(!account_key(&a).contains("2100"));
    }

    #[test]
    fn transaction_key_ignores_ids_and_whitespace_but_not_occurrence() {
        let t = Transaction {
            provider_id: "t1".into(),
            account_ref: "a".into(),
            booking_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            value_date: None,
            amount: eur(-1250),
            balance_after: None,
            description: "Coffee  SHOP".into(),
            category: None,
            counterparty: None,
        };
        let mut u = t.clone();
        u.provider_id = "t1-new".into();
        u.description = "coffee shop".into();
        let (ct, cu) = (transaction_content(&t), transaction_content(&u));
        assert_eq!(transaction_key(&ct, 0), transaction_key(&cu, 0));
        assert_ne!(transaction_key(&ct, 0), transaction_key(&ct, 1));
    }

    #[test]
    fn row_hash_separates_fields() {
        let a = RowHasher::default().str("ab").str("c").finish();
        let b = RowHasher::default().str("a").str("bc").finish();
        assert_ne!(a, b);
        assert_ne!(
            RowHasher::default().opt(None).finish(),
            RowHasher::default().opt(Some("")).finish()
        );
    }
}

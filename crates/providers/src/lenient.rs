//! Lenient decoding, as providers.md asks: unknown fields ignored, every field nullable,
//! numbers accepted as JSON numbers or strings, one odd record skipped and counted.

use std::str::FromStr;

use advisor_desk_core::money::{Currency, Money};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Records decoded from a JSON array, and how many were skipped.
#[derive(Debug)]
pub struct Decoded<T> {
    pub items: Vec<T>,
    pub skipped: u32,
}

/// Decodes each element on its own: a bad element is skipped (and counted), never fatal.
/// Anything that is not an array counts as no records.
pub fn decode_records<T: DeserializeOwned>(value: Value, what: &str) -> Decoded<T> {
    let Value::Array(elements) = value else {
        return Decoded {
            items: Vec::new(),
            skipped: 0,
        };
    };
    let mut items = Vec::with_capacity(elements.len());
    let mut skipped = 0;
    for e in elements {
        match serde_json::from_value::<T>(e) {
            Ok(v) => items.push(v),
            Err(err) => {
                // Only the error's category and position: serde's text can quote a value.
                tracing::warn!(what, kind = ?err.classify(), column = err.column(), "skipped a record that could not be read");
                skipped += 1;
            }
        }
    }
    Decoded { items, skipped }
}

/// A number given as a JSON number or a string ("1234.56", "1.234,56", "-12,5").
pub fn decimal(v: &Option<Value>) -> Option<Decimal> {
    match v.as_ref()? {
        // Rust prints the shortest text that reads back as the same f64, so 1234.56 stays
        // 1234.56 instead of 1234.5599999….
        Value::Number(n) => n.as_i64().map(Decimal::from).or_else(|| {
            n.as_f64()
                .and_then(|f| Decimal::from_str(&f.to_string()).ok())
        }),
        Value::String(s) => parse_decimal_text(s),
        _ => None,
    }
}

fn parse_decimal_text(s: &str) -> Option<Decimal> {
    let s: String = s.trim().chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() {
        return None;
    }
    let normalised = match (s.rfind('.'), s.rfind(',')) {
        // "1.234,56": dots group thousands, the comma is the decimal mark.
        (Some(d), Some(c)) if c > d => s.replace('.', "").replace(',', "."),
        // "1,234.56"
        (Some(_), Some(_)) => s.replace(',', ""),
        (None, Some(_)) => s.replace(',', "."),
        _ => s,
    };
    Decimal::from_str(&normalised)
        .or_else(|_| Decimal::from_scientific(&normalised))
        .ok()
}

pub fn money(amount: &Option<Value>, currency: Option<&str>) -> Option<Money> {
    let currency = Currency::parse(currency?)?;
    Money::from_decimal(decimal(amount)?, currency)
}

/// "YYYY-MM-DD", or a date-time whose first ten characters are one.
pub fn date(v: Option<&str>) -> Option<NaiveDate> {
    let s = v?.trim();
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}

/// Flinks `LastRefresh`: UTC without an offset, up to 7 fraction digits.
pub fn utc_datetime(v: Option<&str>) -> Option<chrono::DateTime<Utc>> {
    let s = v?.trim().trim_end_matches('Z');
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v?.trim()) {
        return Some(t.with_timezone(&Utc));
    }
    // chrono reads at most 9 fraction digits; 7 are fine.
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| Utc.from_utc_datetime(&n))
}

/// An epoch timestamp in seconds or milliseconds.
pub fn epoch(v: &Option<Value>) -> Option<chrono::DateTime<Utc>> {
    let n = decimal(v)?;
    let secs = i64::try_from(n.trunc()).ok()?;
    let secs = if secs > 100_000_000_000 {
        secs / 1000
    } else {
        secs
    };
    Utc.timestamp_opt(secs, 0).single()
}

/// A value as text, whether the provider sent a string or a number.
pub fn text(v: &Option<Value>) -> Option<String> {
    match v.as_ref()? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_from_numbers_and_both_text_conventions() {
        let d = |v: Value| decimal(&Some(v)).map(|d| d.to_string());
        assert_eq!(d(json!(1234.56)).as_deref(), Some("1234.56"));
        assert_eq!(d(json!(-7)).as_deref(), Some("-7"));
        assert_eq!(d(json!("1.234,56")).as_deref(), Some("1234.56"));
        assert_eq!(d(json!("1,234.56")).as_deref(), Some("1234.56"));
        assert_eq!(d(json!("-12,5")).as_deref(), Some("-12.5"));
        assert_eq!(d(json!("abc")), None);
        assert_eq!(d(json!(null)), None);
    }

    #[test]
    fn one_bad_record_is_skipped_and_counted() {
        #[derive(serde::Deserialize)]
        struct R {
            #[allow(dead_code)]
            id: String,
        }
        let d: Decoded<R> =
            decode_records(json!([{"id": "a"}, {"id": 5}, {"id": "c", "x": 1}]), "r");
        assert_eq!((d.items.len(), d.skipped), (2, 1));
        let d: Decoded<R> = decode_records(json!({"not": "an array"}), "r");
        assert_eq!((d.items.len(), d.skipped), (0, 0));
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(
            date(Some("2026-03-01T00:00:00")),
            NaiveDate::from_ymd_opt(2026, 3, 1)
        );
        assert_eq!(date(Some("03/01/2026")), None);
        let t = utc_datetime(Some("2026-03-01T10:20:30.1234567")).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-01T10:20:30.123456700+00:00");
        assert!(epoch(&Some(json!(1767225600))).is_some());
        assert_eq!(
            epoch(&Some(json!(1767225600000i64))),
            epoch(&Some(json!(1767225600)))
        );
    }
}

//! Lenient decoding, as providers.md asks: unknown fields ignored, every field nullable,
//! numbers accepted as JSON numbers or strings, one odd record skipped and counted.

use std::str::FromStr;

use advisor_desk_core::domain::{DecodeNotes, Oddity};
use advisor_desk_core::money::{Currency, Money};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Decodes each element of a JSON array on its own: a bad element is skipped and noted with
/// its reason, never fatal. Anything that is not an array counts as no records.
pub fn decode_records<T: DeserializeOwned>(
    value: Value,
    what: &str,
    notes: &mut DecodeNotes,
) -> Vec<T> {
    let Value::Array(elements) = value else {
        return Vec::new();
    };
    let mut items = Vec::with_capacity(elements.len());
    for e in elements {
        match serde_json::from_value::<T>(e) {
            Ok(v) => items.push(v),
            Err(err) => {
                // Only the error's category and position: serde's text can quote a value.
                tracing::warn!(what, kind = ?err.classify(), column = err.column(), "skipped a record that could not be read");
                notes.skip(what, "unreadable record");
            }
        }
    }
    items
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

/// Years before this or after the next mean "never" (`0001-01-01`, `1900-01-01`,
/// `9999-12-31`): real answers use such sentinels where the reference shows null.
const FIRST_REAL_YEAR: i32 = 1901;
const LAST_REAL_YEAR: i32 = 9000;

fn is_sentinel(d: NaiveDate) -> bool {
    use chrono::Datelike;
    !(FIRST_REAL_YEAR..LAST_REAL_YEAR).contains(&d.year())
}

/// [`date`], noting what was odd: a sentinel is no date, a time on a date field is kept off.
pub fn date_noting(v: Option<&str>, notes: &mut DecodeNotes) -> Option<NaiveDate> {
    let d = date(v)?;
    if is_sentinel(d) {
        notes.odd(Oddity::SentinelDate);
        return None;
    }
    if v.is_some_and(|s| s.trim().len() > 10) {
        notes.odd(Oddity::ExtraPrecision);
    }
    Some(d)
}

/// [`utc_datetime`], a sentinel ("never") read as no time and noted.
pub fn utc_datetime_noting(
    v: Option<&str>,
    notes: &mut DecodeNotes,
) -> Option<chrono::DateTime<Utc>> {
    let t = utc_datetime(v)?;
    if is_sentinel(t.date_naive()) {
        notes.odd(Oddity::SentinelDate);
        return None;
    }
    Some(t)
}

/// A field documented as an object: the object, or `None` when absent. Plain text (or a
/// number) where the object belongs is noted and given back in `text` for the caller to use
/// as the object's main value.
pub fn object_or_text(
    v: Option<&Value>,
    notes: &mut DecodeNotes,
) -> (Option<serde_json::Map<String, Value>>, Option<String>) {
    match v {
        Some(Value::Object(m)) => (Some(m.clone()), None),
        Some(other @ (Value::String(_) | Value::Number(_))) => {
            notes.odd(Oddity::ObjectAsText);
            (None, text(&Some(other.clone())))
        }
        _ => (None, None),
    }
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
        let mut n = DecodeNotes::default();
        let d: Vec<R> = decode_records(
            json!([{"id": "a"}, {"id": 5}, {"id": "c", "x": 1}]),
            "r",
            &mut n,
        );
        assert_eq!((d.len(), n.skipped_total()), (2, 1));
        assert_eq!(n.skipped["r: unreadable record"], 1);
        let d: Vec<R> = decode_records(json!({"not": "an array"}), "r", &mut n);
        assert_eq!((d.len(), n.skipped_total()), (0, 1));
    }

    #[test]
    fn sentinels_are_no_date_and_extra_precision_is_noted() {
        let mut n = DecodeNotes::default();
        assert_eq!(date_noting(Some("0001-01-01T00:00:00"), &mut n), None);
        assert_eq!(date_noting(Some("9999-12-31"), &mut n), None);
        assert_eq!(
            date_noting(Some("2026-03-01T10:00:00"), &mut n),
            NaiveDate::from_ymd_opt(2026, 3, 1)
        );
        assert_eq!(
            date_noting(Some("2026-03-02"), &mut n),
            NaiveDate::from_ymd_opt(2026, 3, 2)
        );
        assert_eq!(
            utc_datetime_noting(Some("0001-01-01T00:00:00"), &mut n),
            None
        );
        assert_eq!(n.oddities[&Oddity::SentinelDate], 3);
        assert_eq!(n.oddities[&Oddity::ExtraPrecision], 1);
    }

    #[test]
    fn an_object_sent_as_text_is_noted_and_kept() {
        let mut n = DecodeNotes::default();
        let v = json!({"o": {"Name": "A"}, "t": "Jane Roe", "x": null});
        assert!(object_or_text(v.get("o"), &mut n).0.is_some());
        assert_eq!(
            object_or_text(v.get("t"), &mut n).1.as_deref(),
            Some("Jane Roe")
        );
        assert_eq!(object_or_text(v.get("x"), &mut n), (None, None));
        assert_eq!(n.oddities_total(), 1);
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

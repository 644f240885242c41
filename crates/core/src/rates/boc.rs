//! The Bank of Canada's Valet observations in their documented JSON: `seriesDetail` names
//! each series (`FXUSDCAD`: "USD/CAD", Canadian dollars per US dollar) and `observations`
//! holds one object per business day, `{"d": "YYYY-MM-DD", "FXUSDCAD": {"v": "1.3599"}, …}`.
//! The daily rates come as the group `FX_RATES_DAILY` (one series per currency) or as single
//! series; both have this shape. A series that is not `FX<CUR>CAD`, and a day on which a
//! series has no value (an empty `v` or none), is skipped: no figure is made up for it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use super::{feed_error, published, FeedError, RateSource, ReferenceRate};

pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// The group of every daily rate against the Canadian dollar.
pub const DAILY_GROUP: &str = "FX_RATES_DAILY";

#[derive(Deserialize)]
struct Document {
    #[serde(rename = "seriesDetail")]
    series_detail: BTreeMap<String, Value>,
    observations: Vec<BTreeMap<String, Value>>,
}

fn err(reason: impl Into<String>) -> FeedError {
    feed_error(RateSource::BankOfCanada, reason)
}

/// `FXUSDCAD` → `USD`.
fn currency_of(series: &str) -> Option<&str> {
    series
        .strip_prefix("FX")
        .and_then(|s| s.strip_suffix("CAD"))
        .filter(|c| c.len() == 3)
}

pub fn parse(json: &str) -> Result<Vec<ReferenceRate>, FeedError> {
    if json.len() > MAX_DOCUMENT_BYTES {
        return Err(err("the document is too large"));
    }
    let doc: Document = serde_json::from_str(json).map_err(|e| err(e.to_string()))?;
    let series: Vec<(&str, &str)> = doc
        .series_detail
        .keys()
        .filter_map(|s| currency_of(s).map(|c| (s.as_str(), c)))
        .collect();
    if series.is_empty() {
        return Err(err("no FX…CAD series in seriesDetail"));
    }
    let mut out = Vec::new();
    for o in &doc.observations {
        let d = o
            .get("d")
            .and_then(Value::as_str)
            .ok_or_else(|| err("an observation has no date \"d\""))?;
        let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| err(format!("\"{d}\" is not a date")))?;
        for (name, currency) in &series {
            let value = o
                .get(*name)
                .and_then(|v| v.get("v"))
                .and_then(Value::as_str);
            if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
                out.push(published(RateSource::BankOfCanada, date, currency, v)?);
            }
        }
    }
    if out.is_empty() {
        return Err(err("no observations"));
    }
    Ok(out)
}

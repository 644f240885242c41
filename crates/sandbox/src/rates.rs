//! The central banks' public rate feeds, in their documented formats, so sandbox mode never
//! calls the real banks:
//! - the ECB's euro reference rates, `GET /ecb/stats/eurofxref/eurofxref-daily.xml` (the
//!   last working day) and `…/eurofxref-hist-90d.xml` (the last 90 days, newest first);
//! - the Bank of Canada's Valet daily rates,
//!   `GET /boc/valet/observations/group/FX_RATES_DAILY/json` (`?recent=N`, default 10).
//!
//! Both describe one imaginary market read off the sandbox clock: each currency has a value
//! in US dollars that wobbles a little from day to day, the same for both banks, and nothing
//! is published on Saturdays and Sundays (as at the real banks).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::state::AppState;

/// Value in US dollars of one unit, and the decimals the banks print it with.
const MARKET: &[(&str, f64, &str)] = &[
    ("USD", 1.0, "US dollar"),
    ("EUR", 1.0850, "European euro"),
    ("CAD", 0.7370, "Canadian dollar"),
    ("GBP", 1.2880, "UK pound sterling"),
    ("JPY", 0.006_680, "Japanese yen"),
    ("CHF", 1.1290, "Swiss franc"),
    ("MXN", 0.058_900, "Mexican peso"),
    ("AUD", 0.6590, "Australian dollar"),
];

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/ecb/stats/eurofxref/eurofxref-daily.xml", get(ecb_daily))
        .route("/ecb/stats/eurofxref/eurofxref-hist-90d.xml", get(ecb_90d))
        .route(
            "/boc/valet/observations/group/FX_RATES_DAILY/json",
            get(valet_daily),
        )
}

/// Value in US dollars of one unit of `currency` on `day`: a small deterministic wobble.
fn usd_value(currency: &str, day: NaiveDate) -> Option<f64> {
    let (i, (_, base, _)) = MARKET.iter().enumerate().find(|(_, m)| m.0 == currency)?;
    if currency == "USD" {
        return Some(1.0);
    }
    let n = f64::from(day.num_days_from_ce());
    Some(base * (1.0 + 0.004 * (n / 7.0 + i as f64).sin()))
}

/// Working days up to and including `today`, newest first.
fn working_days(today: NaiveDate, count: usize) -> Vec<NaiveDate> {
    (0..)
        .map(|back| today - Duration::days(back))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .take(count)
        .collect()
}

/// Significant figures as the banks print them: more decimals for small values.
fn printed(v: f64) -> String {
    let decimals = if v >= 100.0 {
        2
    } else if v >= 0.1 {
        4
    } else {
        6
    };
    format!("{v:.decimals$}")
}

fn ecb_document(days: &[NaiveDate]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gesmes:Envelope \
         xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" \
         xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n\
         \t<gesmes:subject>Reference rates</gesmes:subject>\n\t<gesmes:Sender>\n\
         \t\t<gesmes:name>European Central Bank</gesmes:name>\n\t</gesmes:Sender>\n\t<Cube>\n",
    );
    for day in days {
        let _ = writeln!(xml, "\t\t<Cube time='{day}'>");
        let eur = usd_value("EUR", *day).unwrap_or(1.0);
        for (code, ..) in MARKET.iter().filter(|m| m.0 != "EUR") {
            if let Some(v) = usd_value(code, *day) {
                let _ = writeln!(
                    xml,
                    "\t\t\t<Cube currency='{code}' rate='{}'/>",
                    printed(eur / v)
                );
            }
        }
        xml.push_str("\t\t</Cube>\n");
    }
    xml.push_str("\t</Cube>\n</gesmes:Envelope>\n");
    xml
}

fn xml_response(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/xml; charset=UTF-8")], body)
}

async fn ecb_daily(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    xml_response(ecb_document(&working_days(
        state.clock.now().date_naive(),
        1,
    )))
}

async fn ecb_90d(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let today = state.clock.now().date_naive();
    let days: Vec<_> = working_days(today, 90)
        .into_iter()
        .filter(|d| today - *d < Duration::days(90))
        .collect();
    xml_response(ecb_document(&days))
}

#[derive(Deserialize)]
struct Recent {
    recent: Option<usize>,
}

async fn valet_daily(
    State(state): State<Arc<AppState>>,
    Query(q): Query<Recent>,
) -> impl IntoResponse {
    let count = q.recent.unwrap_or(10).clamp(1, 400);
    // Valet lists observations oldest first.
    let mut days = working_days(state.clock.now().date_naive(), count);
    days.reverse();
    let foreign: Vec<_> = MARKET.iter().filter(|m| m.0 != "CAD").collect();
    let mut series = Map::new();
    for (code, _, name) in &foreign {
        series.insert(
            format!("FX{code}CAD"),
            json!({
                "label": format!("{code}/CAD"),
                "description": format!("{name} to Canadian dollar daily exchange rate"),
                "dimension": {"key": "d", "name": "date"}
            }),
        );
    }
    let observations: Vec<Value> = days
        .iter()
        .map(|day| {
            let cad = usd_value("CAD", *day).unwrap_or(1.0);
            let mut o = Map::new();
            o.insert("d".into(), json!(day.to_string()));
            for (code, ..) in &foreign {
                if let Some(v) = usd_value(code, *day) {
                    o.insert(format!("FX{code}CAD"), json!({"v": printed(v / cad)}));
                }
            }
            Value::Object(o)
        })
        .collect();
    Json(json!({
        "groupDetail": {
            "name": "FX_RATES_DAILY",
            "label": "Daily exchange rates",
            "description": "Daily average exchange rates - published once each business day by 16:30 ET.",
            "link": null
        },
        "terms": {"url": "https://www.bankofcanada.ca/terms/"},
        "seriesDetail": series,
        "observations": observations
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rates_on_weekends_and_both_banks_agree() {
        let friday = NaiveDate::from_ymd_opt(2026, 3, 20).unwrap();
        let sunday = NaiveDate::from_ymd_opt(2026, 3, 22).unwrap();
        assert_eq!(
            working_days(sunday, 2),
            [friday, friday - Duration::days(1)]
        );
        let doc = ecb_document(&[friday]);
        assert!(doc.contains("<Cube time='2026-03-20'>"));
        assert!(doc.contains("currency='CAD'"));
        // EUR in CAD through the ECB (CAD per EUR) equals the Bank of Canada's EURCAD.
        let ecb_cad = usd_value("EUR", friday).unwrap() / usd_value("CAD", friday).unwrap();
        assert!((ecb_cad - 1.4722).abs() < 0.02, "{ecb_cad}");
    }
}

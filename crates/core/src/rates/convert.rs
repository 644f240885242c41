//! Amounts in many currencies to one total in the base currency, with the rate, date and
//! source of every converted figure, and an honest list of what could not be converted.

use chrono::NaiveDate;
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{RateSource, MAX_RATE_AGE_DAYS};
use crate::error::Result;
use crate::money::{Currency, Money};
use crate::store::queries::rates::read as queries;

/// The rate a figure was converted with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct AppliedRate {
    pub source: RateSource,
    /// Units of the base currency per unit of the amount's currency, rounded to 6 places for
    /// display (the conversion itself uses the published figures in full).
    #[cfg_attr(feature = "ipc-types", ts(type = "string"))]
    pub rate: Decimal,
    /// The publication date of the rate (the older one when crossing through the anchor).
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct ConvertedAmount {
    pub currency: String,
    /// The amount in its own currency, which always stays visible.
    pub amount_minor: i64,
    pub base_minor: i64,
    /// `None` when the amount already is in the base currency.
    pub rate: Option<AppliedRate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LeftOutReason {
    /// The source publishes no rate for this currency (or none was fetched yet).
    NoRate,
    /// The newest rate is older than [`MAX_RATE_AGE_DAYS`] before the valuation date.
    Stale { latest: NaiveDate },
    /// The base currency itself has no usable rate, so nothing else can be converted.
    NoBaseRate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct LeftOut {
    pub currency: String,
    pub amount_minor: i64,
    pub reason: LeftOutReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct BaseTotal {
    pub base: String,
    pub source: RateSource,
    pub valued_on: NaiveDate,
    /// Sum of `converted` only.
    pub total_minor: i64,
    /// True when something was left out: the total is then not the whole.
    pub partial: bool,
    pub converted: Vec<ConvertedAmount>,
    pub left_out: Vec<LeftOut>,
    /// The oldest rate date among the converted figures.
    pub oldest_rate_date: Option<NaiveDate>,
}

/// Value of one unit of `currency` in the source's anchor, with the rate's date (`None` for
/// the anchor itself, which needs no rate).
fn anchor_value(
    c: &Connection,
    source: RateSource,
    currency: &str,
    on: NaiveDate,
) -> Result<Result<(Decimal, Option<NaiveDate>), LeftOutReason>> {
    if currency == source.anchor() {
        return Ok(Ok((Decimal::ONE, None)));
    }
    let Some(r) = queries::latest_rate(c, source, currency, on)? else {
        return Ok(Err(LeftOutReason::NoRate));
    };
    if (on - r.date).num_days() > MAX_RATE_AGE_DAYS {
        return Ok(Err(LeftOutReason::Stale { latest: r.date }));
    }
    Ok(source
        .anchor_per_unit(r.rate)
        .map(|v| (v, Some(r.date)))
        .ok_or(LeftOutReason::NoRate))
}

/// Converts each `(currency, minor)` to `base` with the rates published on or before `on`.
pub fn convert_totals(
    c: &Connection,
    base: Currency,
    amounts: &[(String, i64)],
    on: NaiveDate,
) -> Result<BaseTotal> {
    let source = RateSource::for_base(base.as_str());
    let base_value = anchor_value(c, source, base.as_str(), on)?;
    let mut converted = Vec::new();
    let mut left_out = Vec::new();
    for (currency, minor) in amounts {
        if currency == base.as_str() {
            converted.push(ConvertedAmount {
                currency: currency.clone(),
                amount_minor: *minor,
                base_minor: *minor,
                rate: None,
            });
            continue;
        }
        let leave = |reason| LeftOut {
            currency: currency.clone(),
            amount_minor: *minor,
            reason,
        };
        let (base_unit, base_date) = match &base_value {
            Ok(v) => *v,
            Err(_) => {
                left_out.push(leave(LeftOutReason::NoBaseRate));
                continue;
            }
        };
        let (unit, date) = match anchor_value(c, source, currency, on)? {
            Ok(v) => v,
            Err(reason) => {
                left_out.push(leave(reason));
                continue;
            }
        };
        let own = Currency::parse(currency);
        let factor = unit.checked_div(base_unit);
        let amount = own.map(|cur| Decimal::new(*minor, cur.exponent()));
        let result = factor
            .zip(amount)
            .and_then(|(f, a)| a.checked_mul(f))
            .and_then(|v| Money::from_decimal(v, base));
        match (result, factor) {
            (Some(m), Some(f)) => converted.push(ConvertedAmount {
                currency: currency.clone(),
                amount_minor: *minor,
                base_minor: m.minor,
                rate: Some(AppliedRate {
                    source,
                    rate: f.round_dp(6).normalize(),
                    // Crossing uses two rates: the figure is as old as the older one.
                    date: [date, base_date].into_iter().flatten().min().unwrap_or(on),
                }),
            }),
            _ => left_out.push(leave(LeftOutReason::NoRate)),
        }
    }
    Ok(BaseTotal {
        base: base.to_string(),
        source,
        valued_on: on,
        total_minor: converted.iter().map(|c| c.base_minor).sum(),
        partial: !left_out.is_empty(),
        oldest_rate_date: converted
            .iter()
            .filter_map(|c| c.rate.as_ref().map(|r| r.date))
            .min(),
        converted,
        left_out,
    })
}

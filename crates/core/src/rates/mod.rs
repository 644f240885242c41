//! One total in the advisor's base currency, from the central banks' dated reference rates.
//!
//! Two public feeds: the ECB's euro foreign exchange reference rates (units of a currency per
//! euro) and the Bank of Canada's Valet daily exchange rates (Canadian dollars per unit of a
//! currency). A CAD base uses the Bank of Canada; every other base uses the ECB, crossing
//! through the euro (USD base: EUR → USD straight, GBP → EUR → USD). Rates are cached in
//! SQLite with their publication date (`store/queries/rates.rs`); the fetch itself is HTTP and
//! lives in `advisor_desk_providers::rates`.
//!
//! Conversion never guesses: a currency with no rate, or whose latest rate is older than
//! [`MAX_RATE_AGE_DAYS`] before the valuation date, is left out of the total, and the total
//! says it is partial and lists what it leaves out. Every converted figure carries its rate,
//! the rate's date and its source.

pub mod boc;
pub mod convert;
pub mod ecb;
mod total;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::money::Currency;
use crate::store::audit::NewAuditEntry;
use crate::store::queries::{rates as queries, settings as setting_rows};
use crate::store::Store;
use crate::time::Timestamp;

pub use convert::{
    convert_totals, AppliedRate, BaseTotal, ConvertedAmount, LeftOut, LeftOutReason,
};
pub use total::{base_total, base_total_of, net_worth_from, Subject};

/// Setting key of the advisor's base currency (an ISO 4217 code). Unset means EUR.
pub const BASE_CURRENCY_SETTING: &str = "money.base_currency";
pub const DEFAULT_BASE_CURRENCY: &str = "EUR";

/// A rate older than this many days before the valuation date is not used: both banks
/// publish every working day, so a week covers weekends and holidays but not a dead feed.
pub const MAX_RATE_AGE_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RateSource {
    /// The ECB's euro foreign exchange reference rates: units of the currency per 1 EUR.
    Ecb,
    /// The Bank of Canada's daily exchange rates: CAD per 1 unit of the currency.
    BankOfCanada,
}

impl RateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RateSource::Ecb => "ecb",
            RateSource::BankOfCanada => "bank_of_canada",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [RateSource::Ecb, RateSource::BankOfCanada]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    /// The currency every rate of this source is quoted against.
    pub fn anchor(self) -> &'static str {
        match self {
            RateSource::Ecb => "EUR",
            RateSource::BankOfCanada => "CAD",
        }
    }

    /// The source used for a base currency.
    pub fn for_base(base: &str) -> Self {
        if base == "CAD" {
            RateSource::BankOfCanada
        } else {
            RateSource::Ecb
        }
    }

    /// What the report and the screens print next to a converted figure.
    pub fn label(self) -> &'static str {
        match self {
            RateSource::Ecb => "ECB euro reference rates",
            RateSource::BankOfCanada => "Bank of Canada daily exchange rates",
        }
    }

    /// Value of one unit of `currency` in the anchor currency, from this source's published
    /// figure for it.
    pub fn anchor_per_unit(self, published: Decimal) -> Option<Decimal> {
        match self {
            RateSource::Ecb => Decimal::ONE.checked_div(published),
            RateSource::BankOfCanada => Some(published),
        }
    }
}

/// One published rate, exactly as the source printed it (see [`RateSource`] for its direction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceRate {
    pub source: RateSource,
    pub date: NaiveDate,
    pub currency: String,
    pub rate: Decimal,
}

/// A feed document that does not have the documented shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {feed} feed is not in its documented format: {reason}")]
pub struct FeedError {
    pub feed: &'static str,
    pub reason: String,
}

fn feed_error(source: RateSource, reason: impl Into<String>) -> FeedError {
    FeedError {
        feed: source.label(),
        reason: reason.into(),
    }
}

/// A published figure: a positive decimal, and a three-letter currency code.
fn published(
    source: RateSource,
    date: NaiveDate,
    currency: &str,
    rate: &str,
) -> Result<ReferenceRate, FeedError> {
    let code = Currency::parse(currency)
        .ok_or_else(|| feed_error(source, format!("\"{currency}\" is not a currency code")))?;
    let value: Decimal = rate
        .trim()
        .parse()
        .map_err(|_| feed_error(source, format!("\"{rate}\" is not a rate for {currency}")))?;
    if value <= Decimal::ZERO {
        return Err(feed_error(
            source,
            format!("the rate for {currency} is not positive"),
        ));
    }
    Ok(ReferenceRate {
        source,
        date,
        currency: code.to_string(),
        rate: value,
    })
}

/// The advisor's base currency (EUR unless set).
pub fn base_currency(store: &Store) -> Result<Currency> {
    let saved = crate::settings::get(store, BASE_CURRENCY_SETTING)?;
    saved
        .as_deref()
        .and_then(Currency::parse)
        .or_else(|| Currency::parse(DEFAULT_BASE_CURRENCY))
        .ok_or_else(|| CoreError::invalid("no base currency"))
}

/// Saves the base currency (audited with its value: a currency code is not a secret).
pub fn set_base_currency(store: &Store, code: &str, actor: &str) -> Result<Currency> {
    let currency = Currency::parse(code).ok_or_else(|| {
        CoreError::invalid(format!(
            "\"{code}\" is not a currency code (EUR, CAD, USD, …)"
        ))
    })?;
    store.write(|tx| {
        setting_rows::write::set(tx, BASE_CURRENCY_SETTING, &currency.to_string())?;
        crate::store::audit::append(
            tx,
            &NewAuditEntry {
                actor,
                client_id: None,
                connection_id: None,
                action: "settings.base_currency",
                detail: &currency.to_string(),
            },
        )
    })?;
    Ok(currency)
}

/// The last fetch of one feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRecord {
    pub last_attempt_at: Timestamp,
    pub last_success_at: Option<Timestamp>,
    pub last_outcome: String,
}

pub fn last_fetch(store: &Store, source: RateSource) -> Result<Option<FetchRecord>> {
    store.read(|c| queries::read::last_fetch(c, source))
}

/// Caches a feed's rates and records the successful fetch, together. Returns how many.
pub fn record_fetched(
    store: &Store,
    source: RateSource,
    rates: &[ReferenceRate],
    now: Timestamp,
) -> Result<usize> {
    store.write(|tx| {
        let n = queries::write::save_rates(tx, rates, now)?;
        queries::write::record_fetch(tx, source, now, true, &format!("fetched {n} rates"))?;
        Ok(n)
    })
}

/// Records a failed fetch; the cached rates stay as they were.
pub fn record_failed_fetch(
    store: &Store,
    source: RateSource,
    now: Timestamp,
    reason: &str,
) -> Result<()> {
    store.write(|tx| queries::write::record_fetch(tx, source, now, false, reason))
}

/// The newest publication date cached for a source.
pub fn newest_rate_date(store: &Store, source: RateSource) -> Result<Option<NaiveDate>> {
    store.read(|c| queries::read::newest_date(c, source))
}

#[cfg(test)]
mod tests;

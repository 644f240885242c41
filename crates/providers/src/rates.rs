//! Fetches the central banks' reference rates into the core's rate cache, at most once a day
//! per feed: the ECB's last 90 days of euro reference rates and the Bank of Canada's last
//! ten business days of daily rates. In sandbox mode both come from the embedded sandbox,
//! which serves the same documents under `/ecb/…` and `/boc/…`.
//!
//! A failed fetch is recorded and reported, never raised: the totals keep using the cached
//! rates (which say their date) or leave a currency out when they are too old. After a
//! failure the feed is tried again an hour later at the earliest.

use std::time::Duration;

use advisor_desk_core::rates::{self, boc, ecb, RateSource};
use advisor_desk_core::time::Timestamp;
use advisor_desk_core::{CoreError, Store};
use serde::Serialize;

pub const ECB_PRODUCTION_BASE: &str = "https://www.ecb.europa.eu";
pub const BOC_PRODUCTION_BASE: &str = "https://www.bankofcanada.ca";
const ECB_PATH: &str = "/stats/eurofxref/eurofxref-hist-90d.xml";
const BOC_PATH: &str = "/valet/observations/group/FX_RATES_DAILY/json?recent=10";

/// A successful fetch is good for a day; a failed one is retried after an hour.
pub const FETCH_EVERY: chrono::Duration = chrono::Duration::hours(24);
pub const RETRY_FAILED_AFTER: chrono::Duration = chrono::Duration::hours(1);
const TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RefreshOutcome {
    /// Fetched and cached this many rates.
    Fetched { rates: usize },
    /// Not due: fetched (or tried) recently.
    NotDue,
    /// The fetch failed; the cached rates stay.
    Failed { reason: String },
}

pub struct RateFeeds {
    http: reqwest::Client,
    ecb_url: String,
    boc_url: String,
}

impl RateFeeds {
    fn with_bases(ecb_base: &str, boc_base: &str) -> Result<Self, CoreError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| CoreError::invalid(format!("cannot build the rates client: {e}")))?;
        Ok(RateFeeds {
            http,
            ecb_url: format!("{}{ECB_PATH}", ecb_base.trim_end_matches('/')),
            boc_url: format!("{}{BOC_PATH}", boc_base.trim_end_matches('/')),
        })
    }

    /// The banks' public sites.
    pub fn production() -> Result<Self, CoreError> {
        Self::with_bases(ECB_PRODUCTION_BASE, BOC_PRODUCTION_BASE)
    }

    /// The embedded sandbox at `base` (its feeds live under `/ecb` and `/boc`).
    pub fn sandbox(base: &str) -> Result<Self, CoreError> {
        let base = base.trim_end_matches('/');
        Self::with_bases(&format!("{base}/ecb"), &format!("{base}/boc"))
    }

    pub fn url(&self, source: RateSource) -> &str {
        match source {
            RateSource::Ecb => &self.ecb_url,
            RateSource::BankOfCanada => &self.boc_url,
        }
    }

    /// Both feeds, each only when due.
    pub async fn refresh_due(
        &self,
        store: &Store,
        now: Timestamp,
    ) -> Vec<(RateSource, RefreshOutcome)> {
        let mut out = Vec::new();
        for source in [RateSource::Ecb, RateSource::BankOfCanada] {
            let outcome = match self.refresh(store, source, now).await {
                Ok(o) => o,
                Err(e) => RefreshOutcome::Failed {
                    reason: e.to_string(),
                },
            };
            out.push((source, outcome));
        }
        out
    }

    /// One feed, only when due. `Err` only when the local database fails.
    pub async fn refresh(
        &self,
        store: &Store,
        source: RateSource,
        now: Timestamp,
    ) -> Result<RefreshOutcome, CoreError> {
        if let Some(last) = rates::last_fetch(store, source)? {
            let fresh = last.last_success_at.is_some_and(|t| now - t < FETCH_EVERY);
            let failed_recently = last.last_success_at != Some(last.last_attempt_at)
                && now - last.last_attempt_at < RETRY_FAILED_AFTER;
            if fresh || failed_recently {
                return Ok(RefreshOutcome::NotDue);
            }
        }
        match self.download(source).await {
            Ok(parsed) => {
                let n = rates::record_fetched(store, source, &parsed, now)?;
                tracing::info!(
                    source = source.as_str(),
                    rates = n,
                    "reference rates fetched"
                );
                Ok(RefreshOutcome::Fetched { rates: n })
            }
            Err(reason) => {
                rates::record_failed_fetch(store, source, now, &reason)?;
                tracing::warn!(source = source.as_str(), %reason, "reference rates not fetched");
                Ok(RefreshOutcome::Failed { reason })
            }
        }
    }

    async fn download(&self, source: RateSource) -> Result<Vec<rates::ReferenceRate>, String> {
        let resp = self
            .http
            .get(self.url(source))
            .send()
            .await
            .map_err(|e| format!("{} unreachable: {}", source.label(), e.without_url()))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!(
                "{} answered HTTP {}",
                source.label(),
                status.as_u16()
            ));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > ecb::MAX_DOCUMENT_BYTES as u64)
        {
            return Err(format!(
                "{} sent a document too large to be a rate feed",
                source.label()
            ));
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| format!("{}: {}", source.label(), e.without_url()))?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| format!("{} sent a document that is not UTF-8", source.label()))?;
        let parsed = match source {
            RateSource::Ecb => ecb::parse(text),
            RateSource::BankOfCanada => boc::parse(text),
        };
        parsed.map_err(|e| e.to_string())
    }
}

//! The rates cache: the central banks' published rates with their dates
//! (`reference_rates`) and the last fetch of each feed (`rate_fetches`).

pub mod read {
    use chrono::NaiveDate;
    use rusqlite::{params, OptionalExtension};
    use rust_decimal::Decimal;

    use super::super::Db;
    use crate::error::Result;
    use crate::rates::{FetchRecord, RateSource, ReferenceRate};
    use crate::time;

    /// The newest rate of `currency` published on or before `day`.
    pub fn latest_rate(
        db: &Db,
        source: RateSource,
        currency: &str,
        day: NaiveDate,
    ) -> Result<Option<ReferenceRate>> {
        let row: Option<(String, String)> = db
            .prepare_cached(
                "SELECT rate_date, rate FROM reference_rates
                 WHERE source = ?1 AND currency = ?2 AND rate_date <= ?3
                 ORDER BY rate_date DESC LIMIT 1",
            )?
            .query_row(
                params![
                    source.as_str(),
                    currency,
                    day.format("%Y-%m-%d").to_string()
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.and_then(|(d, v)| {
            Some(ReferenceRate {
                source,
                date: NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()?,
                currency: currency.to_string(),
                rate: v.parse::<Decimal>().ok()?,
            })
        }))
    }

    /// The newest publication date cached for a source.
    pub fn newest_date(db: &Db, source: RateSource) -> Result<Option<NaiveDate>> {
        let d: Option<String> = db.query_row(
            "SELECT max(rate_date) FROM reference_rates WHERE source = ?1",
            [source.as_str()],
            |r| r.get(0),
        )?;
        Ok(d.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()))
    }

    pub fn last_fetch(db: &Db, source: RateSource) -> Result<Option<FetchRecord>> {
        Ok(db
            .query_row(
                "SELECT last_attempt_at, last_success_at, last_outcome FROM rate_fetches
                 WHERE source = ?1",
                [source.as_str()],
                |r| {
                    let attempt: String = r.get(0)?;
                    let success: Option<String> = r.get(1)?;
                    Ok((attempt, success, r.get::<_, String>(2)?))
                },
            )
            .optional()?
            .and_then(|(a, s, o)| {
                Some(FetchRecord {
                    last_attempt_at: time::from_db(&a)?,
                    last_success_at: s.as_deref().and_then(time::from_db),
                    last_outcome: o,
                })
            }))
    }
}

pub mod write {
    use rusqlite::params;

    use super::super::Tx;
    use crate::error::Result;
    use crate::rates::{RateSource, ReferenceRate};
    use crate::time::{self, Timestamp};

    /// Inserts the rates, replacing a figure the source republished for the same day.
    pub fn save_rates(
        tx: &Tx<'_>,
        rates: &[ReferenceRate],
        fetched_at: Timestamp,
    ) -> Result<usize> {
        let at = time::to_db(fetched_at);
        let mut stmt = tx.prepare_cached(
            "INSERT INTO reference_rates (source, currency, rate_date, rate, fetched_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (source, currency, rate_date)
             DO UPDATE SET rate = excluded.rate, fetched_at = excluded.fetched_at",
        )?;
        for r in rates {
            stmt.execute(params![
                r.source.as_str(),
                r.currency,
                r.date.format("%Y-%m-%d").to_string(),
                r.rate.to_string(),
                at
            ])?;
        }
        Ok(rates.len())
    }

    /// Records an attempt; `succeeded` also moves the last success.
    pub fn record_fetch(
        tx: &Tx<'_>,
        source: RateSource,
        at: Timestamp,
        succeeded: bool,
        outcome: &str,
    ) -> Result<()> {
        let at = time::to_db(at);
        tx.execute(
            "INSERT INTO rate_fetches (source, last_attempt_at, last_success_at, last_outcome)
             VALUES (?1, ?2, CASE WHEN ?3 THEN ?2 END, ?4)
             ON CONFLICT (source) DO UPDATE SET
                 last_attempt_at = excluded.last_attempt_at,
                 last_success_at = CASE WHEN ?3 THEN excluded.last_attempt_at
                                        ELSE rate_fetches.last_success_at END,
                 last_outcome = excluded.last_outcome",
            params![source.as_str(), at, succeeded, outcome],
        )?;
        Ok(())
    }
}

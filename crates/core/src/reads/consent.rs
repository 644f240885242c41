//! The consent forecast: when a bank will probably ask a Flanks connection's client for SCA
//! again, and how long ago a Flinks connection last had its client present.
//!
//! The provider's status carries no expiry date (providers.md, "Consent lifetime"): under
//! PSD2 a bank may ask for SCA again every 90 days, or every 180 days where it applies the
//! 2022 exemption. So the forecast counts from the last time the client completed SCA: the
//! connection's creation, or its newest SCA / reset reauthorization
//! (`connections.consent_renewed_at`). Days are counted in the calendar of the time zone the
//! caller passes (the advisor's), so "due in 3 days" turns at the advisor's midnight.

use chrono::{DateTime, Duration, TimeZone};
use serde::Serialize;

use crate::domain::Provider;
use crate::error::{CoreError, Result};
use crate::settings;
use crate::store::book_reads::BookReads;
use crate::store::Store;
use crate::sync::Connection;
use crate::time::Timestamp;

/// Setting key of the SCA period the advisor's banks apply: `90` (default) or `180`.
pub const CONSENT_PERIOD_SETTING: &str = "consent.sca_period_days";

/// A connection whose next SCA is this many days away (or less) is "due soon".
pub const DUE_SOON_DAYS: i64 = 14;

/// How often banks ask for SCA again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ConsentPeriod {
    /// PSD2's account-information exemption before 25 July 2023.
    #[default]
    Days90,
    /// Delegated Regulation (EU) 2022/2360, where the bank applies it.
    Days180,
}

impl ConsentPeriod {
    pub fn days(self) -> i64 {
        match self {
            ConsentPeriod::Days90 => 90,
            ConsentPeriod::Days180 => 180,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "90" => Some(ConsentPeriod::Days90),
            "180" => Some(ConsentPeriod::Days180),
            _ => None,
        }
    }
}

/// The saved period; 90 days when unset or unreadable (the cautious reading).
pub fn consent_period(store: &Store) -> Result<ConsentPeriod> {
    store.read(consent_period_from)
}

/// [`consent_period`] from either engine's reader.
pub fn consent_period_from(reads: &impl BookReads) -> Result<ConsentPeriod> {
    Ok(reads
        .setting(CONSENT_PERIOD_SETTING)?
        .as_deref()
        .and_then(ConsentPeriod::parse)
        .unwrap_or_default())
}

pub fn set_consent_period(store: &Store, days: &str) -> Result<ConsentPeriod> {
    let period = ConsentPeriod::parse(days)
        .ok_or_else(|| CoreError::invalid("the SCA period is 90 or 180 days"))?;
    settings::set(store, CONSENT_PERIOD_SETTING, &period.days().to_string())?;
    Ok(period)
}

/// What the forecast measures for the connection's provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    /// Flanks: the bank's next SCA request.
    Sca,
    /// Flinks: no expiry, but data stops moving without a live connection with the client.
    LiveConnection,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct ConsentForecast {
    pub kind: ConsentKind,
    /// The client's last SCA (Flanks) or live connection (Flinks).
    pub last_renewed_at: Timestamp,
    /// Whole calendar days since then.
    pub days_since: i64,
    /// Flanks: when the bank will probably ask again; `None` for Flinks.
    pub next_sca_at: Option<Timestamp>,
    /// Flanks: calendar days until then (0 = today, negative = overdue).
    pub days_left: Option<i64>,
    /// Flanks: due within [`DUE_SOON_DAYS`] (or overdue).
    pub due_soon: bool,
}

/// Calendar days from `from` to `to` in the time zone `tz`.
fn calendar_days<Tz: TimeZone>(from: Timestamp, to: Timestamp, tz: &Tz) -> i64 {
    let day = |t: Timestamp| -> chrono::NaiveDate { t.with_timezone(tz).date_naive() };
    (day(to) - day(from)).num_days()
}

/// The forecast of one connection at `now`, counting days in `tz`.
pub fn forecast<Tz: TimeZone>(
    connection: &Connection,
    period: ConsentPeriod,
    now: DateTime<chrono::Utc>,
    tz: &Tz,
) -> ConsentForecast {
    let last = connection
        .consent_renewed_at
        .unwrap_or(connection.created_at);
    let days_since = calendar_days(last, now, tz).max(0);
    match connection.provider {
        Provider::Flanks => {
            let next = last + Duration::days(period.days());
            let days_left = calendar_days(now, next, tz);
            ConsentForecast {
                kind: ConsentKind::Sca,
                last_renewed_at: last,
                days_since,
                next_sca_at: Some(next),
                days_left: Some(days_left),
                due_soon: days_left <= DUE_SOON_DAYS,
            }
        }
        Provider::Flinks => ConsentForecast {
            kind: ConsentKind::LiveConnection,
            last_renewed_at: last,
            days_since,
            next_sca_at: None,
            days_left: None,
            due_soon: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, Utc};

    use super::*;
    use crate::domain::{Actor, ConnectionStatus};

    fn at(s: &str) -> Timestamp {
        crate::time::from_db(s).unwrap()
    }

    fn connection(provider: Provider, created: &str, renewed: Option<&str>) -> Connection {
        Connection {
            id: 1,
            client_id: 1,
            provider,
            flow: "flanks_link".into(),
            institution_id: None,
            institution_name: None,
            status: ConnectionStatus::Ready,
            action_by: Actor::Nobody,
            provider_code: None,
            provider_message: None,
            last_attempt_at: None,
            last_success_at: None,
            data_as_of: None,
            next_retry_at: None,
            consecutive_failures: 0,
            secret_ref: String::new(),
            created_at: at(created),
            consent_renewed_at: renewed.map(at),
            holder_check: crate::domain::holders::HolderCheckState::Matched,
            holder_names: vec![],
        }
    }

    #[test]
    fn counts_ninety_days_from_creation_when_never_renewed() {
        let c = connection(Provider::Flanks, "2026-01-10T09:00:00Z", None);
        let f = forecast(&c, ConsentPeriod::Days90, at("2026-03-01T12:00:00Z"), &Utc);
        assert_eq!(f.kind, ConsentKind::Sca);
        assert_eq!(f.last_renewed_at, at("2026-01-10T09:00:00Z"));
        assert_eq!(f.next_sca_at, Some(at("2026-04-10T09:00:00Z")));
        assert_eq!(f.days_since, 50);
        assert_eq!(f.days_left, Some(40));
        assert!(!f.due_soon);
    }

    #[test]
    fn counts_from_the_newest_reauthorization() {
        let c = connection(
            Provider::Flanks,
            "2025-06-01T09:00:00Z",
            Some("2026-02-20T16:30:00Z"),
        );
        let f = forecast(&c, ConsentPeriod::Days90, at("2026-03-01T12:00:00Z"), &Utc);
        assert_eq!(f.last_renewed_at, at("2026-02-20T16:30:00Z"));
        assert_eq!(f.next_sca_at, Some(at("2026-05-21T16:30:00Z")));
        assert_eq!(f.days_left, Some(81));
    }

    #[test]
    fn the_180_day_setting_doubles_the_horizon() {
        let c = connection(Provider::Flanks, "2026-01-10T09:00:00Z", None);
        let now = at("2026-04-01T12:00:00Z");
        let short = forecast(&c, ConsentPeriod::Days90, now, &Utc);
        let long = forecast(&c, ConsentPeriod::Days180, now, &Utc);
        assert_eq!(short.days_left, Some(9));
        assert!(short.due_soon);
        assert_eq!(long.next_sca_at, Some(at("2026-07-09T09:00:00Z")));
        assert_eq!(long.days_left, Some(99));
        assert!(!long.due_soon);
    }

    #[test]
    fn due_soon_starts_fourteen_days_ahead_and_stays_when_overdue() {
        let c = connection(Provider::Flanks, "2026-01-01T10:00:00Z", None);
        // Due 2026-04-01T10:00Z.
        let fifteen = forecast(&c, ConsentPeriod::Days90, at("2026-03-17T10:00:00Z"), &Utc);
        let fourteen = forecast(&c, ConsentPeriod::Days90, at("2026-03-18T08:00:00Z"), &Utc);
        let today = forecast(&c, ConsentPeriod::Days90, at("2026-04-01T23:00:00Z"), &Utc);
        let overdue = forecast(&c, ConsentPeriod::Days90, at("2026-04-05T10:00:00Z"), &Utc);
        assert_eq!((fifteen.days_left, fifteen.due_soon), (Some(15), false));
        assert_eq!((fourteen.days_left, fourteen.due_soon), (Some(14), true));
        assert_eq!((today.days_left, today.due_soon), (Some(0), true));
        assert_eq!((overdue.days_left, overdue.due_soon), (Some(-4), true));
    }

    #[test]
    fn days_turn_at_the_advisors_midnight_not_utcs() {
        // Renewed at 23:30 UTC on 31 December: already 1 January in Madrid (UTC+1), still
        // 31 December in Toronto (UTC-5).
        let c = connection(Provider::Flanks, "2025-12-31T23:30:00Z", None);
        let now = at("2026-01-02T12:00:00Z");
        let madrid = FixedOffset::east_opt(3600).unwrap();
        let toronto = FixedOffset::west_opt(5 * 3600).unwrap();
        let in_madrid = forecast(&c, ConsentPeriod::Days90, now, &madrid);
        let in_toronto = forecast(&c, ConsentPeriod::Days90, now, &toronto);
        assert_eq!(in_madrid.days_since, 1);
        assert_eq!(in_toronto.days_since, 2);
        // The instant is the same everywhere; only the day count differs.
        assert_eq!(in_madrid.next_sca_at, in_toronto.next_sca_at);
        assert_eq!(in_madrid.next_sca_at, Some(at("2026-03-31T23:30:00Z")));
        assert_eq!(in_madrid.days_left, Some(89));
        assert_eq!(in_toronto.days_left, Some(88));
    }

    #[test]
    fn flinks_reports_days_since_the_last_live_connection_and_no_sca_date() {
        let c = connection(
            Provider::Flinks,
            "2026-01-01T10:00:00Z",
            Some("2026-02-01T10:00:00Z"),
        );
        let f = forecast(&c, ConsentPeriod::Days90, at("2026-03-03T09:00:00Z"), &Utc);
        assert_eq!(f.kind, ConsentKind::LiveConnection);
        assert_eq!(f.days_since, 30);
        assert_eq!(f.next_sca_at, None);
        assert_eq!(f.days_left, None);
        assert!(!f.due_soon);
    }

    #[test]
    fn the_period_setting_accepts_only_90_or_180_and_defaults_to_90() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(consent_period(&store).unwrap(), ConsentPeriod::Days90);
        assert_eq!(
            set_consent_period(&store, "180").unwrap(),
            ConsentPeriod::Days180
        );
        assert_eq!(consent_period(&store).unwrap(), ConsentPeriod::Days180);
        let e = set_consent_period(&store, "120").unwrap_err();
        assert_eq!(e.code().as_str(), "invalid_input");
        assert_eq!(consent_period(&store).unwrap(), ConsentPeriod::Days180);
        // A value a newer version wrote is read as the cautious default.
        settings::set(&store, CONSENT_PERIOD_SETTING, "weekly").unwrap();
        assert_eq!(consent_period(&store).unwrap(), ConsentPeriod::Days90);
    }
}

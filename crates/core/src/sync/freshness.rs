//! When a connection's data may be shown as fresh. Flinks no longer refreshes most banks at
//! night: a cached Authorize returns data that stopped moving at the client's last live
//! connection, so a Flinks connection whose data (its provider date, `LastRefresh`) is older
//! than `flinks.frozen_after_days` (default 7) is "frozen": never shown as fresh, and queued
//! for the client to be present for a refresh.

use crate::domain::{ConnectionStatus, Provider};
use crate::error::{CoreError, Result};
use crate::settings;
use crate::store::book_reads::BookReads;
use crate::store::Store;
use crate::time::Timestamp;

use super::connections::{Connection, STALE_AFTER};

pub const FROZEN_AFTER_DAYS_SETTING: &str = "flinks.frozen_after_days";
pub const DEFAULT_FROZEN_AFTER_DAYS: i64 = 7;

/// The book's freshness rules, read once per read model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    pub frozen_after: chrono::Duration,
}

impl Default for Freshness {
    fn default() -> Self {
        Freshness {
            frozen_after: chrono::Duration::days(DEFAULT_FROZEN_AFTER_DAYS),
        }
    }
}

/// The frozen period the advisor may choose, in days.
pub const FROZEN_AFTER_DAYS_RANGE: std::ops::RangeInclusive<i64> = 1..=3650;

impl Freshness {
    /// From the settings; a missing or unreadable value (not a whole number of days in
    /// [`FROZEN_AFTER_DAYS_RANGE`]) is the default.
    pub fn of(store: &Store) -> Result<Freshness> {
        store.read(Self::read_from)
    }

    /// [`Freshness::of`] from either engine's reader.
    pub fn read_from(reads: &impl BookReads) -> Result<Freshness> {
        let days = reads
            .setting(FROZEN_AFTER_DAYS_SETTING)?
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|d| FROZEN_AFTER_DAYS_RANGE.contains(d))
            .unwrap_or(DEFAULT_FROZEN_AFTER_DAYS);
        Ok(Freshness {
            frozen_after: chrono::Duration::days(days),
        })
    }

    /// Whole days after which unmoving Flinks data counts as frozen.
    pub fn frozen_after_days(self) -> i64 {
        self.frozen_after.num_days()
    }

    /// The advisor's choice (Settings → Connections); anything outside the range is refused.
    pub fn set_frozen_after_days(store: &Store, days: i64) -> Result<Freshness> {
        if !FROZEN_AFTER_DAYS_RANGE.contains(&days) {
            return Err(CoreError::invalid(
                "Flinks data counts as frozen after 1 to 3650 days",
            ));
        }
        settings::set(store, FROZEN_AFTER_DAYS_SETTING, &days.to_string())?;
        Freshness::of(store)
    }
}

impl Connection {
    /// Derived, never stored: stale when it never succeeded, when its last success is old,
    /// when the last attempt failed after it, or when its data is frozen.
    pub fn is_stale(&self, now: Timestamp, f: Freshness) -> bool {
        let by_sync = match self.last_success_at {
            None => true,
            Some(ok) => now - ok > STALE_AFTER || self.last_attempt_at.is_some_and(|at| at > ok),
        };
        by_sync || self.is_frozen(now, f)
    }

    /// A working Flinks connection whose data has not moved for `frozen_after`: the daily
    /// cached read succeeds, but only a refresh with the client present brings newer data.
    pub fn is_frozen(&self, now: Timestamp, f: Freshness) -> bool {
        self.provider == Provider::Flinks
            && self.status == ConnectionStatus::Ready
            && self.data_as_of.is_some_and(|t| now - t > f.frozen_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Actor;

    fn ready_connection(provider: Provider, now: Timestamp) -> Connection {
        Connection {
            id: 1,
            client_id: 1,
            provider,
            flow: "flinks_connect".into(),
            institution_id: None,
            institution_name: None,
            status: ConnectionStatus::Ready,
            action_by: Actor::Nobody,
            provider_code: None,
            provider_message: None,
            last_attempt_at: Some(now),
            last_success_at: Some(now),
            data_as_of: None,
            next_retry_at: None,
            consecutive_failures: 0,
            secret_ref: String::new(),
            created_at: now,
            consent_renewed_at: None,
            holder_check: crate::domain::holders::HolderCheckState::Matched,
            holder_names: vec![],
        }
    }

    #[test]
    fn the_frozen_period_is_the_advisors_choice_within_its_range() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(Freshness::of(&store).unwrap().frozen_after_days(), 7);
        let f = Freshness::set_frozen_after_days(&store, 14).unwrap();
        assert_eq!(f.frozen_after_days(), 14);
        assert_eq!(Freshness::of(&store).unwrap(), f);
        for refused in [0, -3, 3651] {
            let e = Freshness::set_frozen_after_days(&store, refused).unwrap_err();
            assert_eq!(e.code(), crate::error::ErrorCode::InvalidInput, "{refused}");
        }
        assert_eq!(Freshness::of(&store).unwrap().frozen_after_days(), 14);
    }

    #[test]
    fn a_flinks_connection_is_frozen_once_its_data_stops_moving() {
        let now = crate::time::now();
        let f = Freshness::default();
        let mut c = ready_connection(Provider::Flinks, now);
        c.data_as_of = Some(now - chrono::Duration::days(6));
        assert!(!c.is_frozen(now, f) && !c.is_stale(now, f));
        c.data_as_of = Some(now - chrono::Duration::days(8));
        assert!(c.is_frozen(now, f), "synced today, data 8 days old");
        assert!(c.is_stale(now, f), "frozen is never fresh");
        let longer = Freshness {
            frozen_after: chrono::Duration::days(10),
        };
        assert!(!c.is_frozen(now, longer));
        c.provider = Provider::Flanks;
        assert!(!c.is_frozen(now, f), "Flanks refreshes daily by itself");
    }
}

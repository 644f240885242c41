//! What each page last loaded from the firm database, kept in memory so that when the server is
//! gone the window keeps showing it (read-only) instead of an error. One entry per command and
//! arguments; bounded, the oldest dropped first; emptied when the desktop joins or leaves a firm.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use advisor_desk_core::time::{self, Timestamp};

/// Pages kept at most: every page of a working session, not every transactions window ever.
const PAGES_KEPT: usize = 256;

#[derive(Default)]
pub struct LastLoaded {
    pages: Mutex<HashMap<String, Page>>,
}

struct Page {
    value: Arc<dyn Any + Send + Sync>,
    at: Timestamp,
}

impl LastLoaded {
    /// Keeps `value` as what `key` last loaded, now.
    pub fn keep<T: Clone + Send + Sync + 'static>(&self, key: String, value: &T) {
        self.keep_at(key, value, time::now());
    }

    fn keep_at<T: Clone + Send + Sync + 'static>(&self, key: String, value: &T, at: Timestamp) {
        let mut pages = self.lock();
        if pages.len() >= PAGES_KEPT && !pages.contains_key(&key) {
            let oldest = pages
                .iter()
                .min_by_key(|(_, page)| page.at)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                pages.remove(&oldest);
            }
        }
        let value = Arc::new(value.clone());
        pages.insert(key, Page { value, at });
    }

    /// What `key` last loaded, if it was kept (and is of the type asked).
    pub fn get<T: Clone + 'static>(&self, key: &str) -> Option<T> {
        self.lock()
            .get(key)
            .and_then(|page| page.value.downcast_ref::<T>().cloned())
    }

    /// When the newest page was loaded: what the window shows is at most this old.
    pub fn newest(&self) -> Option<Timestamp> {
        self.lock().values().map(|page| page.at).max()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Page>> {
        self.pages.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    #[test]
    fn a_page_comes_back_as_kept_and_only_as_its_own_type() {
        let kept = LastLoaded::default();
        assert_eq!(kept.get::<Vec<String>>("list_clients"), None);
        assert_eq!(kept.newest(), None);
        kept.keep("list_clients".into(), &vec!["Ana".to_string()]);
        kept.keep(
            "list_clients".into(),
            &vec!["Ana".to_string(), "Bo".to_string()],
        );
        assert_eq!(
            kept.get::<Vec<String>>("list_clients").unwrap(),
            ["Ana", "Bo"]
        );
        assert_eq!(kept.get::<i64>("list_clients"), None, "another type");
        assert_eq!(kept.get::<Vec<String>>("client_overview/1"), None);
        assert!(kept.newest().is_some());
        kept.clear();
        assert_eq!(kept.get::<Vec<String>>("list_clients"), None);
    }

    #[test]
    fn the_newest_time_is_reported_and_the_oldest_page_goes_first_when_full() {
        let kept = LastLoaded::default();
        let start = Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap();
        for i in 0..PAGES_KEPT {
            kept.keep_at(format!("page/{i}"), &i, start + Duration::seconds(i as i64));
        }
        // Loading one page again keeps it young and drops nothing.
        kept.keep_at("page/0".into(), &0usize, start + Duration::hours(1));
        assert_eq!(kept.get::<usize>("page/1"), Some(1));
        // A new page when full drops the oldest (page/1 now), nothing else.
        kept.keep_at("page/new".into(), &7usize, start + Duration::hours(2));
        assert_eq!(kept.get::<usize>("page/1"), None);
        assert_eq!(kept.get::<usize>("page/0"), Some(0));
        assert_eq!(kept.get::<usize>("page/2"), Some(2));
        assert_eq!(kept.get::<usize>("page/new"), Some(7));
        assert_eq!(kept.newest(), Some(start + Duration::hours(2)));
    }
}

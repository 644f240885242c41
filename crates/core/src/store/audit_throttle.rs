//! Keeps the audit log bounded under a flood of events of one kind (forged `advisordesk://`
//! links): per kind and per time window the first [`KEPT_WHOLE`] entries are written whole,
//! the rest only counted, and each window's count is appended as one entry once the window
//! has closed. The counts live in memory until then (a crash loses at most one window's
//! count, never an entry kept whole).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::time::{self, Timestamp};

/// Entries of one kind written whole per window.
pub const KEPT_WHOLE: u32 = 10;
/// The length of a counting window.
pub const WINDOW: chrono::Duration = chrono::Duration::seconds(60);

/// What to do with one more entry of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Write it whole.
    Whole,
    /// Beyond the threshold: only counted (see [`CountedEntries`]).
    Counted,
}

/// Entries of one kind that were counted instead of written, in one closed window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedEntries {
    pub kind: String,
    pub from: Timestamp,
    pub to: Timestamp,
    pub count: u32,
}

impl CountedEntries {
    /// The audit entry's detail: the kind, how many and when (never a URL: kinds are codes).
    pub fn detail(&self) -> String {
        format!(
            "{} more {} between {} and {}",
            self.count,
            self.kind,
            time::to_db(self.from),
            time::to_db(self.to)
        )
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Timestamp,
    seen: u32,
    last: Timestamp,
}

impl Window {
    fn counted(&self) -> u32 {
        self.seen.saturating_sub(KEPT_WHOLE)
    }

    fn closed_at(&self, now: Timestamp) -> bool {
        now - self.started >= WINDOW
    }
}

/// The open windows, one per kind. Kinds are a small fixed set (source × refusal code), so
/// the map stays small whatever arrives.
#[derive(Debug, Default)]
pub struct AuditThrottle {
    windows: Mutex<HashMap<String, Window>>,
}

impl AuditThrottle {
    /// Admits one entry of `kind` at `now`, and hands back every window (of any kind) that
    /// closed with entries counted, to be appended with it.
    pub fn admit(&self, kind: &str, now: Timestamp) -> (Admission, Vec<CountedEntries>) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let closed = take_closed(&mut windows, now);
        let window = windows.entry(kind.to_string()).or_insert(Window {
            started: now,
            seen: 0,
            last: now,
        });
        window.seen = window.seen.saturating_add(1);
        window.last = now;
        let admission = if window.seen <= KEPT_WHOLE {
            Admission::Whole
        } else {
            Admission::Counted
        };
        (admission, closed)
    }

    /// The windows closed by `now` that counted entries (they are forgotten here).
    pub fn take_closed(&self, now: Timestamp) -> Vec<CountedEntries> {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        take_closed(&mut windows, now)
    }

    /// Every window that counted entries, closed or not (for a clean shutdown or a test).
    pub fn take_all(&self) -> Vec<CountedEntries> {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let all = windows
            .iter()
            .filter(|(_, w)| w.counted() > 0)
            .map(|(kind, w)| counted(kind, w))
            .collect();
        windows.clear();
        all
    }
}

fn take_closed(windows: &mut HashMap<String, Window>, now: Timestamp) -> Vec<CountedEntries> {
    let mut closed: Vec<CountedEntries> = windows
        .iter()
        .filter(|(_, w)| w.closed_at(now) && w.counted() > 0)
        .map(|(kind, w)| counted(kind, w))
        .collect();
    windows.retain(|_, w| !w.closed_at(now));
    closed.sort_by(|a, b| a.from.cmp(&b.from).then(a.kind.cmp(&b.kind)));
    closed
}

fn counted(kind: &str, w: &Window) -> CountedEntries {
    CountedEntries {
        kind: kind.to_string(),
        from: w.started,
        to: w.last,
        count: w.counted(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn the_first_entries_of_a_window_are_whole_the_rest_counted() {
        let t = AuditThrottle::default();
        let admitted: Vec<Admission> = (0..25).map(|i| t.admit("refused", at(i)).0).collect();
        assert!(admitted[..KEPT_WHOLE as usize]
            .iter()
            .all(|a| *a == Admission::Whole));
        assert!(admitted[KEPT_WHOLE as usize..]
            .iter()
            .all(|a| *a == Admission::Counted));
        // Still open: nothing to write yet.
        assert!(t.take_closed(at(30)).is_empty());
        let closed = t.take_closed(at(60));
        assert_eq!(
            closed,
            vec![CountedEntries {
                kind: "refused".into(),
                from: at(0),
                to: at(24),
                count: 15,
            }]
        );
        assert!(t.take_closed(at(61)).is_empty(), "a window is written once");
    }

    #[test]
    fn kinds_are_counted_apart_and_a_new_window_starts_whole() {
        let t = AuditThrottle::default();
        for i in 0..12 {
            t.admit("a", at(i));
        }
        for i in 0..3 {
            assert_eq!(t.admit("b", at(i)).0, Admission::Whole);
        }
        // The next "a" after the window: whole again, and the old window comes back counted.
        let (admission, closed) = t.admit("a", at(61));
        assert_eq!(admission, Admission::Whole);
        assert_eq!(closed.len(), 1, "b counted nothing: {closed:?}");
        assert_eq!((closed[0].kind.as_str(), closed[0].count), ("a", 2));
    }

    #[test]
    fn a_window_that_counted_nothing_writes_nothing() {
        let t = AuditThrottle::default();
        for i in 0..KEPT_WHOLE as i64 {
            t.admit("a", at(i));
        }
        assert!(t.take_closed(at(120)).is_empty());
        assert!(t.take_all().is_empty());
    }

    #[test]
    fn take_all_hands_over_open_windows_too() {
        let t = AuditThrottle::default();
        for i in 0..(KEPT_WHOLE as i64 + 4) {
            t.admit("a", at(i));
        }
        let all = t.take_all();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].count, 4);
        assert!(all[0].detail().starts_with("4 more a between "));
        assert!(t.take_all().is_empty());
    }

    #[test]
    fn a_flood_keeps_a_bounded_number_of_entries_per_window() {
        let t = AuditThrottle::default();
        let whole = (0..100_000)
            .filter(|i| t.admit("flood", at(i / 1000)).0 == Admission::Whole)
            .count();
        // 100 000 in 100 s: two windows, each with its first entries whole.
        assert_eq!(whole, 2 * KEPT_WHOLE as usize);
    }
}

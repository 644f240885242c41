//! The sandbox's own clock: real time plus an offset that `/_sandbox/clock/advance` moves.
//! Token expiry, pending delays, delayed codes and refreshes all read it.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        now.checked_add_signed(Duration::milliseconds(
            self.offset_ms.load(Ordering::Relaxed),
        ))
        .unwrap_or(now)
    }

    pub fn advance(&self, seconds: i64) {
        self.offset_ms
            .fetch_add(seconds.saturating_mul(1000), Ordering::Relaxed);
    }

    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::Relaxed);
    }
}

//! A per-provider limit: at most N calls in flight, at most R started per second, and a
//! shared pause when the provider answers 429 with `Retry-After`.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

pub struct Limiter {
    slots: std::sync::Arc<Semaphore>,
    interval: Duration,
    next_start: Mutex<Instant>,
}

impl Limiter {
    pub fn new(max_concurrency: usize, max_per_second: u32) -> Self {
        Limiter {
            slots: std::sync::Arc::new(Semaphore::new(max_concurrency.max(1))),
            interval: if max_per_second == 0 {
                Duration::ZERO
            } else {
                Duration::from_secs(1) / max_per_second
            },
            next_start: Mutex::new(Instant::now()),
        }
    }

    /// Waits for a slot and for this call's start time.
    pub async fn acquire(&self) -> OwnedSemaphorePermit {
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the limiter's semaphore is never closed");
        let start = {
            let mut next = self.next_start.lock().unwrap_or_else(|p| p.into_inner());
            let start = (*next).max(Instant::now());
            *next = start + self.interval;
            start
        };
        tokio::time::sleep_until(start).await;
        permit
    }

    /// Nobody starts a call to this provider before `now + wait`.
    pub fn pause_for(&self, wait: Duration) {
        let mut next = self.next_start.lock().unwrap_or_else(|p| p.into_inner());
        let until = Instant::now() + wait;
        if until > *next {
            *next = until;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rate_is_limited() {
        let l = Limiter::new(4, 50);
        let start = Instant::now();
        for _ in 0..6 {
            drop(l.acquire().await);
        }
        // 6 starts at 20 ms intervals: the last starts at least 100 ms after the first.
        assert!(start.elapsed() >= Duration::from_millis(95));
    }

    #[tokio::test]
    async fn a_pause_delays_the_next_call() {
        let l = Limiter::new(4, 0);
        l.pause_for(Duration::from_millis(60));
        let start = Instant::now();
        drop(l.acquire().await);
        assert!(start.elapsed() >= Duration::from_millis(55));
    }
}

//! Exponential backoff with full jitter, and `Retry-After` parsing.

use std::time::Duration;

/// `attempt` counts from 1 (the first retry). Full jitter: a random wait in
/// `[0, min(max, base · 2^(attempt-1))]`, so many clients retrying at once spread out.
pub fn backoff_delay(base: Duration, max: Duration, attempt: u32) -> Duration {
    let exp = attempt.saturating_sub(1).min(16);
    let cap = base.saturating_mul(1u32 << exp).min(max);
    let millis = cap.as_millis() as u64;
    // At least a quarter of the cap, so a retry never fires immediately.
    let floor = millis / 4;
    Duration::from_millis(floor + fastrand::u64(0..=millis - floor))
}

/// `Retry-After` is either delay-seconds or an HTTP date (RFC 7231).
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = at.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let max = Duration::from_millis(1000);
        for _ in 0..200 {
            let d1 = backoff_delay(base, max, 1);
            assert!(d1 >= Duration::from_millis(25) && d1 <= base);
            let d5 = backoff_delay(base, max, 5);
            assert!(d5 >= Duration::from_millis(250) && d5 <= max);
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}

//! The HTTP layer both clients share: limits, retries, call log.

mod backoff;
mod limiter;
mod transport;

pub use backoff::{backoff_delay, parse_retry_after};
pub use limiter::Limiter;
pub use transport::{Call, HttpClient, Idempotency, RawResponse};

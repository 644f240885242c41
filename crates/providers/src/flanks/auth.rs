//! The Flanks access token: fetched with the client credentials, cached until shortly before
//! it expires, refreshed once when a call answers 401. Refreshes are serialised, so many calls
//! seeing 401 at once cause one refresh (an older doc says a new token invalidates the old).

use std::time::Duration;

use advisor_desk_core::secrets::Secret;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Renew this long before the provider's expiry, so a call never leaves with a dying token.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

pub struct CachedToken {
    pub value: Secret,
    pub expires_at: Instant,
    /// Which token this is, so a 401 only discards the token that failed.
    pub generation: u64,
}

#[derive(Default)]
pub struct TokenCache {
    current: Mutex<Option<CachedToken>>,
    generations: std::sync::atomic::AtomicU64,
}

impl TokenCache {
    /// The cached token, or a new one from `fetch` (holding the lock, so refreshes are
    /// serialised). `fetch` answers the token and its lifetime.
    pub async fn get<F, Fut, E>(&self, fetch: F) -> Result<(Secret, u64), E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(Secret, Duration), E>>,
    {
        let mut slot = self.current.lock().await;
        if let Some(t) = slot.as_ref() {
            if Instant::now() + EXPIRY_MARGIN < t.expires_at {
                return Ok((t.value.clone(), t.generation));
            }
        }
        let (value, lifetime) = fetch().await?;
        let generation = self
            .generations
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        *slot = Some(CachedToken {
            value: value.clone(),
            expires_at: Instant::now() + lifetime,
            generation,
        });
        Ok((value, generation))
    }

    /// Forgets the token of `generation` if it is still the cached one.
    pub async fn invalidate(&self, generation: u64) {
        let mut slot = self.current.lock().await;
        if slot.as_ref().is_some_and(|t| t.generation == generation) {
            *slot = None;
        }
    }
}

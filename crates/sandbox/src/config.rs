//! What a sandbox instance looks like: seed, book size and the delays of the lifecycle.

use std::time::Duration;

use chrono::NaiveDate;

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Everything generated (book, ids, fault dice) derives from this.
    pub seed: u64,
    /// Book size in credentials (Flanks and Flinks together, split 8:3).
    pub credentials: usize,
    /// How long a new Flanks credential stays `pending` (sandbox clock).
    pub pending_delay: Duration,
    /// How long a Flinks GetAccountsDetail stays 202 before the async poll answers 200.
    pub flinks_processing_delay: Duration,
    /// Lifetime of a Flanks access token (`expires_in`).
    pub token_lifetime: Duration,
    /// When a `delayed=true` code becomes exchangeable by itself (the real service says
    /// within 72 h); `/_sandbox/codes/release` releases earlier.
    pub delayed_code_release: Duration,
    /// The last day of generated history; `None` = today's UTC date at start.
    pub today: Option<NaiveDate>,
    /// Older Flanks docs: issuing a token invalidates the previous one. Off by default so
    /// several clients can share one sandbox.
    pub single_active_token: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            seed: 42,
            credentials: 11,
            pending_delay: Duration::from_secs(5),
            flinks_processing_delay: Duration::from_secs(2),
            token_lifetime: Duration::from_secs(3600),
            delayed_code_release: Duration::from_secs(3600),
            today: None,
            single_active_token: false,
        }
    }
}

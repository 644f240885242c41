//! One refresh per connection across the firm: however many desktops are open, each due
//! connection is fetched from its provider once per round.
//!
//! The tables (rounds, leases, outcomes) and their row-level security are migration 0003.
//! - [`claims`]: start or join a round, claim due connections with a lease, renew, complete with
//!   fencing.
//! - [`worker`]: a desktop's loop over one round (claim, fetch, complete), retrying through a lost
//!   or restarted database.
//! - [`app_round`]: "Update all" in firm mode — this desktop's part in the round, with the solo
//!   sync's progress events, summary and report.
//! - [`provider_refresher`]: the production `Refresher` — the core's gateways fetch, the core's
//!   snapshot writer writes into the firm database (`crate::snapshot`).
//!
//! Why `FOR UPDATE SKIP LOCKED` on lease rows rather than advisory locks: the lease must outlive
//! the transaction that takes it (a fetch takes seconds and must not hold a transaction or a
//! pooled connection open) and must expire by itself when its desktop dies, which a row with an
//! expiry does and a session-scoped advisory lock does not (it dies with the connection, so a
//! dropped connection during a fetch would free a connection still being fetched). SKIP LOCKED
//! only makes the claim itself contention-free: desktops claiming at once take different rows.

pub mod app_round;
pub mod claims;
mod error;
mod keychain_cache;
pub mod provider_refresher;
pub mod worker;

pub use claims::{Completion, Lease, Outcome, OutcomeKind, RoundProgress, RoundStart};
pub(crate) use error::is_transient_database_error;
pub use error::RefreshError;
pub use provider_refresher::{Fetched, ProviderRefresher};
pub use worker::{run_round, run_round_until, Refresher, RoundReport, WorkerConfig};

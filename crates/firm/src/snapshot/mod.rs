//! A connection's snapshot written into the firm database by the core's own snapshot writer
//! (`advisor_desk_core::sync::write_snapshot`): [`PgSnapshotRows`] implements the core's
//! engine-neutral `SnapshotStore` over a `postgres::Transaction`, so the rules — dedupe keys,
//! unchanged rows untouched, reissued ids updated, vanished rows `missing`, positions replaced,
//! parts not fetched left alone — are the solo book's, not a copy of them.
//!
//! - [`rows`]: the statements, in the caller's transaction (the refresh's completing one).
//! - [`connection`]: what the refresh reads of a connection before recording its result.
//! - [`holder_check`]: the core's `HolderCheckStore` on the same transaction, so the firm's
//!   refresh runs the solo book's holder check on a new connection's first snapshot.

pub mod connection;
mod error;
mod holder_check;
mod new_transactions;
pub mod rows;

pub use connection::{connection_state, ConnectionState};
pub use error::SnapshotRowsError;
pub use rows::PgSnapshotRows;

//! The sync engine: per-connection state machine, atomic snapshot writes, bounded concurrent
//! syncs of many connections with progress and cancellation. Provider specifics stay behind
//! [`ProviderGateway`], implemented by the `advisor-desk-providers` crate.

pub mod alert;
pub mod call_log;
pub mod cancel;
pub mod connections;
pub mod engine;
pub mod fetch;
pub mod freshness;
pub mod gateway;
pub mod holder_check;
pub mod progress;
pub mod run_report;
pub mod schedule;
pub mod snapshot_writer;

pub use alert::{alert_for, Alert};
pub use call_log::{CallBuffer, CallLog, ProviderCall};
pub use cancel::CancelToken;
pub use connections::{Connection, ConnectionView, NewConnection};
pub use engine::{
    ConnectionOutcome, FailureRecord, SyncEngine, SyncOptions, SyncResult, SyncSummary,
};
pub use fetch::{fetch_snapshot, StatusPolling};
pub use freshness::Freshness;
pub use gateway::ProviderGateway;
pub use progress::{SyncProgress, SyncStep};
pub use run_report::{run_report, NeedsAction, RunReport};
pub use schedule::{SyncScope, LAST_SCHEDULED_SETTING};
pub use snapshot_writer::{write_snapshot, WriteStats};

#[cfg(test)]
mod tests;

//! Progress events for a progress bar: connections done / total and the current step.

use serde::Serialize;

use crate::domain::ConnectionStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum SyncStep {
    CheckingStatus,
    /// The provider is still collecting data; the engine polls again.
    WaitingForProvider,
    Fetching,
    Saving,
    Finished {
        status: ConnectionStatus,
        ok: bool,
    },
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct SyncProgress {
    pub done: usize,
    pub total: usize,
    pub connection_id: i64,
    /// The institution of the connection this step is about (its name, else its id, else
    /// the provider), for the progress bar.
    pub institution: String,
    #[serde(flatten)]
    pub step: SyncStep,
}

pub type ProgressSink = std::sync::Arc<dyn Fn(SyncProgress) + Send + Sync>;

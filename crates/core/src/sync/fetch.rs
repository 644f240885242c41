//! One connection's fetch from its provider, as every refresh does it: the credential's status
//! polled while the provider is still pending (backoff, deadline), then the snapshot, with the
//! credential scrubbed out of whatever the provider echoed. Shared by the solo engine
//! (`engine.rs`) and a firm's refresh (`crates/firm/src/refresh/provider_refresher.rs`).

use std::time::{Duration, Instant};

use super::gateway::ProviderGateway;
use super::progress::SyncStep;
use crate::domain::{FailureKind, ProviderFailure, RemoteState, Snapshot};
use crate::secrets::Secret;

/// How long and how often a pending credential's status is asked again.
#[derive(Debug, Clone, Copy)]
pub struct StatusPolling {
    /// First wait between polls; doubles up to `max`.
    pub initial: Duration,
    pub max: Duration,
    /// How long one fetch waits for a pending credential before giving up until next time.
    pub deadline: Duration,
}

/// Status, then snapshot. A provider failure (or a credential not ready) is the `Err`.
pub async fn fetch_snapshot(
    gateway: &dyn ProviderGateway,
    token: &Secret,
    polling: StatusPolling,
    report: &(dyn Fn(SyncStep) + Sync),
) -> Result<Snapshot, ProviderFailure> {
    report(SyncStep::CheckingStatus);
    let deadline = Instant::now() + polling.deadline;
    let mut wait = polling.initial;
    let status = loop {
        let status = match gateway.status(token).await {
            Ok(s) => s,
            Err(f) => return Err(f.scrub_secret(token.expose())),
        };
        match status.state {
            RemoteState::Ready => break status,
            RemoteState::PendingSca => return Err(ProviderFailure::new(FailureKind::ScaRequired)),
            RemoteState::Blocked => return Err(ProviderFailure::new(FailureKind::Blocked)),
            RemoteState::Pending => {
                if Instant::now() + wait > deadline {
                    return Err(ProviderFailure::new(FailureKind::Pending));
                }
                report(SyncStep::WaitingForProvider);
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(polling.max);
            }
        }
    };
    report(SyncStep::Fetching);
    let fetched = gateway.snapshot(token, &status).await;
    fetched
        .map_err(|f| f.scrub_secret(token.expose()))
        .map(|mut snap| {
            if snap.data_as_of.is_none() {
                snap.data_as_of = status.data_as_of;
            }
            // Some providers put the credential in their ids: it must not reach the database.
            snap.scrub_secret(token.expose());
            snap
        })
}

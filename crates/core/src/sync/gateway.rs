//! What the engine needs from a provider. Implemented in `advisor-desk-providers`; unit tests
//! use an in-memory fake.

use async_trait::async_trait;

use crate::domain::{Provider, ProviderFailure, RemoteStatus, Snapshot};
use crate::secrets::Secret;

#[async_trait]
pub trait ProviderGateway: Send + Sync {
    fn provider(&self) -> Provider;

    /// The credential's state at the provider (Flanks credentials status). Providers without
    /// a status endpoint answer `Ready` without a call.
    async fn status(&self, token: &Secret) -> Result<RemoteStatus, ProviderFailure>;

    /// Everything the provider holds for the credential, normalised. `status` is the answer
    /// of [`status`](Self::status) in this same sync.
    async fn snapshot(
        &self,
        token: &Secret,
        status: &RemoteStatus,
    ) -> Result<Snapshot, ProviderFailure>;
}

//! Flinks behind the sync engine's [`ProviderGateway`].

use std::sync::Arc;

use advisor_desk_core::domain::{FailureKind, Provider, ProviderFailure, RemoteStatus, Snapshot};
use advisor_desk_core::secrets::Secret;
use advisor_desk_core::sync::ProviderGateway;
use async_trait::async_trait;

use super::answers::AuthorizeOutcome;
use super::client::{AuthorizeMode, FlinksClient};
use super::normalise::normalise;

pub struct FlinksGateway {
    client: Arc<FlinksClient>,
}

impl FlinksGateway {
    pub fn new(client: Arc<FlinksClient>) -> Self {
        FlinksGateway { client }
    }
}

#[async_trait]
impl ProviderGateway for FlinksGateway {
    fn provider(&self) -> Provider {
        Provider::Flinks
    }

    /// Flinks has no status endpoint: a loginId is usable until deleted; problems surface
    /// in Authorize.
    async fn status(&self, _login_id: &Secret) -> Result<RemoteStatus, ProviderFailure> {
        Ok(RemoteStatus::ready())
    }

    async fn snapshot(
        &self,
        login_id: &Secret,
        _status: &RemoteStatus,
    ) -> Result<Snapshot, ProviderFailure> {
        let request_id = match self
            .client
            .authorize(login_id, AuthorizeMode::Cached, None, None)
            .await?
        {
            AuthorizeOutcome::Authorized { request_id, .. } => request_id,
            // A cached Authorize can answer 203 too (seen from a real test instance).
            AuthorizeOutcome::MfaRequired { .. } => {
                return Err(ProviderFailure::new(FailureKind::MfaRequired)
                    .with_endpoint("/BankingServices/Authorize")
                    .with_status(203))
            }
            AuthorizeOutcome::Pending { .. } => {
                return Err(ProviderFailure::new(FailureKind::Pending)
                    .with_endpoint("/BankingServices/Authorize")
                    .with_status(202))
            }
        };
        let detail = self.client.accounts_detail(&request_id).await?;
        Ok(normalise(detail))
    }
}

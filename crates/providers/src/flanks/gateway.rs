//! Flanks behind the sync engine's [`ProviderGateway`].

use std::sync::Arc;

use advisor_desk_core::domain::{FailureKind, Provider, ProviderFailure, RemoteStatus, Snapshot};
use advisor_desk_core::secrets::Secret;
use advisor_desk_core::sync::ProviderGateway;
use async_trait::async_trait;
use serde_json::Value;

use super::client::{AggregationEndpoint, FlanksClient};
use super::normalise::{normalise, FlanksRaw};

pub struct FlanksGateway {
    client: Arc<FlanksClient>,
}

impl FlanksGateway {
    pub fn new(client: Arc<FlanksClient>) -> Self {
        FlanksGateway { client }
    }

    /// Fetches one product. A product the bank failed to deliver (BANK_ERROR, INCOMPLETE) is
    /// left out of this snapshot (its stored rows stay as they are) when `optional`; any other
    /// failure fails the sync with its classification.
    async fn product(
        &self,
        token: &Secret,
        endpoint: AggregationEndpoint,
        optional: bool,
    ) -> Result<Option<Value>, ProviderFailure> {
        match self.client.aggregation(token, endpoint, None).await {
            Ok(v) => Ok(Some(v)),
            Err(f)
                if optional
                    && matches!(f.kind, FailureKind::BankUnavailable | FailureKind::Pending)
                    && f.provider_code.as_deref() != Some("20002 PROCESSING") =>
            {
                tracing::warn!(endpoint = endpoint.path(), code = ?f.provider_code, "product left out of this sync");
                Ok(None)
            }
            Err(f) => Err(f),
        }
    }
}

#[async_trait]
impl ProviderGateway for FlanksGateway {
    fn provider(&self) -> Provider {
        Provider::Flanks
    }

    async fn status(&self, token: &Secret) -> Result<RemoteStatus, ProviderFailure> {
        let s = self.client.credential_status(token).await?;
        Ok(RemoteStatus {
            state: s.remote_state(),
            data_as_of: s.last_update,
            institution_id: s.bank.clone(),
            errored_products: s.errored_products.clone(),
        })
    }

    async fn snapshot(
        &self,
        token: &Secret,
        status: &RemoteStatus,
    ) -> Result<Snapshot, ProviderFailure> {
        use AggregationEndpoint::*;
        let errored = |p: &str| status.errored_products.iter().any(|e| e == p);
        let accounts = self.product(token, Account, errored("account")).await?;
        let transactions = match accounts {
            Some(_) => self.product(token, AccountTransaction, true).await?,
            None => None,
        };
        let portfolios = self.product(token, Portfolio, true).await?;
        let investments = match portfolios {
            Some(_) => self.product(token, Investment, true).await?,
            None => None,
        };
        let liabilities = self.product(token, Liability, true).await?;
        let cards = self.product(token, Card, true).await?;
        Ok(normalise(FlanksRaw {
            bank: status.institution_id.clone(),
            data_as_of: status.data_as_of,
            accounts,
            transactions,
            portfolios,
            investments,
            liabilities,
            cards,
        }))
    }
}

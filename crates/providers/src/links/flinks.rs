//! Flinks for the link flows: the Connect widget URL (`redirectUrl` carrying the state,
//! `requestId` for an MFA reauthorization), live Authorize to learn whether the client must
//! answer MFA, and DeleteCard.

use std::sync::Arc;

use advisor_desk_core::domain::{FailureKind, Provider, ProviderFailure};
use advisor_desk_core::links::{
    DeleteResult, LinkFlow, LinkProviderApi, LinkPurpose, LinkRequest, LinkTarget, ReauthNeed,
};
use advisor_desk_core::secrets::Secret;
use async_trait::async_trait;

use super::pages::LinkPages;
use crate::flinks::{AuthorizeMode, AuthorizeOutcome};

/// A refusal of the reconnect that a new login in Connect fixes: the session Flinks keeps has
/// expired (past the reconnect window) or the bank no longer accepts the saved login.
/// Transient failures and our own configuration are not: those are reported as they are.
fn needs_new_login(f: &ProviderFailure) -> bool {
    matches!(
        f.provider_code.as_deref(),
        Some("SESSION_EXPIRED" | "SESSION_NONEXISTENT" | "INVALID_LOGIN")
    )
}
use crate::FlinksClient;

pub struct FlinksLinks {
    client: Arc<FlinksClient>,
    pages: LinkPages,
}

impl FlinksLinks {
    pub fn new(client: Arc<FlinksClient>, pages: LinkPages) -> Self {
        FlinksLinks { client, pages }
    }
}

#[async_trait]
impl LinkProviderApi for FlinksLinks {
    fn provider(&self) -> Provider {
        Provider::Flinks
    }

    async fn link_url(&self, req: &LinkRequest<'_>) -> Result<LinkTarget, ProviderFailure> {
        if req.flow != LinkFlow::FlinksConnect {
            return Err(ProviderFailure::new(FailureKind::Configuration)
                .with_message("only Flinks Connect is a Flinks flow"));
        }
        let mut url = reqwest::Url::parse(&self.pages.flinks_connect_url).map_err(|e| {
            ProviderFailure::new(FailureKind::Configuration)
                .with_message(format!("bad Flinks Connect URL: {e}"))
        })?;
        // Past the reconnect window: Connect's credential step for the institution.
        if let (LinkPurpose::Reset, Some(institution)) = (req.purpose, req.bank) {
            let base = url.path().trim_end_matches('/').to_string();
            url.set_path(&format!("{base}/Credential/{institution}"));
        }
        {
            let mut q = url.query_pairs_mut();
            if self.pages.flinks_demo {
                q.append_pair("demo", "true");
            }
            q.append_pair("redirectUrl", &self.pages.redirect_with_state(req.state));
            q.append_pair("customerName", &self.pages.company_name);
            q.append_pair("consentEnable", "true");
            q.append_pair("tag", req.session_ref);
            if self.pages.flinks_oauth_window_redirect {
                q.append_pair("oauthWindowRedirect", "true");
            }
            if let Some(rid) = req.request_id {
                q.append_pair("requestId", rid);
            }
        }
        Ok(LinkTarget {
            url: url.to_string(),
            provider_session_id: None,
        })
    }

    /// A live refresh with the client present: `AuthorizeAsync` (the mid-session reconnect),
    /// or a live Authorize where Flinks has not activated it. 200: refreshed, nothing to do;
    /// 203: the client answers the challenge in Connect (`requestId`); a refusal that only a
    /// new login fixes (the reconnect window has passed): Connect's credential step.
    async fn reauth_need(&self, token: &Secret) -> Result<ReauthNeed, ProviderFailure> {
        let outcome = match self.client.reconnect(token).await {
            // Not activated for this customer: the documented live Authorize does the same.
            Err(f) if matches!(f.http_status, Some(404 | 405)) => {
                self.client
                    .authorize(token, AuthorizeMode::Live, None, None)
                    .await
            }
            other => other,
        };
        match outcome {
            Ok(AuthorizeOutcome::Authorized { .. }) => Ok(ReauthNeed::Healthy),
            Ok(AuthorizeOutcome::MfaRequired { request_id, .. }) => {
                Ok(ReauthNeed::Mfa { request_id })
            }
            Ok(AuthorizeOutcome::Pending { .. }) => Ok(ReauthNeed::Pending),
            Err(f) if needs_new_login(&f) => Ok(ReauthNeed::Credentials),
            Err(f) => Err(f),
        }
    }

    async fn last_live_refresh(
        &self,
        token: &Secret,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, ProviderFailure> {
        // Cached: never sends the client a challenge (it may still answer 203: then unknown).
        match self
            .client
            .authorize(token, AuthorizeMode::Cached, None, None)
            .await?
        {
            AuthorizeOutcome::Authorized { last_refresh, .. } => Ok(last_refresh),
            // 203 / 202: the answer does not say when the data last moved.
            AuthorizeOutcome::MfaRequired { .. } | AuthorizeOutcome::Pending { .. } => Ok(None),
        }
    }

    async fn delete_credential(&self, token: &Secret) -> Result<DeleteResult, ProviderFailure> {
        match self.client.delete_card(token).await {
            Ok(()) => Ok(DeleteResult::Deleted),
            Err(f)
                if f.kind == FailureKind::Removed
                    || f.provider_code.as_deref() == Some("INVALID_LOGIN") =>
            {
                Ok(DeleteResult::AlreadyGone)
            }
            Err(f) => Err(f),
        }
    }
}

//! What "Reauthorize" and "Renew now" start for a connection, from the provider's answer: the
//! same rule for the solo book's `LinkService` and a firm's book (`advisor-desk-firm`), so both
//! open the same link for the same need.

use super::provider::{LinkProviderApi, ReauthNeed};
use super::{LinkFlow, LinkPurpose};
use crate::domain::ProviderFailure;
use crate::secrets::Secret;

/// Why a connection's link is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reauth {
    /// What the provider says the connection needs (nothing when healthy).
    AsNeeded,
    /// "Renew now": a fresh SCA (Flanks `force: "sca"`) or live connection (Flinks) with the
    /// client present, before the bank asks.
    Renew,
}

impl Reauth {
    /// Asks the provider what the connection whose credential is `token` needs.
    pub async fn ask(
        self,
        api: &dyn LinkProviderApi,
        token: &Secret,
    ) -> Result<ReauthNeed, ProviderFailure> {
        match self {
            Reauth::AsNeeded => api.reauth_need(token).await,
            Reauth::Renew => api.renew_consent(token).await,
        }
    }
}

/// The link a connection needs before it works again.
pub struct ReauthLink {
    pub purpose: LinkPurpose,
    pub flow: LinkFlow,
    /// Flanks: the bank of the SCA / reset; Flinks credential step: the institution.
    pub bank: Option<String>,
    /// The provider's SCA or reset token.
    pub reauth_token: Option<Secret>,
    /// Flinks: the `requestId` of the MFA to answer.
    pub request_id: Option<String>,
}

/// What the provider's answer calls for.
pub enum ReauthPlan {
    /// Working (for Flinks: a live connection just answered, which renews the consent).
    Healthy,
    /// The first extraction has not finished: nothing for the client to do yet.
    ProviderStillWorking,
    Link(ReauthLink),
}

/// The plan for `need`, on a connection at `institution_id` (Flinks' credential step).
pub fn plan(need: ReauthNeed, institution_id: Option<&str>) -> ReauthPlan {
    let link = |purpose, flow, bank, reauth_token, request_id| {
        ReauthPlan::Link(ReauthLink {
            purpose,
            flow,
            bank,
            reauth_token,
            request_id,
        })
    };
    match need {
        ReauthNeed::Healthy => ReauthPlan::Healthy,
        ReauthNeed::Pending => ReauthPlan::ProviderStillWorking,
        // Any Flanks connection (legacy or Connect v2) is reauthorized with a legacy link: the
        // documented way to keep the credentials_token.
        ReauthNeed::Sca { token, bank } => link(
            LinkPurpose::Sca,
            LinkFlow::FlanksLink,
            bank,
            Some(token),
            None,
        ),
        ReauthNeed::Reset { token, bank } => link(
            LinkPurpose::Reset,
            LinkFlow::FlanksLink,
            bank,
            Some(token),
            None,
        ),
        ReauthNeed::Mfa { request_id } => link(
            LinkPurpose::Mfa,
            LinkFlow::FlinksConnect,
            None,
            None,
            Some(request_id),
        ),
        ReauthNeed::Credentials => link(
            LinkPurpose::Reset,
            LinkFlow::FlinksConnect,
            institution_id.map(str::to_string),
            None,
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_need_opens_the_link_the_provider_documents() {
        let sca = plan(
            ReauthNeed::Sca {
                token: Secret::new("sca-1"),
                bank: Some("testbank".into()),
            },
            None,
        );
        let ReauthPlan::Link(l) = sca else {
            panic!("a link")
        };
        assert_eq!(
            (l.purpose, l.flow),
            (LinkPurpose::Sca, LinkFlow::FlanksLink)
        );
        assert_eq!(l.bank.as_deref(), Some("testbank"));
        assert_eq!(l.reauth_token.unwrap().expose(), "sca-1");

        let ReauthPlan::Link(l) = plan(ReauthNeed::Credentials, Some("FlinksCapital")) else {
            panic!("a link")
        };
        assert_eq!(
            (l.purpose, l.flow, l.bank.as_deref()),
            (
                LinkPurpose::Reset,
                LinkFlow::FlinksConnect,
                Some("FlinksCapital")
            )
        );
        let ReauthPlan::Link(l) = plan(
            ReauthNeed::Mfa {
                request_id: "r-9".into(),
            },
            None,
        ) else {
            panic!("a link")
        };
        assert_eq!(
            (l.purpose, l.request_id.as_deref()),
            (LinkPurpose::Mfa, Some("r-9"))
        );
        assert!(matches!(
            plan(ReauthNeed::Healthy, None),
            ReauthPlan::Healthy
        ));
        assert!(matches!(
            plan(ReauthNeed::Pending, None),
            ReauthPlan::ProviderStillWorking
        ));
    }
}

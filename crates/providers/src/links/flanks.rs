//! Flanks for the link flows: legacy Link URLs (state and client reference as extra
//! parameters), Connect v2 sessions, code exchange, unused codes, the credentials list and
//! status, and deletion.

use std::sync::Arc;

use advisor_desk_core::domain::{FailureKind, Provider, ProviderFailure, RemoteState};
use advisor_desk_core::links::{
    CodeExchange, ConnectSessionState, DeleteResult, LinkFlow, LinkProviderApi, LinkPurpose,
    LinkRequest, LinkTarget, PendingCode, ReauthNeed, RemoteCredential,
};
use advisor_desk_core::secrets::Secret;
use async_trait::async_trait;
use tokio::sync::OnceCell;

use super::pages::LinkPages;
use crate::flanks::{ExchangeOutcome, ForceKind, SessionStatus};
use crate::FlanksClient;

/// The credentials list is paged; stop here whatever `pages` says.
const MAX_PAGES: i64 = 200;

pub struct FlanksLinks {
    client: Arc<FlanksClient>,
    pages: LinkPages,
    link_token: OnceCell<String>,
}

impl FlanksLinks {
    pub fn new(client: Arc<FlanksClient>, pages: LinkPages) -> Self {
        let link_token = OnceCell::new_with(pages.flanks_link_token.clone());
        FlanksLinks {
            client,
            pages,
            link_token,
        }
    }

    /// The configured link token, or an active link redirecting to the app, or a new one.
    async fn link_token(&self) -> Result<&str, ProviderFailure> {
        self.link_token
            .get_or_try_init(|| async {
                let links = self.client.list_links().await?;
                if let Some(l) = links.into_iter().find(|l| {
                    l.redirect_uri.as_deref() == Some(self.pages.redirect_uri.as_str())
                        && l.active != Some(false)
                }) {
                    return Ok(l.token);
                }
                let link = self
                    .client
                    .create_link(&self.pages.redirect_uri, Some(&self.pages.company_name))
                    .await?;
                Ok(link.token)
            })
            .await
            .map(String::as_str)
    }

    async fn legacy_url(&self, req: &LinkRequest<'_>) -> Result<String, ProviderFailure> {
        let token = self.link_token().await?.to_string();
        let mut url = reqwest::Url::parse(&self.pages.flanks_link_url).map_err(|e| {
            ProviderFailure::new(FailureKind::Configuration)
                .with_message(format!("bad Flanks link page URL: {e}"))
        })?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("token", &token);
            if let Some(bank) = req.bank {
                q.append_pair("bank", bank);
            }
            match (req.purpose, req.reauth_token) {
                (LinkPurpose::Sca, Some(t)) => {
                    q.append_pair("sca_token", t.expose());
                }
                (LinkPurpose::Reset, Some(t)) => {
                    q.append_pair("reset_token", t.expose());
                }
                _ => {}
            }
            // Every error comes back as a redirect (with these extra parameters) instead of
            // an error screen, so the flow always ends in the app.
            q.append_pair("rollback", "true");
            // The client it is for, kept by Flanks with the credential and the code: what
            // rebuilds a lost book (`core::links::reference`).
            q.append_pair("external_id", req.client_ref);
            q.append_pair("client_ref", req.client_ref);
            q.append_pair("state", req.state);
        }
        Ok(url.to_string())
    }
}

fn spent(f: &ProviderFailure) -> bool {
    matches!(f.http_status, Some(400) | Some(404) | Some(410))
}

#[async_trait]
impl LinkProviderApi for FlanksLinks {
    fn provider(&self) -> Provider {
        Provider::Flanks
    }

    async fn link_url(&self, req: &LinkRequest<'_>) -> Result<LinkTarget, ProviderFailure> {
        match req.flow {
            LinkFlow::FlanksLink => Ok(LinkTarget {
                url: self.legacy_url(req).await?,
                provider_session_id: None,
            }),
            LinkFlow::FlanksConnectV2 => {
                let redirect = self.pages.redirect_with_state(req.state);
                let connector = req.bank.map(|b| {
                    if b.contains(':') {
                        b.to_string()
                    } else {
                        format!("esp:{b}")
                    }
                });
                let session = self
                    .client
                    .create_session(&redirect, connector.as_deref())
                    .await?;
                let url = session.url.ok_or_else(|| {
                    ProviderFailure::new(FailureKind::BadResponse)
                        .with_endpoint("/connect/v2/sessions/create-session")
                        .with_message("the session has no URL")
                })?;
                Ok(LinkTarget {
                    url,
                    provider_session_id: Some(session.session_id),
                })
            }
            LinkFlow::FlinksConnect => Err(ProviderFailure::new(FailureKind::Configuration)
                .with_message("Flinks Connect is not a Flanks flow")),
        }
    }

    async fn exchange_code(&self, code: &Secret) -> Result<CodeExchange, ProviderFailure> {
        match self.client.exchange_code(code).await {
            Ok(ExchangeOutcome::Exchanged {
                credentials_token,
                extra,
                ..
            }) => Ok(CodeExchange::Exchanged {
                token: credentials_token,
                extra,
            }),
            Ok(ExchangeOutcome::Delayed) => Ok(CodeExchange::Delayed),
            Err(f) if spent(&f) => Ok(CodeExchange::Spent),
            Err(f) => Err(f),
        }
    }

    async fn unused_codes(&self) -> Result<Vec<PendingCode>, ProviderFailure> {
        let token = self.link_token().await?.to_string();
        Ok(self
            .client
            .unused_codes(Some(&token))
            .await?
            .into_iter()
            .map(|c| PendingCode {
                code: c.code,
                extra: c.extra,
            })
            .collect())
    }

    async fn credentials(&self) -> Result<Vec<RemoteCredential>, ProviderFailure> {
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let p = self.client.list_credentials(page).await?;
            let pages = p.pages;
            out.extend(p.items.into_iter().map(|c| RemoteCredential {
                token: c.credentials_token,
                external_id: c.external_id,
                bank: c.bank,
            }));
            if page >= pages || page >= MAX_PAGES {
                return Ok(out);
            }
            page += 1;
        }
    }

    async fn reauth_need(&self, token: &Secret) -> Result<ReauthNeed, ProviderFailure> {
        let status = self.client.credential_status(token).await?;
        let bank = status.bank.clone();
        Ok(match status.remote_state() {
            RemoteState::Ready => ReauthNeed::Healthy,
            RemoteState::Pending => ReauthNeed::Pending,
            RemoteState::PendingSca => match status.sca_token {
                Some(t) => ReauthNeed::Sca { token: t, bank },
                None => ReauthNeed::Sca {
                    token: self.client.force(token, ForceKind::Sca).await?,
                    bank,
                },
            },
            // Blocked without a reset token: ask for one (documented PUT force).
            RemoteState::Blocked => match status.reset_token {
                Some(t) => ReauthNeed::Reset { token: t, bank },
                None => ReauthNeed::Reset {
                    token: self.client.force(token, ForceKind::Reset).await?,
                    bank,
                },
            },
        })
    }

    /// Proactive SCA (providers.md): an `sca_token` asked for before the bank asks, so the
    /// client renews consent while present. A credential already needing the client gets
    /// what it needs instead.
    async fn renew_consent(&self, token: &Secret) -> Result<ReauthNeed, ProviderFailure> {
        match self.reauth_need(token).await? {
            ReauthNeed::Healthy => {
                let bank = self.client.credential_status(token).await?.bank;
                Ok(ReauthNeed::Sca {
                    token: self.client.force(token, ForceKind::Sca).await?,
                    bank,
                })
            }
            other => Ok(other),
        }
    }

    async fn connect_session(
        &self,
        session_id: &str,
    ) -> Result<ConnectSessionState, ProviderFailure> {
        let page = self
            .client
            .list_sessions(&[session_id.to_string()], None)
            .await?;
        let Some(s) = page.items.into_iter().find(|s| s.session_id == session_id) else {
            return Ok(ConnectSessionState::Unknown);
        };
        Ok(match (s.status, s.connection_id, s.error_code) {
            (SessionStatus::FinishedOk, Some(token), _) => ConnectSessionState::Finished { token },
            (SessionStatus::FinishedOk, None, _) => ConnectSessionState::Failed {
                code: "InternalError".into(),
            },
            (SessionStatus::FinishedError, _, code) => ConnectSessionState::Failed {
                code: code.unwrap_or_else(|| "InternalError".into()),
            },
            _ => ConnectSessionState::InProgress,
        })
    }

    async fn delete_credential(&self, token: &Secret) -> Result<DeleteResult, ProviderFailure> {
        match self.client.delete_credentials(token).await {
            Ok(()) => Ok(DeleteResult::Deleted),
            Err(f) if f.kind == FailureKind::Removed => Ok(DeleteResult::AlreadyGone),
            Err(f) => Err(f),
        }
    }
}

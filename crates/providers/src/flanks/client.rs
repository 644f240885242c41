//! The Flanks HTTP client.

use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::domain::{FailureKind, Provider, ProviderFailure};
use advisor_desk_core::secrets::Secret;
use advisor_desk_core::sync::CallLog;
use reqwest::Method;
use serde_json::{json, Value};

use super::answers::{
    self, Bank, Connector, CredentialStatus, CredentialsPage, ExchangeOutcome, ForceKind, Link,
    Page, Session, UnusedCode,
};
use super::auth::TokenCache;
use crate::config::FlanksConfig;
use crate::http::{Call, HttpClient, RawResponse};

/// Every aggregation endpoint under `/v0/bank/credentials/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregationEndpoint {
    Portfolio,
    Investment,
    InvestmentTransaction,
    Account,
    AccountTransaction,
    Card,
    CardTransaction,
    Liability,
    LiabilityTransaction,
    Auth,
    Holder,
    All,
}

impl AggregationEndpoint {
    pub fn path(self) -> &'static str {
        use AggregationEndpoint::*;
        match self {
            Portfolio => "/v0/bank/credentials/portfolio",
            Investment => "/v0/bank/credentials/investment",
            InvestmentTransaction => "/v0/bank/credentials/investment/transaction",
            Account => "/v0/bank/credentials/account",
            AccountTransaction => "/v0/bank/credentials/data",
            Card => "/v0/bank/credentials/card",
            CardTransaction => "/v0/bank/credentials/card/transaction",
            Liability => "/v0/bank/credentials/liability",
            LiabilityTransaction => "/v0/bank/credentials/liability/transaction",
            Auth => "/v0/bank/credentials/auth",
            Holder => "/v0/bank/credentials/holder",
            All => "/v0/bank/credentials/all",
        }
    }
}

pub struct FlanksClient {
    http: HttpClient,
    base: String,
    client_id: Secret,
    client_secret: Secret,
    token: TokenCache,
}

impl FlanksClient {
    pub fn new(config: FlanksConfig, log: Arc<dyn CallLog>) -> Result<Self, ProviderFailure> {
        Ok(FlanksClient {
            http: HttpClient::new(Provider::Flanks, config.http.clone(), log)?,
            base: config.base_url,
            client_id: config.client_id,
            client_secret: config.client_secret,
            token: TokenCache::default(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn fetch_token(&self) -> Result<(Secret, Duration), ProviderFailure> {
        let call = Call::new(answers::TOKEN, Method::POST, self.url(answers::TOKEN)).json(json!({
            "client_id": self.client_id.expose(),
            "client_secret": self.client_secret.expose(),
            "grant_type": "client_credentials",
        }));
        answers::token(&self.http.send(&call).await?)
    }

    /// Sends an authenticated call; on 401 the token is refreshed once and the call resent.
    /// A second 401 is the advisor's problem (keys), classified as such.
    async fn authed(
        &self,
        endpoint: &'static str,
        method: Method,
        url: String,
        body: Option<Value>,
        once_only: bool,
    ) -> Result<RawResponse, ProviderFailure> {
        for round in 0..2 {
            let (token, generation) = self.token.get(|| self.fetch_token()).await?;
            let bearer = Secret::new(format!("Bearer {}", token.expose()));
            let mut call = Call::new(endpoint, method.clone(), url.clone())
                .secret_header("authorization", bearer.expose());
            if let Some(b) = &body {
                call = call.json(b.clone());
            }
            if once_only {
                call = call.once_only();
            }
            let resp = self.http.send(&call).await?;
            if resp.status == 401 && round == 0 {
                self.token.invalidate(generation).await;
                continue;
            }
            return Ok(resp);
        }
        unreachable!("the loop returns in its second round")
    }

    /// An authenticated call to `path` with a JSON body.
    async fn send_json(
        &self,
        path: &'static str,
        method: Method,
        body: Value,
    ) -> Result<RawResponse, ProviderFailure> {
        self.authed(path, method, self.url(path), Some(body), false)
            .await
    }

    /// Exchanges a one-use link code. Never resent once it may have arrived: a lost answer
    /// is recovered through [`unused_codes`](Self::unused_codes) instead.
    pub async fn exchange_code(&self, code: &Secret) -> Result<ExchangeOutcome, ProviderFailure> {
        let path = answers::PLATFORM_LINK;
        let body = json!({ "code": code.expose() });
        let resp = self
            .authed(path, Method::POST, self.url(path), Some(body), true)
            .await?;
        answers::exchange(&resp)
    }

    /// Codes never exchanged (mobile flow, or a redirect that never reached us).
    pub async fn unused_codes(
        &self,
        link_token: Option<&str>,
    ) -> Result<Vec<UnusedCode>, ProviderFailure> {
        let path = answers::PLATFORM_LINK;
        let mut url = reqwest::Url::parse(&self.url(path)).map_err(|e| {
            ProviderFailure::new(FailureKind::Configuration).with_message(e.to_string())
        })?;
        if let Some(t) = link_token {
            url.query_pairs_mut().append_pair("link_token", t);
        }
        let resp = self
            .authed(path, Method::GET, url.to_string(), None, false)
            .await?;
        answers::unused_codes(&resp)
    }

    pub async fn list_links(&self) -> Result<Vec<Link>, ProviderFailure> {
        let resp = self
            .send_json(answers::LIST_LINKS, Method::POST, json!({}))
            .await?;
        answers::links(&resp)
    }

    pub async fn create_link(
        &self,
        redirect_uri: &str,
        name: Option<&str>,
    ) -> Result<Link, ProviderFailure> {
        let body = json!({ "redirect_uri": redirect_uri, "name": name });
        let resp = self
            .send_json(answers::CREATE_LINK, Method::POST, body)
            .await?;
        answers::created_link(&resp)
    }

    pub async fn banks(&self) -> Result<Vec<Bank>, ProviderFailure> {
        let path = answers::BANKS;
        let resp = self
            .authed(path, Method::GET, self.url(path), None, false)
            .await?;
        answers::banks(&resp)
    }

    pub async fn list_connectors(
        &self,
        connector_ids: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Connector>, ProviderFailure> {
        let mut body = json!({ "query": {} });
        if !connector_ids.is_empty() {
            body["query"]["connector_id_in"] = json!(connector_ids);
        }
        if let Some(t) = page_token {
            body["page_token"] = json!(t);
        }
        let resp = self
            .send_json(answers::LIST_CONNECTORS, Method::POST, body)
            .await?;
        answers::connectors(&resp)
    }

    /// Creates a Connect v2 session (new connection, reconnection or MFA of an existing one).
    pub async fn create_session(
        &self,
        redirect_url: &str,
        connector_id: Option<&str>,
    ) -> Result<Session, ProviderFailure> {
        let mut configuration = json!({ "redirect_url": redirect_url });
        if let Some(c) = connector_id {
            configuration["connector_id"] = json!(c);
        }
        let body = json!({ "configuration": configuration });
        let resp = self
            .send_json(answers::CREATE_SESSION, Method::POST, body)
            .await?;
        answers::created_session(&resp)
    }

    pub async fn list_sessions(
        &self,
        session_ids: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Session>, ProviderFailure> {
        let mut body = json!({ "query": { "session_id_in": session_ids } });
        if let Some(t) = page_token {
            body["page_token"] = json!(t);
        }
        let resp = self
            .send_json(answers::LIST_SESSIONS, Method::POST, body)
            .await?;
        answers::sessions(&resp)
    }

    pub async fn credential_status(
        &self,
        token: &Secret,
    ) -> Result<CredentialStatus, ProviderFailure> {
        let body = json!({ "credentials_token": token.expose() });
        let resp = self
            .send_json(answers::CREDENTIALS_STATUS, Method::POST, body)
            .await?;
        answers::credential_status(&resp)
    }

    /// Asks for an SCA, reset or transaction token for a credential; returns it.
    pub async fn force(&self, token: &Secret, kind: ForceKind) -> Result<Secret, ProviderFailure> {
        let body = json!({ "credentials_token": token.expose(), "force": kind.as_str() });
        let resp = self
            .send_json(answers::CREDENTIALS_STATUS, Method::PUT, body)
            .await?;
        answers::forced_token(&resp, kind)
    }

    pub async fn list_credentials(&self, page: i64) -> Result<CredentialsPage, ProviderFailure> {
        let resp = self
            .send_json(
                answers::CREDENTIALS_LIST,
                Method::POST,
                json!({ "page": page }),
            )
            .await?;
        answers::credentials_page(&resp, page)
    }

    pub async fn delete_credentials(&self, token: &Secret) -> Result<(), ProviderFailure> {
        let body = json!({ "credentials_token": token.expose() });
        let resp = self
            .send_json(answers::CREDENTIALS, Method::DELETE, body)
            .await?;
        answers::deleted(&resp)
    }

    /// Any aggregation endpoint: the bare JSON array (an object for `auth`).
    pub async fn aggregation(
        &self,
        token: &Secret,
        endpoint: AggregationEndpoint,
        query: Option<Value>,
    ) -> Result<Value, ProviderFailure> {
        let mut body = json!({ "credentials_token": token.expose() });
        if let Some(q) = query {
            body["query"] = q;
        }
        let path = endpoint.path();
        let resp = self.send_json(path, Method::POST, body).await?;
        answers::aggregation(path, &resp)
    }
}

//! The Flinks HTTP client.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::domain::{FailureKind, Provider, ProviderFailure};
use advisor_desk_core::secrets::Secret;
use advisor_desk_core::sync::CallLog;
use reqwest::Method;
use serde_json::{json, Value};

use super::answers::{self, AuthorizeOutcome};
use super::errors::{classify, flinks_code};
use crate::config::FlinksConfig;
use crate::http::{Call, HttpClient};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizeMode {
    /// `MostRecentCached: true`: the data Flinks already holds; never asks for MFA.
    Cached,
    /// A live refresh at the bank; may answer 203 with security questions.
    Live,
}

pub struct FlinksClient {
    http: HttpClient,
    base: String,
    customer_id: String,
    secret_key: Secret,
    api_key: Secret,
    poll_interval: Duration,
    deadline: Duration,
    days: &'static str,
}

impl FlinksClient {
    pub fn new(config: FlinksConfig, log: Arc<dyn CallLog>) -> Result<Self, ProviderFailure> {
        Ok(FlinksClient {
            http: HttpClient::new(Provider::Flinks, config.http.clone(), log)?,
            base: config.base_url,
            customer_id: config.customer_id,
            secret_key: config.secret_key,
            api_key: config.api_key,
            poll_interval: config.async_poll_interval,
            deadline: config.async_deadline,
            days: config.days_of_transactions,
        })
    }

    fn url(&self, rest: &str) -> String {
        format!(
            "{}/v3/{}/BankingServices/{}",
            self.base, self.customer_id, rest
        )
    }

    /// A single-use authorize token (15–30 minutes).
    pub async fn generate_authorize_token(&self) -> Result<Secret, ProviderFailure> {
        let endpoint = answers::GENERATE_AUTHORIZE_TOKEN;
        let call = Call::new(endpoint, Method::POST, self.url("GenerateAuthorizeToken"))
            .secret_header("flinks-auth-key", self.secret_key.expose())
            .json(json!({}));
        answers::authorize_token(&self.http.send(&call).await?)
    }

    /// Authorize with a loginId. A rejected authorize token (401 UNAUTHORIZED) is replaced
    /// once; any other error is classified.
    pub async fn authorize(
        &self,
        login_id: &Secret,
        mode: AuthorizeMode,
        request_id: Option<&str>,
        answers: Option<&BTreeMap<String, Vec<String>>>,
    ) -> Result<AuthorizeOutcome, ProviderFailure> {
        let mut body = json!({
            "LoginId": login_id.expose(),
            "MostRecentCached": mode == AuthorizeMode::Cached,
            "Save": true,
        });
        if let Some(r) = request_id {
            body["RequestId"] = json!(r);
        }
        if let Some(a) = answers {
            body["SecurityResponses"] = json!(a);
        }
        self.send_authorize(body).await
    }

    /// Answers the security questions of a 203, on the same RequestId.
    pub async fn answer_mfa(
        &self,
        request_id: &str,
        answers: &BTreeMap<String, Vec<String>>,
    ) -> Result<AuthorizeOutcome, ProviderFailure> {
        self.send_authorize(json!({
            "RequestId": request_id,
            "SecurityResponses": answers,
        }))
        .await
    }

    /// Legacy direct Authorize with the bank login itself (Username / Password /
    /// Institution), a live authorization; answers the same outcomes.
    pub async fn authorize_direct(
        &self,
        username: &str,
        password: &Secret,
        institution: &str,
    ) -> Result<AuthorizeOutcome, ProviderFailure> {
        self.send_authorize(json!({
            "Username": username,
            "Password": password.expose(),
            "Institution": institution,
            "MostRecentCached": false,
            "Save": true,
        }))
        .await
    }

    /// A live refresh with the client present (Flinks' mid-session reconnect):
    /// `AuthorizeAsync {LoginId, MostRecentCached:false, Save:true}` → 202, polled with its
    /// RequestId every `async_poll_interval` until 200 / 203 or `async_deadline` (then
    /// `Pending`). Any other answer is returned as the failure it is.
    pub async fn reconnect(&self, login_id: &Secret) -> Result<AuthorizeOutcome, ProviderFailure> {
        let started = tokio::time::Instant::now();
        let mut outcome = self
            .send_authorize_to(
                answers::AUTHORIZE_ASYNC,
                "AuthorizeAsync",
                json!({"LoginId": login_id.expose(), "MostRecentCached": false, "Save": true}),
            )
            .await?;
        while let AuthorizeOutcome::Pending { request_id } = &outcome {
            if started.elapsed() + self.poll_interval > self.deadline {
                break;
            }
            tokio::time::sleep(self.poll_interval).await;
            let body = json!({ "RequestId": request_id });
            outcome = self
                .send_authorize_to(answers::AUTHORIZE_ASYNC, "AuthorizeAsync", body)
                .await?;
        }
        Ok(outcome)
    }

    async fn send_authorize(&self, body: Value) -> Result<AuthorizeOutcome, ProviderFailure> {
        self.send_authorize_to(answers::AUTHORIZE, "Authorize", body)
            .await
    }

    /// `Authorize` or `AuthorizeAsync`: each try with a fresh single-use authorize token.
    async fn send_authorize_to(
        &self,
        endpoint: &'static str,
        name: &str,
        body: Value,
    ) -> Result<AuthorizeOutcome, ProviderFailure> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.http.max_attempts();
            let token = self.generate_authorize_token().await?;
            // The authorize token is single-use: the transport never resends it (a lost answer
            // may have consumed it); each try here takes a fresh token instead.
            let call = Call::new(endpoint, Method::POST, self.url(name))
                .secret_header("flinks-auth-key", token.expose())
                .json(body.clone())
                .once_only();
            let resp = match self.http.send(&call).await {
                Ok(r) => r,
                Err(f) if f.kind.is_transient() && !last => {
                    tokio::time::sleep(self.http.backoff(attempt)).await;
                    continue;
                }
                Err(f) => return Err(f),
            };
            // UNAUTHORIZED here means the authorize token was refused (expired, or used by
            // an attempt whose answer was lost), not our keys: those failed at generation.
            let token_refused =
                resp.status == 401 && flinks_code(&resp).as_deref() == Some("UNAUTHORIZED");
            if (token_refused || resp.status >= 500) && !last {
                tokio::time::sleep(self.http.backoff(attempt)).await;
                continue;
            }
            if token_refused {
                let mut f = classify(endpoint, &resp);
                f.kind = FailureKind::ProviderUnavailable;
                return Err(f);
            }
            return if endpoint == answers::AUTHORIZE_ASYNC {
                answers::authorize_async(&resp)
            } else {
                answers::authorize(&resp)
            };
        }
    }

    /// Accounts with transactions. A 202 (OPERATION_PENDING / DISPATCHED) is polled on the
    /// Async endpoint every `async_poll_interval` until 200 or `async_deadline`.
    pub async fn accounts_detail(&self, request_id: &str) -> Result<Value, ProviderFailure> {
        let body = json!({
            "RequestId": request_id,
            "WithAccountIdentity": true,
            "WithTransactions": true,
            "DaysOfTransactions": self.days,
        });
        self.data_with_polling(
            answers::GET_ACCOUNTS_DETAIL,
            "GetAccountsDetail",
            "/BankingServices/GetAccountsDetailAsync/{requestId}",
            "GetAccountsDetailAsync",
            request_id,
            body,
        )
        .await
    }

    /// Accounts without transactions.
    pub async fn accounts_summary(&self, request_id: &str) -> Result<Value, ProviderFailure> {
        self.data_with_polling(
            answers::GET_ACCOUNTS_SUMMARY,
            "GetAccountsSummary",
            "/BankingServices/GetAccountsSummaryAsync/{requestId}",
            "GetAccountsSummaryAsync",
            request_id,
            json!({ "RequestId": request_id }),
        )
        .await
    }

    async fn data_with_polling(
        &self,
        endpoint: &'static str,
        name: &str,
        async_endpoint: &'static str,
        async_name: &str,
        request_id: &str,
        body: Value,
    ) -> Result<Value, ProviderFailure> {
        let call = Call::new(endpoint, Method::POST, self.url(name))
            .secret_header("x-api-key", self.api_key.expose())
            .json(body);
        let mut resp = self.http.send(&call).await?;
        let started = tokio::time::Instant::now();
        while resp.status == 202 {
            if started.elapsed() + self.poll_interval > self.deadline {
                let retry = chrono::Duration::from_std(self.poll_interval)
                    .ok()
                    .map(|d| chrono::Utc::now() + d);
                return Err(classify(endpoint, &resp)
                    .with_retry_at(retry)
                    .with_message("still processing at the polling deadline"));
            }
            tokio::time::sleep(self.poll_interval).await;
            let poll = Call::new(
                async_endpoint,
                Method::GET,
                self.url(&format!("{async_name}/{request_id}")),
            )
            .secret_header("x-api-key", self.api_key.expose());
            resp = self.http.send(&poll).await?;
        }
        answers::data(endpoint, &resp)
    }

    /// Deletes the loginId and all its data at Flinks.
    pub async fn delete_card(&self, login_id: &Secret) -> Result<(), ProviderFailure> {
        let endpoint = answers::DELETE_CARD;
        let call = Call::new(
            endpoint,
            Method::DELETE,
            self.url(&format!("DeleteCard/{}", login_id.expose())),
        )
        .secret_header("x-api-key", self.api_key.expose());
        answers::deleted(&self.http.send(&call).await?)
    }
}

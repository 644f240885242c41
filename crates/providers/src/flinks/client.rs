//! The Flinks HTTP client.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::domain::{FailureKind, Provider, ProviderFailure};
use advisor_desk_core::secrets::Secret;
use advisor_desk_core::sync::CallLog;
use reqwest::Method;
use serde_json::{json, Value};

use super::errors::{classify, flinks_code};
use crate::config::FlinksConfig;
use crate::http::{Call, HttpClient, RawResponse};
use crate::lenient;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizeMode {
    /// `MostRecentCached: true`: the data Flinks already holds; never asks for MFA.
    Cached,
    /// A live refresh at the bank; may answer 203 with security questions.
    Live,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub kind: String,
    pub prompt: String,
    pub iterables: Vec<String>,
}

#[derive(Debug)]
pub enum AuthorizeOutcome {
    Authorized {
        request_id: String,
        /// `Login.Id`: the loginId (a secret), as Authorize reports it.
        login_id: Option<Secret>,
        institution: Option<String>,
        last_refresh: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// 203: the client must answer; open the widget with `?requestId=` or send answers.
    MfaRequired {
        request_id: String,
        challenges: Vec<Challenge>,
    },
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

fn text(v: &Value, key: &str) -> Option<String> {
    lenient::text(&v.get(key).cloned())
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
        let endpoint = "/BankingServices/GenerateAuthorizeToken";
        let call = Call::new(endpoint, Method::POST, self.url("GenerateAuthorizeToken"))
            .secret_header("flinks-auth-key", self.secret_key.expose())
            .json(json!({}));
        let resp = self.http.send(&call).await?;
        let v = success_json(endpoint, &resp)?;
        text(&v, "Token")
            .map(Secret::new)
            .ok_or_else(|| bad(endpoint, "no Token in the answer"))
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

    async fn send_authorize(&self, body: Value) -> Result<AuthorizeOutcome, ProviderFailure> {
        let endpoint = "/BankingServices/Authorize";
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.http.max_attempts();
            let token = self.generate_authorize_token().await?;
            // The authorize token is single-use: the transport never resends it (a lost answer
            // may have consumed it); each try here takes a fresh token instead.
            let call = Call::new(endpoint, Method::POST, self.url("Authorize"))
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
            let v = resp.json().unwrap_or(Value::Null);
            return match resp.status {
                200 => Ok(AuthorizeOutcome::Authorized {
                    request_id: text(&v, "RequestId")
                        .ok_or_else(|| bad(endpoint, "no RequestId in the answer"))?,
                    login_id: v
                        .get("Login")
                        .and_then(|l| lenient::text(&l.get("Id").cloned()))
                        .map(Secret::new),
                    institution: text(&v, "Institution"),
                    last_refresh: v
                        .get("Login")
                        .and_then(|l| l.get("LastRefresh"))
                        .and_then(Value::as_str)
                        .and_then(|s| lenient::utc_datetime(Some(s))),
                }),
                203 => Ok(AuthorizeOutcome::MfaRequired {
                    request_id: text(&v, "RequestId")
                        .ok_or_else(|| bad(endpoint, "no RequestId in the answer"))?,
                    challenges: v
                        .get("SecurityChallenges")
                        .and_then(Value::as_array)
                        .map(|cs| {
                            cs.iter()
                                .map(|c| Challenge {
                                    kind: text(c, "Type").unwrap_or_default(),
                                    prompt: text(c, "Prompt").unwrap_or_default(),
                                    iterables: c
                                        .get("Iterables")
                                        .and_then(Value::as_array)
                                        .map(|i| {
                                            i.iter()
                                                .filter_map(|x| x.as_str().map(str::to_string))
                                                .collect()
                                        })
                                        .unwrap_or_default(),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                }),
                _ => Err(classify(endpoint, &resp)),
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
            "/BankingServices/GetAccountsDetail",
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
            "/BankingServices/GetAccountsSummary",
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
        success_json(endpoint, &resp)
    }

    /// Deletes the loginId and all its data at Flinks.
    pub async fn delete_card(&self, login_id: &Secret) -> Result<(), ProviderFailure> {
        let endpoint = "/BankingServices/DeleteCard/{loginId}";
        let call = Call::new(
            endpoint,
            Method::DELETE,
            self.url(&format!("DeleteCard/{}", login_id.expose())),
        )
        .secret_header("x-api-key", self.api_key.expose());
        let resp = self.http.send(&call).await?;
        success_json(endpoint, &resp).map(|_| ())
    }
}

fn bad(endpoint: &'static str, what: &str) -> ProviderFailure {
    ProviderFailure::new(FailureKind::BadResponse)
        .with_endpoint(endpoint)
        .with_message(what)
}

fn success_json(endpoint: &'static str, resp: &RawResponse) -> Result<Value, ProviderFailure> {
    if resp.status != 200 {
        return Err(classify(endpoint, resp));
    }
    serde_json::from_slice(&resp.body).map_err(|_| bad(endpoint, "unreadable JSON"))
}

//! The Flanks HTTP client.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::domain::{FailureKind, Provider, ProviderFailure, RemoteState};
use advisor_desk_core::secrets::Secret;
use advisor_desk_core::sync::CallLog;
use reqwest::Method;
use serde::Serialize;
use serde_json::{json, Value};

use super::auth::TokenCache;
use super::errors::classify;
use super::wire::{StatusWire, TokenWire};
use crate::config::FlanksConfig;
use crate::http::{Call, HttpClient, RawResponse};
use crate::lenient;

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

/// The result of exchanging a one-use link code.
pub enum ExchangeOutcome {
    Exchanged {
        credentials_token: Secret,
        link_token: Option<String>,
        /// The link's extra query parameters: they say which client the code belongs to.
        extra: BTreeMap<String, String>,
    },
    /// `delayed=true` codes answer 202: security checks, the token comes within 72 h.
    Delayed,
}

pub struct UnusedCode {
    pub code: Secret,
    pub link_token: Option<String>,
    pub extra: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bank {
    pub id: String,
    pub name: String,
    pub country: Option<String>,
    pub logo_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub token: String,
    pub name: Option<String>,
    pub redirect_uri: Option<String>,
    pub active: Option<bool>,
    pub pending_code_count: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connector {
    pub connector_id: String,
    pub name: Option<String>,
    pub countries: Vec<String>,
    pub kind: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStatus {
    WaitingProvideCredentials,
    WaitingChallenge,
    ProcessingProvideCredentials,
    ProcessingChallenge,
    FinishedOk,
    FinishedError,
    Other(String),
}

impl SessionStatus {
    fn parse(s: &str) -> Self {
        match s {
            "Waiting:ProvideCredentials" => Self::WaitingProvideCredentials,
            "Waiting:Challenge" => Self::WaitingChallenge,
            "Processing:ProvideCredentials" => Self::ProcessingProvideCredentials,
            "Processing:Challenge" => Self::ProcessingChallenge,
            "Finished:OK" => Self::FinishedOk,
            "Finished:Error" => Self::FinishedError,
            other => Self::Other(other.to_string()),
        }
    }
}

/// A Connect v2 session. `connection_id` is the credentials_token under its v2 name.
#[derive(Debug)]
pub struct Session {
    pub session_id: String,
    pub status: SessionStatus,
    pub connection_id: Option<Secret>,
    pub error_code: Option<String>,
    pub url: Option<String>,
}

/// Credentials status (seed 003). The reauthorization tokens are secrets.
#[derive(Debug)]
pub struct CredentialStatus {
    pub pending: bool,
    pub blocked: bool,
    pub sca_token: Option<Secret>,
    pub reset_token: Option<Secret>,
    pub transaction_token: Option<Secret>,
    pub bank: Option<String>,
    pub last_update: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_transaction_date: Option<chrono::NaiveDate>,
    /// Products whose extraction errored (`account`, `portfolio` …).
    pub errored_products: Vec<String>,
}

impl CredentialStatus {
    /// Blocked wins over Pending SCA (a new password is needed before any SCA), and both over
    /// pending: data stays readable in both states but is no longer updated.
    pub fn remote_state(&self) -> RemoteState {
        if self.blocked || self.reset_token.is_some() {
            RemoteState::Blocked
        } else if self.sca_token.is_some() {
            RemoteState::PendingSca
        } else if self.pending {
            RemoteState::Pending
        } else {
            RemoteState::Ready
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForceKind {
    Sca,
    Reset,
    Transaction,
}

impl ForceKind {
    fn as_str(self) -> &'static str {
        match self {
            ForceKind::Sca => "sca",
            ForceKind::Reset => "reset",
            ForceKind::Transaction => "transaction",
        }
    }
}

#[derive(Debug)]
pub struct CredentialSummary {
    pub credentials_token: Secret,
    pub external_id: Option<String>,
    pub bank: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug)]
pub struct CredentialsPage {
    pub items: Vec<CredentialSummary>,
    pub page: i64,
    pub pages: i64,
    pub skipped: u32,
}

pub struct FlanksClient {
    http: HttpClient,
    base: String,
    client_id: Secret,
    client_secret: Secret,
    token: TokenCache,
}

/// Providers.md: tokens live 3600 s; used when `expires_in` is missing.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

fn flag(v: &Option<Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    }
}

fn non_empty_secret(s: Option<String>) -> Option<Secret> {
    s.filter(|s| !s.trim().is_empty()).map(Secret::new)
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    lenient::text(&v.get(key).cloned())
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
        let endpoint = "/v0/token";
        let call = Call::new(endpoint, Method::POST, self.url(endpoint)).json(json!({
            "client_id": self.client_id.expose(),
            "client_secret": self.client_secret.expose(),
            "grant_type": "client_credentials",
        }));
        let resp = self.http.send(&call).await?;
        if !resp.is_success() {
            return Err(classify(endpoint, &resp));
        }
        let wire: TokenWire = serde_json::from_slice(&resp.body)
            .map_err(|_| ProviderFailure::new(FailureKind::BadResponse).with_endpoint(endpoint))?;
        let token = non_empty_secret(wire.access_token).ok_or_else(|| {
            ProviderFailure::new(FailureKind::BadResponse)
                .with_endpoint(endpoint)
                .with_message("no access_token in the answer")
        })?;
        let lifetime = lenient::decimal(&wire.expires_in)
            .and_then(|d| u64::try_from(d.trunc()).ok())
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TOKEN_LIFETIME);
        Ok((token, lifetime))
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

    /// An authenticated call whose success answer is JSON.
    async fn call_json(
        &self,
        endpoint: &'static str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ProviderFailure> {
        let resp = self
            .authed(endpoint, method, self.url(path), body, false)
            .await?;
        success_json(endpoint, &resp)
    }

    /// Exchanges a one-use link code. Never resent once it may have arrived: a lost answer
    /// is recovered through [`unused_codes`](Self::unused_codes) instead.
    pub async fn exchange_code(&self, code: &Secret) -> Result<ExchangeOutcome, ProviderFailure> {
        let endpoint = "/v0/platform/link";
        let resp = self
            .authed(
                endpoint,
                Method::POST,
                self.url(endpoint),
                Some(json!({ "code": code.expose() })),
                true,
            )
            .await?;
        if resp.status == 202 {
            return Ok(ExchangeOutcome::Delayed);
        }
        let v = success_json(endpoint, &resp)?;
        let credentials_token =
            non_empty_secret(str_field(&v, "credentials_token")).ok_or_else(|| {
                ProviderFailure::new(FailureKind::BadResponse)
                    .with_endpoint(endpoint)
                    .with_message("no credentials_token in the answer")
            })?;
        Ok(ExchangeOutcome::Exchanged {
            credentials_token,
            link_token: str_field(&v, "link_token"),
            extra: string_map(v.get("extra")),
        })
    }

    /// Codes never exchanged (mobile flow, or a redirect that never reached us).
    pub async fn unused_codes(
        &self,
        link_token: Option<&str>,
    ) -> Result<Vec<UnusedCode>, ProviderFailure> {
        let endpoint = "/v0/platform/link";
        let mut url = reqwest::Url::parse(&self.url(endpoint)).map_err(|e| {
            ProviderFailure::new(FailureKind::Configuration).with_message(e.to_string())
        })?;
        if let Some(t) = link_token {
            url.query_pairs_mut().append_pair("link_token", t);
        }
        let resp = self
            .authed(endpoint, Method::GET, url.to_string(), None, false)
            .await?;
        let v = success_json(endpoint, &resp)?;
        Ok(array(&v)
            .iter()
            .filter_map(|item| {
                Some(UnusedCode {
                    code: non_empty_secret(str_field(item, "code"))?,
                    link_token: str_field(item, "link_token"),
                    extra: string_map(item.get("extra")),
                })
            })
            .collect())
    }

    pub async fn list_links(&self) -> Result<Vec<Link>, ProviderFailure> {
        let endpoint = "/v0/links/list-links";
        let v = self
            .call_json(endpoint, Method::POST, endpoint, Some(json!({})))
            .await?;
        Ok(array(v.get("items").unwrap_or(&v))
            .iter()
            .filter_map(parse_link)
            .collect())
    }

    pub async fn create_link(
        &self,
        redirect_uri: &str,
        name: Option<&str>,
    ) -> Result<Link, ProviderFailure> {
        let endpoint = "/v0/links/create-link";
        let v = self
            .call_json(
                endpoint,
                Method::POST,
                endpoint,
                Some(json!({ "redirect_uri": redirect_uri, "name": name })),
            )
            .await?;
        v.get("data")
            .and_then(parse_link)
            .ok_or_else(|| bad(endpoint, "no link in the answer"))
    }

    pub async fn banks(&self) -> Result<Vec<Bank>, ProviderFailure> {
        let endpoint = "/v0/bank/available";
        let v = self
            .call_json(endpoint, Method::GET, endpoint, None)
            .await?;
        Ok(array(&v)
            .iter()
            .filter_map(|b| {
                Some(Bank {
                    id: str_field(b, "id")?,
                    name: str_field(b, "name").unwrap_or_default(),
                    country: str_field(b, "country"),
                    logo_url: str_field(b, "logo_url"),
                })
            })
            .collect())
    }

    pub async fn list_connectors(
        &self,
        connector_ids: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Connector>, ProviderFailure> {
        let endpoint = "/connect/v2/connectors/list-connectors";
        let mut body = json!({ "query": {} });
        if !connector_ids.is_empty() {
            body["query"]["connector_id_in"] = json!(connector_ids);
        }
        if let Some(t) = page_token {
            body["page_token"] = json!(t);
        }
        let v = self
            .call_json(endpoint, Method::POST, endpoint, Some(body))
            .await?;
        let items = array(v.get("items").unwrap_or(&Value::Null))
            .iter()
            .filter_map(|c| {
                Some(Connector {
                    connector_id: str_field(c, "connector_id")?,
                    name: str_field(c, "name"),
                    countries: array(c.get("countries").unwrap_or(&Value::Null))
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect(),
                    kind: str_field(c, "type"),
                })
            })
            .collect();
        Ok(Page {
            items,
            next_page_token: str_field(&v, "next_page_token"),
        })
    }

    /// Creates a Connect v2 session (new connection, reconnection or MFA of an existing one).
    pub async fn create_session(
        &self,
        redirect_url: &str,
        connector_id: Option<&str>,
    ) -> Result<Session, ProviderFailure> {
        let endpoint = "/connect/v2/sessions/create-session";
        let mut configuration = json!({ "redirect_url": redirect_url });
        if let Some(c) = connector_id {
            configuration["connector_id"] = json!(c);
        }
        let v = self
            .call_json(
                endpoint,
                Method::POST,
                endpoint,
                Some(json!({ "configuration": configuration })),
            )
            .await?;
        v.get("session")
            .or(Some(&v))
            .and_then(parse_session)
            .ok_or_else(|| bad(endpoint, "no session in the answer"))
    }

    pub async fn list_sessions(
        &self,
        session_ids: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Session>, ProviderFailure> {
        let endpoint = "/connect/v2/sessions/list-sessions";
        let mut body = json!({ "query": { "session_id_in": session_ids } });
        if let Some(t) = page_token {
            body["page_token"] = json!(t);
        }
        let v = self
            .call_json(endpoint, Method::POST, endpoint, Some(body))
            .await?;
        Ok(Page {
            items: array(v.get("items").unwrap_or(&Value::Null))
                .iter()
                .filter_map(parse_session)
                .collect(),
            next_page_token: str_field(&v, "next_page_token"),
        })
    }

    pub async fn credential_status(
        &self,
        token: &Secret,
    ) -> Result<CredentialStatus, ProviderFailure> {
        let endpoint = "/v0/bank/credentials/status";
        let v = self
            .call_json(
                endpoint,
                Method::POST,
                endpoint,
                Some(json!({ "credentials_token": token.expose() })),
            )
            .await?;
        let w: StatusWire =
            serde_json::from_value(v).map_err(|_| bad(endpoint, "unexpected status shape"))?;
        let last_update = lenient::epoch(&w.last_update_timestamp).or_else(|| {
            let day = lenient::date(w.last_update.as_deref())?;
            let time = w
                .time
                .as_deref()
                .and_then(|t| chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M").ok())
                .unwrap_or_default();
            Some(chrono::DateTime::from_naive_utc_and_offset(
                day.and_time(time),
                chrono::Utc,
            ))
        });
        let errored_products = w
            .errored
            .as_ref()
            .map(|e| {
                e.product
                    .iter()
                    .filter(|(_, v)| flag(&Some((*v).clone())))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        Ok(CredentialStatus {
            pending: flag(&w.pending),
            blocked: flag(&w.blocked),
            sca_token: non_empty_secret(w.sca_token),
            reset_token: non_empty_secret(w.reset_token),
            transaction_token: non_empty_secret(w.transaction_token),
            bank: w.name,
            last_update,
            created_at: lenient::epoch(&w.created_at_timestamp),
            last_transaction_date: lenient::date(w.last_transaction_date.as_deref()),
            errored_products,
        })
    }

    /// Asks for an SCA, reset or transaction token for a credential; returns it.
    pub async fn force(&self, token: &Secret, kind: ForceKind) -> Result<Secret, ProviderFailure> {
        let endpoint = "/v0/bank/credentials/status";
        let v = self
            .call_json(
                endpoint,
                Method::PUT,
                endpoint,
                Some(json!({ "credentials_token": token.expose(), "force": kind.as_str() })),
            )
            .await?;
        let field = format!("{}_token", kind.as_str());
        non_empty_secret(str_field(&v, &field).or_else(|| str_field(&v, "token")))
            .ok_or_else(|| bad(endpoint, "no token in the answer"))
    }

    pub async fn list_credentials(&self, page: i64) -> Result<CredentialsPage, ProviderFailure> {
        let endpoint = "/v0/bank/credentials/list";
        let v = self
            .call_json(
                endpoint,
                Method::POST,
                endpoint,
                Some(json!({ "page": page })),
            )
            .await?;
        let mut skipped = 0;
        let items = array(v.get("items").unwrap_or(&Value::Null))
            .iter()
            .filter_map(|i| {
                let token = non_empty_secret(str_field(i, "credentials_token"));
                if token.is_none() {
                    skipped += 1;
                }
                Some(CredentialSummary {
                    credentials_token: token?,
                    external_id: str_field(i, "external_id"),
                    bank: str_field(i, "bank"),
                    status: str_field(i, "status"),
                })
            })
            .collect();
        let num = |k: &str| {
            lenient::decimal(&v.get(k).cloned()).and_then(|d| i64::try_from(d.trunc()).ok())
        };
        Ok(CredentialsPage {
            items,
            page: num("page").unwrap_or(page),
            pages: num("pages").unwrap_or(1),
            skipped,
        })
    }

    pub async fn delete_credentials(&self, token: &Secret) -> Result<(), ProviderFailure> {
        let endpoint = "/v0/bank/credentials";
        self.call_json(
            endpoint,
            Method::DELETE,
            endpoint,
            Some(json!({ "credentials_token": token.expose() })),
        )
        .await
        .map(|_| ())
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
        let v = self.call_json(path, Method::POST, path, Some(body)).await?;
        // A 200 whose body is an error object (a numeric code) is an error too.
        if v.is_object() && (v.get("code").is_some() || v.get("error").is_some()) {
            return Err(classify(
                path,
                &RawResponse {
                    status: 200,
                    body: serde_json::to_vec(&v).unwrap_or_default(),
                    request_id: None,
                    retry_after: None,
                },
            ));
        }
        Ok(v)
    }
}

fn bad(endpoint: &'static str, what: &str) -> ProviderFailure {
    ProviderFailure::new(FailureKind::BadResponse)
        .with_endpoint(endpoint)
        .with_message(what)
}

fn array(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn success_json(endpoint: &'static str, resp: &RawResponse) -> Result<Value, ProviderFailure> {
    if !resp.is_success() {
        return Err(classify(endpoint, resp));
    }
    if resp.body.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&resp.body).map_err(|_| bad(endpoint, "unreadable JSON"))
}

fn parse_link(v: &Value) -> Option<Link> {
    Some(Link {
        token: str_field(v, "token")?,
        name: str_field(v, "name"),
        redirect_uri: str_field(v, "redirect_uri"),
        active: v.get("active").and_then(Value::as_bool),
        pending_code_count: v.get("pending_code_count").and_then(Value::as_i64),
    })
}

fn parse_session(v: &Value) -> Option<Session> {
    Some(Session {
        session_id: str_field(v, "session_id")?,
        status: SessionStatus::parse(&str_field(v, "status").unwrap_or_default()),
        connection_id: non_empty_secret(str_field(v, "connection_id")),
        error_code: str_field(v, "error_code"),
        url: str_field(v, "url")
            .or_else(|| str_field(v, "session_url"))
            .or_else(|| str_field(v, "link")),
    })
}

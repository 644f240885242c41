//! What Flanks answers: the decoded types and one pure decoder per endpoint. The client only
//! sends; these read the raw answer (status + body bytes). None panics on any input (fuzzed in
//! `fuzz/`), and anything unexpected becomes a `BadResponse` failure naming the endpoint.

use std::collections::BTreeMap;
use std::time::Duration;

use advisor_desk_core::domain::{FailureKind, ProviderFailure, RemoteState};
use advisor_desk_core::secrets::Secret;
use serde::Serialize;
use serde_json::Value;

use super::errors::classify;
use super::wire::{StatusWire, TokenWire};
use crate::http::RawResponse;
use crate::lenient;

pub const TOKEN: &str = "/v0/token";
pub const PLATFORM_LINK: &str = "/v0/platform/link";
pub const LIST_LINKS: &str = "/v0/links/list-links";
pub const CREATE_LINK: &str = "/v0/links/create-link";
pub const BANKS: &str = "/v0/bank/available";
pub const LIST_CONNECTORS: &str = "/connect/v2/connectors/list-connectors";
pub const CREATE_SESSION: &str = "/connect/v2/sessions/create-session";
pub const LIST_SESSIONS: &str = "/connect/v2/sessions/list-sessions";
pub const CREDENTIALS_STATUS: &str = "/v0/bank/credentials/status";
pub const CREDENTIALS_LIST: &str = "/v0/bank/credentials/list";
pub const CREDENTIALS: &str = "/v0/bank/credentials";

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
    pub fn parse(s: &str) -> Self {
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
    pub fn as_str(self) -> &'static str {
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

/// `POST /v0/token`: the access token and its lifetime.
pub fn token(resp: &RawResponse) -> Result<(Secret, Duration), ProviderFailure> {
    if !resp.is_success() {
        return Err(classify(TOKEN, resp));
    }
    let wire: TokenWire =
        serde_json::from_slice(&resp.body).map_err(|_| bad(TOKEN, "unreadable JSON"))?;
    let token = non_empty_secret(wire.access_token)
        .ok_or_else(|| bad(TOKEN, "no access_token in the answer"))?;
    let lifetime = lenient::decimal(&wire.expires_in)
        .and_then(|d| u64::try_from(d.trunc()).ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TOKEN_LIFETIME);
    Ok((token, lifetime))
}

/// `POST /v0/platform/link`: a credentials_token, or 202 for a delayed code.
pub fn exchange(resp: &RawResponse) -> Result<ExchangeOutcome, ProviderFailure> {
    if resp.status == 202 {
        return Ok(ExchangeOutcome::Delayed);
    }
    let v = success_json(PLATFORM_LINK, resp)?;
    let credentials_token = non_empty_secret(str_field(&v, "credentials_token"))
        .ok_or_else(|| bad(PLATFORM_LINK, "no credentials_token in the answer"))?;
    Ok(ExchangeOutcome::Exchanged {
        credentials_token,
        link_token: str_field(&v, "link_token"),
        extra: string_map(v.get("extra")),
    })
}

/// `GET /v0/platform/link`: codes never exchanged; entries without a code are skipped.
pub fn unused_codes(resp: &RawResponse) -> Result<Vec<UnusedCode>, ProviderFailure> {
    let v = success_json(PLATFORM_LINK, resp)?;
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

/// `POST /v0/links/list-links`: `{items: […]}` or a bare array.
pub fn links(resp: &RawResponse) -> Result<Vec<Link>, ProviderFailure> {
    let v = success_json(LIST_LINKS, resp)?;
    Ok(array(v.get("items").unwrap_or(&v))
        .iter()
        .filter_map(parse_link)
        .collect())
}

/// `POST /v0/links/create-link`: `{data: link}`.
pub fn created_link(resp: &RawResponse) -> Result<Link, ProviderFailure> {
    let v = success_json(CREATE_LINK, resp)?;
    v.get("data")
        .and_then(parse_link)
        .ok_or_else(|| bad(CREATE_LINK, "no link in the answer"))
}

/// `GET /v0/bank/available`.
pub fn banks(resp: &RawResponse) -> Result<Vec<Bank>, ProviderFailure> {
    let v = success_json(BANKS, resp)?;
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

/// `POST /connect/v2/connectors/list-connectors`.
pub fn connectors(resp: &RawResponse) -> Result<Page<Connector>, ProviderFailure> {
    let v = success_json(LIST_CONNECTORS, resp)?;
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

/// `POST /connect/v2/sessions/create-session`: `{session: …}` or the session itself.
pub fn created_session(resp: &RawResponse) -> Result<Session, ProviderFailure> {
    let v = success_json(CREATE_SESSION, resp)?;
    v.get("session")
        .or(Some(&v))
        .and_then(parse_session)
        .ok_or_else(|| bad(CREATE_SESSION, "no session in the answer"))
}

/// `POST /connect/v2/sessions/list-sessions`.
pub fn sessions(resp: &RawResponse) -> Result<Page<Session>, ProviderFailure> {
    let v = success_json(LIST_SESSIONS, resp)?;
    Ok(Page {
        items: array(v.get("items").unwrap_or(&Value::Null))
            .iter()
            .filter_map(parse_session)
            .collect(),
        next_page_token: str_field(&v, "next_page_token"),
    })
}

/// `POST /v0/bank/credentials/status`.
pub fn credential_status(resp: &RawResponse) -> Result<CredentialStatus, ProviderFailure> {
    let v = success_json(CREDENTIALS_STATUS, resp)?;
    let w: StatusWire = serde_json::from_value(v)
        .map_err(|_| bad(CREDENTIALS_STATUS, "unexpected status shape"))?;
    // The timestamp when present; else a full ISO `last_update` keeps its time; else the
    // documented day plus `time`.
    let last_update = lenient::epoch(&w.last_update_timestamp)
        .or_else(|| {
            w.last_update
                .as_deref()
                .filter(|s| s.trim().len() > 10)
                .and_then(|s| lenient::utc_datetime(Some(s)))
        })
        .or_else(|| {
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

/// `PUT /v0/bank/credentials/status` with `force`: the `<kind>_token` (or `token`).
pub fn forced_token(resp: &RawResponse, kind: ForceKind) -> Result<Secret, ProviderFailure> {
    let v = success_json(CREDENTIALS_STATUS, resp)?;
    let field = format!("{}_token", kind.as_str());
    non_empty_secret(str_field(&v, &field).or_else(|| str_field(&v, "token")))
        .ok_or_else(|| bad(CREDENTIALS_STATUS, "no token in the answer"))
}

/// `POST /v0/bank/credentials/list`: entries without a token are skipped and counted.
pub fn credentials_page(
    resp: &RawResponse,
    asked_page: i64,
) -> Result<CredentialsPage, ProviderFailure> {
    let v = success_json(CREDENTIALS_LIST, resp)?;
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
    let num =
        |k: &str| lenient::decimal(&v.get(k).cloned()).and_then(|d| i64::try_from(d.trunc()).ok());
    Ok(CredentialsPage {
        items,
        page: num("page").unwrap_or(asked_page),
        pages: num("pages").unwrap_or(1),
        skipped,
    })
}

/// `DELETE /v0/bank/credentials`: any success.
pub fn deleted(resp: &RawResponse) -> Result<(), ProviderFailure> {
    success_json(CREDENTIALS, resp).map(|_| ())
}

/// Any aggregation endpoint: the bare JSON array (an object for `auth`). A 200 whose body is
/// an error object (a numeric code) is an error too.
pub fn aggregation(endpoint: &'static str, resp: &RawResponse) -> Result<Value, ProviderFailure> {
    let v = success_json(endpoint, resp)?;
    if v.is_object() && (v.get("code").is_some() || v.get("error").is_some()) {
        return Err(classify(endpoint, resp));
    }
    Ok(v)
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

//! What Flinks answers: the decoded types and one pure decoder per endpoint. The client only
//! sends (and decides retries); these read the raw answer. None panics on any input (fuzzed in
//! `fuzz/`), and anything unexpected becomes a `BadResponse` failure naming the endpoint.

use advisor_desk_core::domain::{FailureKind, ProviderFailure};
use advisor_desk_core::secrets::Secret;
use serde_json::Value;

use super::errors::classify;
use crate::http::RawResponse;
use crate::lenient;

pub const GENERATE_AUTHORIZE_TOKEN: &str = "/BankingServices/GenerateAuthorizeToken";
pub const AUTHORIZE: &str = "/BankingServices/Authorize";
pub const AUTHORIZE_ASYNC: &str = "/BankingServices/AuthorizeAsync";
pub const GET_NIGHTLY_REFRESH_STATUS: &str = "/BankingServices/GetNightlyRefreshStatus";
pub const SET_SCHEDULED_REFRESH: &str = "/BankingServices/SetScheduledRefresh";
pub const GET_ACCOUNTS_DETAIL: &str = "/BankingServices/GetAccountsDetail";
pub const GET_ACCOUNTS_SUMMARY: &str = "/BankingServices/GetAccountsSummary";
pub const DELETE_CARD: &str = "/BankingServices/DeleteCard/{loginId}";

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
    /// 202 from `AuthorizeAsync`: the bank is still being reached; poll with the RequestId.
    Pending { request_id: String },
}

/// A loginId `GetNightlyRefreshStatus` lists as enabled for nightly refresh but not eligible.
#[derive(Debug)]
pub struct NightlyIneligible {
    pub login_id: Secret,
    pub reason: Option<String>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    lenient::text(&v.get(key).cloned())
}

/// `GenerateAuthorizeToken`: the single-use `Token`.
pub fn authorize_token(resp: &RawResponse) -> Result<Secret, ProviderFailure> {
    let v = success_json(GENERATE_AUTHORIZE_TOKEN, resp)?;
    text(&v, "Token")
        .map(Secret::new)
        .ok_or_else(|| bad(GENERATE_AUTHORIZE_TOKEN, "no Token in the answer"))
}

/// `Authorize`: 200 authorized, 203 security questions, anything else classified.
pub fn authorize(resp: &RawResponse) -> Result<AuthorizeOutcome, ProviderFailure> {
    authorized_or_mfa(AUTHORIZE, resp)
}

/// `AuthorizeAsync` (mid-session reconnect): 202 still working (poll with the RequestId),
/// then 200 / 203 as `Authorize`; anything else classified (the caller opens Connect's
/// credential step).
pub fn authorize_async(resp: &RawResponse) -> Result<AuthorizeOutcome, ProviderFailure> {
    if resp.status == 202 {
        let v = resp.json().unwrap_or(Value::Null);
        return Ok(AuthorizeOutcome::Pending {
            request_id: text(&v, "RequestId")
                .ok_or_else(|| bad(AUTHORIZE_ASYNC, "no RequestId in the answer"))?,
        });
    }
    authorized_or_mfa(AUTHORIZE_ASYNC, resp)
}

fn authorized_or_mfa(
    endpoint: &'static str,
    resp: &RawResponse,
) -> Result<AuthorizeOutcome, ProviderFailure> {
    let v = resp.json().unwrap_or(Value::Null);
    match resp.status {
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
        _ => Err(classify(endpoint, resp)),
    }
}

/// `GetAccountsDetail` / `GetAccountsSummary` and their Async polls once they answer 200: the
/// JSON body, normalised later by [`normalise`](super::normalise).
pub fn data(endpoint: &'static str, resp: &RawResponse) -> Result<Value, ProviderFailure> {
    success_json(endpoint, resp)
}

/// `GetNightlyRefreshStatus`: the loginIds enabled for nightly refresh that are not eligible,
/// with the reason. Entries without a loginId are left out.
pub fn nightly_refresh_status(
    resp: &RawResponse,
) -> Result<Vec<NightlyIneligible>, ProviderFailure> {
    let v = success_json(GET_NIGHTLY_REFRESH_STATUS, resp)?;
    let list = v
        .get("LoginIds")
        .or_else(|| v.get("Logins"))
        .unwrap_or(&v)
        .as_array()
        .cloned()
        .unwrap_or_default();
    Ok(list
        .iter()
        .filter_map(|e| {
            Some(NightlyIneligible {
                login_id: Secret::new(text(e, "LoginId").or_else(|| text(e, "loginId"))?),
                reason: text(e, "Reason").or_else(|| text(e, "reason")),
            })
        })
        .collect())
}

/// `SetScheduledRefresh`: any 200.
pub fn scheduled_refresh_set(resp: &RawResponse) -> Result<(), ProviderFailure> {
    success_json(SET_SCHEDULED_REFRESH, resp).map(|_| ())
}

/// `DeleteCard`: any 200.
pub fn deleted(resp: &RawResponse) -> Result<(), ProviderFailure> {
    success_json(DELETE_CARD, resp).map(|_| ())
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
    if resp.body.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&resp.body).map_err(|_| bad(endpoint, "unreadable JSON"))
}

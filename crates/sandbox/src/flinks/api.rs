//! Flinks API: GenerateAuthorizeToken, Authorize (cached / live / MFA), GetAccountsDetail
//! and Summary with their async polling, DeleteCard.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};

use super::capital::{self, Scenario};
use super::errors::FlinksError;
use crate::book;
use crate::control::secrets::SecretKind;
use crate::guesses::{FLINKS_CACHED_MFA_AFTER_WINDOW, FLINKS_UNAUTHORIZED_REQUEST_CODE};
use crate::state::{AppState, FlinksLoginState, FlinksRequest, Job, JobKind, World};
use crate::{FLINKS_API_KEY, FLINKS_CUSTOMER_ID, FLINKS_SECRET_KEY};

type FlinksResult = Result<Response, FlinksError>;

const AUTHORIZE_TOKEN_MINUTES: i64 = 30;
/// RequestIds live 30 minutes (8 minutes idle during authorisation, per the docs).
const REQUEST_MINUTES: i64 = 30;
const REQUEST_IDLE_MINUTES: i64 = 8;
/// A reconnect with `requestId` works within about four weeks of the last live connection.
pub const RECONNECT_WINDOW_DAYS: i64 = 28;

pub(super) fn check_customer(customer: &str) -> Result<(), FlinksError> {
    if customer == FLINKS_CUSTOMER_ID {
        Ok(())
    } else {
        Err(FlinksError::unauthorized("Unknown customer id"))
    }
}

pub(super) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(super) fn check_api_key(headers: &HeaderMap) -> Result<(), FlinksError> {
    match header(headers, "x-api-key") {
        Some(k) if k == FLINKS_API_KEY => Ok(()),
        _ => Err(FlinksError::unauthorized("Missing or invalid x-api-key")),
    }
}

pub(super) fn body_object(body: &[u8]) -> Result<Map<String, Value>, FlinksError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(FlinksError::invalid_request(
            "The request body must be a JSON object",
        )),
    }
}

/// Last refresh as Flinks writes it: UTC, no offset, seven fraction digits.
pub fn flinks_time(t: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.timestamp_subsec_nanos() / 100
    )
}

pub async fn generate_authorize_token(
    State(app): State<Arc<AppState>>,
    Path(customer): Path<String>,
    headers: HeaderMap,
) -> FlinksResult {
    check_customer(&customer)?;
    if header(&headers, "flinks-auth-key") != Some(FLINKS_SECRET_KEY) {
        return Err(FlinksError::unauthorized("Invalid flinks-auth-key"));
    }
    let now = app.clock.now();
    let mut world = app.world();
    world.authorize_tokens.retain(|_, exp| *exp > now);
    let token = world.new_id("sbx-authz-");
    world.issue(SecretKind::AuthorizeToken, &token);
    world.authorize_tokens.insert(
        token.clone(),
        now + Duration::minutes(AUTHORIZE_TOKEN_MINUTES),
    );
    Ok(Json(json!({"HttpStatusCode": 200, "Token": token})).into_response())
}

/// The `flinks-auth-key` header of Authorize / AuthorizeAsync: a valid authorize token, used up.
pub fn take_authorize_token(
    world: &mut World,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<(), FlinksError> {
    let token = header(headers, "flinks-auth-key").unwrap_or("");
    if consume_authorize_token(world, token, now) {
        Ok(())
    } else {
        Err(FlinksError::unauthorized(
            "The authorize token is missing, expired or already used",
        ))
    }
}

/// The refusal a scenario login meets at the bank, if any.
pub fn scenario_refusal(scenario: Option<Scenario>) -> Option<FlinksError> {
    match scenario? {
        Scenario::Disabled => Some(FlinksError::new(
            401,
            "DISABLED_LOGIN",
            "This login is disabled at the institution",
        )),
        Scenario::ServiceUnavailable => Some(FlinksError::new(
            401,
            "RETRY_LATER",
            "The institution is unavailable, retry later",
        )),
        _ => None,
    }
}

/// Consumes a single-use authorize token (Authorize header or the widget's parameter).
pub fn consume_authorize_token(world: &mut World, token: &str, now: DateTime<Utc>) -> bool {
    matches!(world.authorize_tokens.remove(token), Some(exp) if exp > now)
}

/// Finds (or, for a known Flinks Capital user, creates) the login for a username/password.
/// The same bank login always maps to the same loginId until DeleteCard.
pub fn login_with(
    world: &mut World,
    seed: u64,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(String, Scenario), FlinksError> {
    let scenario = capital::scenario(username).ok_or_else(FlinksError::invalid_login)?;
    if password != capital::PASSWORD {
        return Err(FlinksError::invalid_login());
    }
    if let Some(refusal) = scenario_refusal(Some(scenario)) {
        return Err(refusal);
    }
    if let Some(l) = world.flinks.iter().find(|l| l.data.username == username) {
        let id = l.data.login_id.clone();
        world.issue(SecretKind::LoginId, &id);
        return Ok((id, scenario));
    }
    let mut data = book::generate_for_username(seed, username, world.today);
    book::link_holders::name_flinks_holder(&mut data, username == super::loose::USERNAME);
    if let Some(gen) = world.deleted_logins.get(username) {
        let mut rng = crate::rng::Rng::derive(seed, "relink", *gen);
        data.login_id = book::login_id(&mut rng);
    }
    let id = data.login_id.clone();
    world.issue(SecretKind::LoginId, &id);
    world.flinks.push(FlinksLoginState::new(data, now));
    Ok((id, scenario))
}

pub(super) fn authorized_body(world: &World, request_id: &str, login_id: &str) -> Value {
    let l = world.flinks.iter().find(|l| l.data.login_id == login_id);
    let institution = super::oauth::institution_fields(l.map(|l| l.data.username.as_str()));
    json!({
        "HttpStatusCode": 200,
        "RequestId": request_id,
        "Login": {
            "Id": login_id,
            "Username": l.map(|l| l.data.username.clone()),
            "IsScheduledRefresh": l.map(|l| l.scheduled_refresh),
            "LastRefresh": l.map(|l| flinks_time(l.last_refresh)),
            "Type": "Personal",
        },
        "Institution": institution.0,
        "InstitutionName": institution.1,
        "InstitutionId": institution.2,
        "Links": [
            {"rel": "AccountsDetail", "href": "/GetAccountsDetail", "example": null},
            {"rel": "AccountsSummary", "href": "/GetAccountsSummary", "example": null},
        ],
    })
}

pub(super) fn challenge_body(request_id: &str, prompt: &str) -> Value {
    json!({
        "HttpStatusCode": 203,
        "RequestId": request_id,
        "SecurityChallenges": [{"Type": "QuestionAndAnswer", "Prompt": prompt, "Iterables": []}],
        "Institution": capital::INSTITUTION,
    })
}

/// Creates a RequestId; with `mfa` it waits for an MFA answer first. A `live` request that
/// needs no answer is a live connection at once: the data moves.
pub fn new_request(
    world: &mut World,
    login_id: &str,
    now: DateTime<Utc>,
    mfa: bool,
    live: bool,
) -> (String, Option<&'static str>) {
    let id = world.new_id("");
    let id = format!(
        "{}-{}-4{}-9{}-{}",
        &id[..8],
        &id[8..12],
        &id[12..15],
        &id[15..18],
        &id[18..24].repeat(2)
    );
    let challenge = mfa.then(|| capital::prompt(world.counter));
    world.requests.insert(
        id.clone(),
        FlinksRequest {
            login_id: login_id.to_string(),
            created: now,
            authorized: !mfa,
            challenge,
            job: None,
            live,
            last_used: now,
            async_ready_at: None,
        },
    );
    if live && !mfa {
        connected(world, login_id, now);
    }
    (id, challenge)
}

/// Checks `SecurityResponses` against the request's prompt; marks it authorised.
pub fn answer_challenge(
    world: &mut World,
    request_id: &str,
    responses: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<String, FlinksError> {
    let req = live_request(world, request_id, now)?;
    let Some(prompt) = req.challenge else {
        return Ok(req.login_id.clone());
    };
    let given = responses.get(prompt).ok_or_else(|| {
        FlinksError::new(
            401,
            "QUESTION_NOT_FOUND",
            "No answer for the question that was asked",
        )
    })?;
    let answer = match given {
        Value::Array(a) => a.first().and_then(Value::as_str).unwrap_or(""),
        Value::String(s) => s,
        _ => "",
    };
    if capital::answer_for(prompt).is_some_and(|a| a.eq_ignore_ascii_case(answer.trim())) {
        req.challenge = None;
        req.authorized = true;
        let (login_id, live) = (req.login_id.clone(), req.live);
        if live {
            connected(world, &login_id, now);
        }
        Ok(login_id)
    } else {
        Err(FlinksError::new(
            401,
            "INVALID_SECURITY_RESPONSE",
            "The answer to the security question is incorrect",
        ))
    }
}

/// A live connection completed: the data moves and the reconnect window starts again.
pub fn connected(world: &mut World, login_id: &str, now: DateTime<Utc>) {
    if let Some(l) = world.login_mut(login_id) {
        l.refresh_data(now);
        l.last_connected = now;
    }
}

/// Whether a reconnect with `requestId` still works for this login.
pub fn within_reconnect_window(world: &World, login_id: &str, now: DateTime<Utc>) -> bool {
    world
        .flinks
        .iter()
        .find(|l| l.data.login_id == login_id)
        .is_some_and(|l| now - l.last_connected <= Duration::days(RECONNECT_WINDOW_DAYS))
}

/// The request, if it has not lapsed: 30 minutes in all, 8 idle while it waits for its
/// authorisation. Each use counts as activity.
pub fn live_request<'a>(
    world: &'a mut World,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<&'a mut FlinksRequest, FlinksError> {
    match world.requests.get_mut(request_id) {
        Some(r)
            if now - r.created < Duration::minutes(REQUEST_MINUTES)
                && (r.authorized
                    || now - r.last_used < Duration::minutes(REQUEST_IDLE_MINUTES)) =>
        {
            r.last_used = now;
            Ok(r)
        }
        _ => Err(FlinksError::session_nonexistent()),
    }
}

pub async fn authorize(
    State(app): State<Arc<AppState>>,
    Path(customer): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> FlinksResult {
    check_customer(&customer)?;
    let now = app.clock.now();
    let mut world = app.world();
    take_authorize_token(&mut world, &headers, now)?;
    let obj = body_object(&body)?;
    // MFA answer on an existing request.
    if let (Some(rid), Some(resp)) = (
        obj.get("RequestId").and_then(Value::as_str),
        obj.get("SecurityResponses").and_then(Value::as_object),
    ) {
        let login_id = answer_challenge(&mut world, rid, resp, now)?;
        return Ok(Json(authorized_body(&world, rid, &login_id)).into_response());
    }
    let login_id = match obj.get("LoginId").and_then(Value::as_str) {
        Some(id) => id.to_string(),
        None => {
            // Legacy direct mode: Username / Password / Institution.
            let user = obj.get("Username").and_then(Value::as_str);
            let pass = obj.get("Password").and_then(Value::as_str);
            // Only Flinks Capital exists here; any other institution is disabled.
            match obj.get("Institution").and_then(Value::as_str) {
                None => {}
                Some(i) if i == capital::INSTITUTION => {}
                Some(_) => {
                    return Err(FlinksError::new(
                        405,
                        "DISABLED_INSTITUTION",
                        "This institution is not available",
                    ))
                }
            }
            match (user, pass) {
                (Some(u), Some(p)) => login_with(&mut world, app.config.seed, u, p, now)?.0,
                _ => return Err(FlinksError::invalid_request("LoginId is required")),
            }
        }
    };
    let Some(login) = world.flinks.iter().find(|l| l.data.login_id == login_id) else {
        return Err(FlinksError::invalid_login());
    };
    let username = login.data.username.clone();
    if let Some(refusal) = scenario_refusal(capital::scenario(&username)) {
        return Err(refusal);
    }
    let cached = match obj.get("MostRecentCached") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(FlinksError::invalid_request(
                "MostRecentCached must be a boolean",
            ))
        }
    };
    // [sdk] CONCURRENT_SESSION: a live refresh while this login's data is still being fetched.
    let busy = world
        .requests
        .values()
        .any(|r| r.login_id == login_id && r.job.as_ref().is_some_and(|j| now < j.ready_at));
    if !cached && busy {
        return Err(FlinksError::new(
            401,
            "CONCURRENT_SESSION",
            "Another session is processing this login",
        ));
    }
    let asks_mfa = capital::scenario(&username) == Some(Scenario::Mfa);
    // A cached Authorize can answer 203 too (a real capture shows it): here, when the
    // session Flinks holds for an MFA login has lapsed with the reconnect window.
    let lapsed = !within_reconnect_window(&world, &login_id, now);
    let mfa = asks_mfa && (!cached || (FLINKS_CACHED_MFA_AFTER_WINDOW && lapsed));
    let (rid, challenge) = new_request(&mut world, &login_id, now, mfa, !cached);
    if let Some(prompt) = challenge {
        return Ok((
            StatusCode::NON_AUTHORITATIVE_INFORMATION,
            Json(challenge_body(&rid, prompt)),
        )
            .into_response());
    }
    Ok(Json(authorized_body(&world, &rid, &login_id)).into_response())
}

fn accounts_body(
    world: &World,
    request_id: &str,
    login_id: &str,
    kind: JobKind,
    params: &Value,
) -> Value {
    let mut body = authorized_body(world, request_id, login_id);
    let Some(l) = world.flinks.iter().find(|l| l.data.login_id == login_id) else {
        return body;
    };
    let with_tx = kind == JobKind::Detail
        && params
            .get("WithTransactions")
            .and_then(Value::as_bool)
            .unwrap_or(true);
    let days = match params.get("DaysOfTransactions").and_then(Value::as_str) {
        Some("Days365") => 365,
        _ => 90,
    };
    let since = (world.today - Duration::days(days))
        .format("%Y-%m-%d")
        .to_string();
    let filter: Option<Vec<String>> =
        params
            .get("AccountsFilter")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            });
    let accounts: Vec<Value> = l
        .data
        .accounts
        .iter()
        .filter(|a| filter.as_ref().is_none_or(|f| f.contains(&a.id)))
        .filter_map(|a| {
            let mut v = serde_json::to_value(a).ok()?;
            let tx: Vec<Value> = if with_tx {
                // Flinks lists the newest movement first.
                a.transactions
                    .iter()
                    .rev()
                    .filter(|t| t.date >= since)
                    .filter_map(|t| serde_json::to_value(t).ok())
                    .collect()
            } else {
                Vec::new()
            };
            v["Transactions"] = Value::Array(tx);
            Some(v)
        })
        .collect();
    body["Accounts"] = Value::Array(accounts);
    if l.data.username == super::loose::USERNAME {
        super::loose::loosen(&mut body);
    }
    body
}

pub(super) fn pending_body(code: &str, request_id: &str) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(
            json!({"FlinksCode": code, "HttpStatusCode": 202, "RequestId": request_id,
                    "Message": "Your request is still being processed, poll the Async endpoint"}),
        ),
    )
        .into_response()
}

async fn start_job(
    app: Arc<AppState>,
    customer: String,
    headers: HeaderMap,
    body: Bytes,
    kind: JobKind,
) -> FlinksResult {
    check_customer(&customer)?;
    check_api_key(&headers)?;
    let obj = body_object(&body)?;
    let rid = obj
        .get("RequestId")
        .and_then(Value::as_str)
        .ok_or_else(|| FlinksError::invalid_request("RequestId is required"))?
        .to_string();
    if let Some(d) = obj.get("DaysOfTransactions").and_then(Value::as_str) {
        if d != "Days90" && d != "Days365" {
            return Err(FlinksError::invalid_request(
                "DaysOfTransactions must be Days90 or Days365",
            ));
        }
    }
    let now = app.clock.now();
    let delay =
        Duration::from_std(app.config.flinks_processing_delay).unwrap_or(Duration::seconds(2));
    let mut world = app.world();
    let req = live_request(&mut world, &rid, now)?;
    if !req.authorized {
        return Err(FlinksError::new(
            401,
            FLINKS_UNAUTHORIZED_REQUEST_CODE,
            "The request is waiting for its MFA answer",
        ));
    }
    let login_id = req.login_id.clone();
    if let Some(job) = req.job.as_ref().filter(|j| j.kind == kind) {
        if now >= job.ready_at {
            let params = job.body.clone();
            return Ok(Json(accounts_body(&world, &rid, &login_id, kind, &params)).into_response());
        }
        return Ok(pending_body("OPERATION_PENDING", &rid));
    }
    req.job = Some(Job {
        kind,
        ready_at: now + delay,
        body: Value::Object(obj),
    });
    let username = world
        .flinks
        .iter()
        .find(|l| l.data.login_id == login_id)
        .map(|l| l.data.username.clone());
    let code = if username.as_deref() == Some("test_dispatched") {
        "OPERATION_DISPATCHED"
    } else {
        "OPERATION_PENDING"
    };
    Ok(pending_body(code, &rid))
}

pub async fn accounts_detail(
    State(app): State<Arc<AppState>>,
    Path(customer): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> FlinksResult {
    start_job(app, customer, headers, body, JobKind::Detail).await
}

pub async fn accounts_summary(
    State(app): State<Arc<AppState>>,
    Path(customer): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> FlinksResult {
    start_job(app, customer, headers, body, JobKind::Summary).await
}

fn poll(
    app: &AppState,
    customer: &str,
    request_id: &str,
    headers: &HeaderMap,
    kind: JobKind,
) -> FlinksResult {
    check_customer(customer)?;
    check_api_key(headers)?;
    let now = app.clock.now();
    let mut world = app.world();
    let req = live_request(&mut world, request_id, now)?;
    let Some(job) = req.job.clone().filter(|j| j.kind == kind) else {
        return Err(FlinksError::invalid_request(
            "No operation was started for this RequestId",
        ));
    };
    if now < job.ready_at {
        return Ok(pending_body("OPERATION_PENDING", request_id));
    }
    let login_id = req.login_id.clone();
    Ok(Json(accounts_body(
        &world, request_id, &login_id, kind, &job.body,
    ))
    .into_response())
}

pub async fn detail_async(
    State(app): State<Arc<AppState>>,
    Path((customer, rid)): Path<(String, String)>,
    headers: HeaderMap,
) -> FlinksResult {
    poll(&app, &customer, &rid, &headers, JobKind::Detail)
}

pub async fn summary_async(
    State(app): State<Arc<AppState>>,
    Path((customer, rid)): Path<(String, String)>,
    headers: HeaderMap,
) -> FlinksResult {
    poll(&app, &customer, &rid, &headers, JobKind::Summary)
}

pub async fn delete_card(
    State(app): State<Arc<AppState>>,
    Path((customer, login_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> FlinksResult {
    check_customer(&customer)?;
    check_api_key(&headers)?;
    let now = app.clock.now();
    let mut world = app.world();
    let Some(pos) = world
        .flinks
        .iter()
        .position(|l| l.data.login_id == login_id)
    else {
        return Err(FlinksError::invalid_login());
    };
    let busy = world
        .requests
        .values()
        .any(|r| r.login_id == login_id && r.job.as_ref().is_some_and(|j| now < j.ready_at));
    if busy {
        return Err(FlinksError::new(
            400,
            "CARD_IN_USE",
            "The card is being processed; retry when the operation ends",
        ));
    }
    let removed = world.flinks.remove(pos);
    *world
        .deleted_logins
        .entry(removed.data.username.clone())
        .or_insert(0) += 1;
    world.requests.retain(|_, r| r.login_id != login_id);
    Ok(Json(json!({"StatusCode": 200, "Message": format!("All of the information about LoginId {login_id} has been removed")})).into_response())
}

//! Flinks refresh as it is now: the mid-session reconnect (`AuthorizeAsync`: 202 → poll →
//! 200 / 203 / 202, anything else = Connect's credential step), and the nightly refresh's
//! `GetNightlyRefreshStatus` / `SetScheduledRefresh`. Nightly refresh itself is off unless the
//! control plane turns it on (`World::flinks_nightly`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Duration;
use serde_json::{json, Value};

use super::api::{
    authorized_body, body_object, challenge_body, check_api_key, check_customer, live_request,
    new_request, pending_body, scenario_refusal, take_authorize_token, within_reconnect_window,
};
use super::capital::{self, Scenario};
use super::errors::FlinksError;
use crate::guesses::{
    FLINKS_NIGHTLY_INELIGIBLE_REASON, FLINKS_RECONNECT_EXPIRED_CODE,
    FLINKS_RECONNECT_EXPIRED_STATUS,
};
use crate::state::AppState;

type FlinksResult = Result<Response, FlinksError>;

/// `POST …/AuthorizeAsync`: `{LoginId, MostRecentCached:false, Save:true}` starts a live
/// connection (202 with its RequestId); `{RequestId}` polls it.
pub async fn authorize_async(
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
    if let Some(rid) = obj.get("RequestId").and_then(Value::as_str) {
        return poll(&mut world, rid, now);
    }
    let login_id = obj
        .get("LoginId")
        .and_then(Value::as_str)
        .ok_or_else(|| FlinksError::invalid_request("LoginId or RequestId is required"))?;
    if !world.flinks.iter().any(|l| l.data.login_id == login_id) {
        return Err(FlinksError::invalid_login());
    }
    if obj.get("MostRecentCached").and_then(Value::as_bool) == Some(true) {
        return Err(FlinksError::invalid_request(
            "AuthorizeAsync is a live connection: MostRecentCached must be false",
        ));
    }
    // Not authorised yet: the poll decides once the bank has been reached.
    let (rid, _) = new_request(&mut world, login_id, now, true, true);
    let delay =
        Duration::from_std(app.config.flinks_processing_delay).unwrap_or(Duration::seconds(2));
    if let Some(r) = world.requests.get_mut(&rid) {
        r.challenge = None;
        r.async_ready_at = Some(now + delay);
    }
    Ok(pending_body("OPERATION_PENDING", &rid))
}

fn poll(
    world: &mut crate::state::World,
    rid: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> FlinksResult {
    let req = live_request(world, rid, now)?;
    if req.async_ready_at.is_some_and(|t| now < t) {
        return Ok(pending_body("OPERATION_PENDING", rid));
    }
    let login_id = req.login_id.clone();
    if req.authorized {
        return Ok(Json(authorized_body(world, rid, &login_id)).into_response());
    }
    if let Some(prompt) = req.challenge {
        return Ok(mfa(rid, prompt));
    }
    if !within_reconnect_window(world, &login_id, now) {
        world.requests.remove(rid);
        return Err(FlinksError::new(
            FLINKS_RECONNECT_EXPIRED_STATUS,
            FLINKS_RECONNECT_EXPIRED_CODE,
            "The reconnection window has passed: the user must log in again",
        ));
    }
    let username = world
        .flinks
        .iter()
        .find(|l| l.data.login_id == login_id)
        .map(|l| l.data.username.clone())
        .unwrap_or_default();
    let scenario = capital::scenario(&username);
    if let Some(refusal) = scenario_refusal(scenario) {
        return Err(refusal);
    }
    if scenario == Some(Scenario::Mfa) {
        let prompt = capital::prompt(world.counter);
        if let Some(r) = world.requests.get_mut(rid) {
            r.challenge = Some(prompt);
        }
        return Ok(mfa(rid, prompt));
    }
    if let Some(r) = world.requests.get_mut(rid) {
        r.authorized = true;
    }
    super::api::connected(world, &login_id, now);
    Ok(Json(authorized_body(world, rid, &login_id)).into_response())
}

fn mfa(rid: &str, prompt: &str) -> Response {
    (
        StatusCode::NON_AUTHORITATIVE_INFORMATION,
        Json(challenge_body(rid, prompt)),
    )
        .into_response()
}

/// `GET …/GetNightlyRefreshStatus`: the loginIds enabled for nightly refresh that are not
/// eligible, with the reason (all of them while nightly refresh is off).
pub async fn nightly_refresh_status(
    State(app): State<Arc<AppState>>,
    Path(customer): Path<String>,
    headers: HeaderMap,
) -> FlinksResult {
    check_customer(&customer)?;
    check_api_key(&headers)?;
    let world = app.world();
    let ineligible: Vec<Value> = if world.flinks_nightly {
        Vec::new()
    } else {
        world
            .flinks
            .iter()
            .filter(|l| l.scheduled_refresh)
            .map(
                |l| json!({"LoginId": l.data.login_id, "Reason": FLINKS_NIGHTLY_INELIGIBLE_REASON}),
            )
            .collect()
    };
    Ok(Json(json!({"HttpStatusCode": 200, "LoginIds": ineligible})).into_response())
}

/// `PATCH …/SetScheduledRefresh` `{loginId, isActivated}`.
pub async fn set_scheduled_refresh(
    State(app): State<Arc<AppState>>,
    Path(customer): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> FlinksResult {
    check_customer(&customer)?;
    check_api_key(&headers)?;
    let obj = body_object(&body)?;
    let (Some(login_id), Some(on)) = (
        obj.get("loginId").and_then(Value::as_str),
        obj.get("isActivated").and_then(Value::as_bool),
    ) else {
        return Err(FlinksError::invalid_request(
            "loginId (string) and isActivated (boolean) are required",
        ));
    };
    let mut world = app.world();
    let login = world
        .login_mut(login_id)
        .ok_or_else(FlinksError::invalid_login)?;
    login.scheduled_refresh = on;
    Ok(
        Json(json!({"HttpStatusCode": 200, "Message": "Scheduled refresh updated"}))
            .into_response(),
    )
}

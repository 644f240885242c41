//! Flanks v0 endpoints: token, links, code exchange, banks and the Credentials API.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Duration;
use serde_json::{json, Value};

use super::errors::{object_body, str_field, FlanksError};
use super::lifecycle;
use crate::book::BANKS;
use crate::control::secrets::SecretKind;
use crate::guesses::{LIST_PAGE_SIZE, TOKEN_SCOPE};
use crate::state::{AppState, Link};
use crate::{FLANKS_CLIENT_ID, FLANKS_CLIENT_SECRET};

type ApiResult = Result<Response, FlanksError>;

/// Checks `Authorization: Bearer …` against live tokens on the sandbox clock.
pub fn authorize(app: &AppState, headers: &HeaderMap) -> Result<(), FlanksError> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(FlanksError::NotAuthenticated)?;
    let token = value
        .strip_prefix("Bearer ")
        .ok_or(FlanksError::NotAuthenticated)?;
    let now = app.clock.now();
    let world = app.world();
    match world.access_tokens.get(token.trim()) {
        Some(expiry) if *expiry > now => Ok(()),
        _ => Err(FlanksError::InvalidCredentials),
    }
}

pub async fn token(State(app): State<Arc<AppState>>, body: Bytes) -> ApiResult {
    let obj = object_body(&body, &["client_id", "client_secret", "grant_type"])?;
    let ok = obj.get("client_id").and_then(Value::as_str) == Some(FLANKS_CLIENT_ID)
        && obj.get("client_secret").and_then(Value::as_str) == Some(FLANKS_CLIENT_SECRET)
        && obj.get("grant_type").and_then(Value::as_str) == Some("client_credentials");
    if !ok {
        return Err(FlanksError::AccessDenied);
    }
    let now = app.clock.now();
    let lifetime = app.config.token_lifetime;
    let mut world = app.world();
    if app.config.single_active_token {
        world.access_tokens.clear();
    }
    world.access_tokens.retain(|_, exp| *exp > now);
    let token = world.new_id("sbx-access-");
    world.issue(SecretKind::AccessToken, &token);
    let expiry = now + Duration::from_std(lifetime).unwrap_or(Duration::hours(1));
    world.access_tokens.insert(token.clone(), expiry);
    Ok(Json(json!({
        "access_token": token,
        "expires_in": lifetime.as_secs(),
        "token_type": "Bearer",
        "scope": TOKEN_SCOPE,
    }))
    .into_response())
}

fn link_json(l: &Link, pending: usize) -> Value {
    json!({
        "token": l.token, "name": l.name, "redirect_uri": l.redirect_uri,
        "company_name": l.company_name, "terms_and_conditions_url": l.terms_and_conditions_url,
        "privacy_policy_url": l.privacy_policy_url, "active": l.active,
        "pending_code_count": pending,
    })
}

fn pending_codes(world: &crate::state::World, link: &str) -> usize {
    world
        .codes
        .iter()
        .filter(|c| c.link_token == link && !c.used)
        .count()
}

pub async fn create_link(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    authorize(&app, &headers)?;
    let obj = object_body(&body, &["redirect_uri"])?;
    let redirect_uri = str_field(&obj, "redirect_uri")?;
    // Any scheme is accepted (apps use custom schemes); it only has to look like a URI.
    if !redirect_uri.contains(':') || redirect_uri.chars().any(char::is_whitespace) {
        return Err(FlanksError::Invalid("redirect_uri"));
    }
    let text = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let mut world = app.world();
    let link = Link {
        token: world.new_id("sbx-link-"),
        name: text("name"),
        redirect_uri: redirect_uri.to_string(),
        company_name: text("company_name"),
        terms_and_conditions_url: text("terms_and_conditions_url"),
        privacy_policy_url: text("privacy_policy_url"),
        active: true,
    };
    let out = link_json(&link, 0);
    world.links.push(link);
    Ok(Json(json!({"success": true, "data": out})).into_response())
}

pub async fn list_links(State(app): State<Arc<AppState>>, headers: HeaderMap) -> ApiResult {
    authorize(&app, &headers)?;
    let world = app.world();
    let items: Vec<Value> = world
        .links
        .iter()
        .map(|l| link_json(l, pending_codes(&world, &l.token)))
        .collect();
    Ok(Json(json!({"success": true, "count": items.len(), "items": items})).into_response())
}

fn with_link(
    app: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    f: impl FnOnce(&mut Vec<Link>, usize),
) -> ApiResult {
    authorize(app, headers)?;
    let obj = object_body(body, &["token"])?;
    let token = str_field(&obj, "token")?;
    let mut world = app.world();
    let idx = world
        .links
        .iter()
        .position(|l| l.token == token)
        .ok_or(FlanksError::Invalid("token"))?;
    f(&mut world.links, idx);
    Ok(Json(json!({"success": true})).into_response())
}

pub async fn delete_link(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    with_link(&app, &headers, &body, |links, i| {
        links.remove(i);
    })
}

pub async fn pause_link(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    with_link(&app, &headers, &body, |links, i| links[i].active = false)
}

pub async fn resume_link(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    with_link(&app, &headers, &body, |links, i| links[i].active = true)
}

/// Exchange a link code for the credentials_token. Single use; delayed codes answer 202
/// until released.
pub async fn exchange(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    authorize(&app, &headers)?;
    let obj = object_body(&body, &["code"])?;
    let code = str_field(&obj, "code")?;
    let now = app.clock.now();
    let mut world = app.world();
    let entry = world
        .codes
        .iter_mut()
        .find(|c| c.code == code && !c.used)
        .ok_or(FlanksError::Invalid("code"))?;
    if entry.held(now) {
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({"message": "The credentials are going through security checks; try again later"})),
        )
            .into_response());
    }
    entry.used = true;
    Ok(Json(json!({
        "message": "Success",
        "credentials_token": entry.credentials_token,
        "link_token": entry.link_token,
        "extra": entry.extra,
    }))
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct CodesQuery {
    link_token: Option<String>,
}

pub async fn unused_codes(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<CodesQuery>,
) -> ApiResult {
    authorize(&app, &headers)?;
    let world = app.world();
    let items: Vec<Value> = world
        .codes
        .iter()
        .filter(|c| !c.used)
        .filter(|c| q.link_token.as_deref().is_none_or(|l| l == c.link_token))
        .map(|c| json!({"code": c.code, "link_token": c.link_token, "extra": c.extra}))
        .collect();
    Ok(Json(items).into_response())
}

pub async fn banks(State(app): State<Arc<AppState>>, headers: HeaderMap) -> ApiResult {
    authorize(&app, &headers)?;
    let items: Vec<Value> = BANKS
        .iter()
        .map(|b| json!({"id": b.id, "name": b.name, "country": b.country, "logo_url": null}))
        .collect();
    Ok(Json(items).into_response())
}

pub async fn status(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    authorize(&app, &headers)?;
    let obj = object_body(&body, &["credentials_token"])?;
    let token = str_field(&obj, "credentials_token")?;
    let now = app.clock.now();
    let world = app.world();
    let c = world
        .cred(token)
        .ok_or(FlanksError::Invalid("credentials_token"))?;
    Ok(Json(lifecycle::status_json(c, now)).into_response())
}

pub async fn force(State(app): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> ApiResult {
    authorize(&app, &headers)?;
    let obj = object_body(&body, &["credentials_token", "force"])?;
    let token = str_field(&obj, "credentials_token")?;
    let kind = str_field(&obj, "force")?;
    if !matches!(kind, "sca" | "reset" | "transaction") {
        return Err(FlanksError::Invalid("force"));
    }
    let mut world = app.world();
    let issued = lifecycle::force(&mut world, token, kind)
        .ok_or(FlanksError::Invalid("credentials_token"))?;
    let key = format!("{kind}_token");
    Ok(Json(json!({ key: issued })).into_response())
}

pub async fn list_credentials(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    authorize(&app, &headers)?;
    let obj = object_body(&body, &[])?;
    let page = match obj.get("page") {
        None | Some(Value::Null) => 1,
        Some(v) => v
            .as_u64()
            .filter(|p| *p >= 1)
            .ok_or(FlanksError::Invalid("page"))? as usize,
    };
    let now = app.clock.now();
    let world = app.world();
    let pages = world.creds.len().div_ceil(LIST_PAGE_SIZE).max(1);
    let items: Vec<Value> = world
        .creds
        .iter()
        .skip((page - 1) * LIST_PAGE_SIZE)
        .take(LIST_PAGE_SIZE)
        .map(|c| {
            json!({"credentials_token": c.data.token, "external_id": c.data.external_id,
                   "bank": c.data.bank, "status": lifecycle::list_status(c, now)})
        })
        .collect();
    Ok(Json(json!({"items": items, "page": page, "pages": pages})).into_response())
}

pub async fn delete_credentials(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    authorize(&app, &headers)?;
    let obj = object_body(&body, &["credentials_token"])?;
    let token = str_field(&obj, "credentials_token")?;
    let mut world = app.world();
    let before = world.creds.len();
    world.creds.retain(|c| c.data.token != token);
    if world.creds.len() == before {
        return Err(FlanksError::Invalid("credentials_token"));
    }
    Ok(Json(json!({"message": "Credentials deleted"})).into_response())
}

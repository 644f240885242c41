//! Connect API v2 (seed 000): connectors, create-session, list-sessions.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::api::authorize;
use super::errors::FlanksError;
use crate::book::{Bank, BANKS};
use crate::guesses::session_page_path;
use crate::state::{AppState, Session};

pub fn connector_id(b: &Bank) -> String {
    format!("esp:{}", b.id)
}

/// [guess] which connectors are PSD2 and which screen-scraped ("e-banking").
pub(super) fn connector_type(b: &Bank) -> &'static str {
    if b.id == "testbank" || b.id.len().is_multiple_of(2) {
        "e-banking"
    } else {
        "psd2"
    }
}

fn connector_json(b: &Bank) -> Value {
    json!({"connector_id": connector_id(b), "name": b.name, "countries": ["esp"], "type": connector_type(b)})
}

fn parse(body: &[u8]) -> Result<Map<String, Value>, FlanksError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(FlanksError::validation("invalid_json", "body")),
    }
}

/// The object under `key`, or an empty one when it is missing or not an object.
fn object_field(obj: &Map<String, Value>, key: &str) -> Map<String, Value> {
    obj.get(key)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn string_list(v: Option<&Value>, field: &'static str) -> Result<Option<Vec<String>>, FlanksError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or(FlanksError::validation("type_error", field))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(FlanksError::validation("type_error", field)),
    }
}

pub async fn list_connectors(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FlanksError> {
    authorize(&app, &headers)?;
    let obj = parse(&body)?;
    let query = obj.get("query").and_then(Value::as_object);
    let ids = string_list(
        query.and_then(|q| q.get("connector_id_in")),
        "query.connector_id_in",
    )?;
    let items: Vec<Value> = BANKS
        .iter()
        .filter(|b| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&connector_id(b)))
        })
        .map(connector_json)
        .collect();
    Ok(Json(json!({"items": items, "next_page_token": null})).into_response())
}

fn field_value(b: &Bank, field: &str) -> Vec<String> {
    match field {
        "connector_id" => vec![connector_id(b)],
        "countries" => vec!["esp".to_string()],
        "type" => vec![connector_type(b).to_string()],
        _ => Vec::new(),
    }
}

/// Applies `connector_filter.rules`: includes narrow the set, excludes remove from it.
fn allowed_connectors(filter: Option<&Value>) -> Result<Vec<String>, FlanksError> {
    let rules = filter
        .and_then(|f| f.get("rules"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut parsed = Vec::new();
    for r in &rules {
        let action = r.get("action").and_then(Value::as_str);
        let field = r.get("field").and_then(Value::as_str);
        let value = r.get("value").and_then(Value::as_str);
        match (action, field, value) {
            (
                Some(a @ ("include" | "exclude")),
                Some(f @ ("connector_id" | "countries" | "type")),
                Some(v),
            ) => parsed.push((a, f, v)),
            _ => {
                return Err(FlanksError::validation(
                    "invalid",
                    "configuration.connector_filter.rules",
                ))
            }
        }
    }
    let has_include = parsed.iter().any(|(a, _, _)| *a == "include");
    Ok(BANKS
        .iter()
        .filter(|b| {
            let hit = |act: &str| {
                parsed
                    .iter()
                    .any(|(a, f, v)| *a == act && field_value(b, f).iter().any(|x| x == v))
            };
            (!has_include || hit("include")) && !hit("exclude")
        })
        .map(connector_id)
        .collect())
}

pub fn session_json(s: &Session, base: &str) -> Value {
    json!({
        "session_id": s.session_id, "status": s.status, "connection_id": s.connection_id,
        "error_code": s.error_code, "url": format!("{base}{}", session_page_path(&s.session_id)),
    })
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

pub async fn create_session(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FlanksError> {
    authorize(&app, &headers)?;
    let obj = parse(&body)?;
    let config = object_field(&obj, "configuration");
    // [guess] placement: configuration.redirect_url; a top-level redirect_url is accepted too.
    let redirect_url = config
        .get("redirect_url")
        .or_else(|| obj.get("redirect_url"))
        .and_then(Value::as_str)
        .filter(|s| s.contains(':'))
        .ok_or(FlanksError::validation(
            "missing",
            "configuration.redirect_url",
        ))?
        .to_string();
    let mut connectors = allowed_connectors(config.get("connector_filter"))?;
    if let Some(id) = config.get("connector_id").and_then(Value::as_str) {
        if !connectors.iter().any(|c| c == id) {
            return Err(FlanksError::validation(
                "invalid",
                "configuration.connector_id",
            ));
        }
        connectors = vec![id.to_string()];
    }
    // [guess] reconnection / MFA of an existing connection: `configuration.connection_id`.
    let reconnect = match config.get("connection_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => {
            let world = app.world();
            let cred = world.cred(id).ok_or(FlanksError::validation(
                "invalid",
                "configuration.connection_id",
            ))?;
            connectors = vec![format!("esp:{}", cred.data.bank)];
            Some(id.clone())
        }
        Some(_) => {
            return Err(FlanksError::validation(
                "type_error",
                "configuration.connection_id",
            ))
        }
    };
    if connectors.is_empty() {
        return Err(FlanksError::validation(
            "empty",
            "configuration.connector_filter",
        ));
    }
    let mut world = app.world();
    let session = Session {
        session_id: world.new_id("sbx-session-"),
        status: "Waiting:ProvideCredentials",
        connection_id: None,
        error_code: None,
        redirect_url,
        connector_ids: connectors,
        attempt: None,
        next: None,
        reconnect,
    };
    let out = session_json(&session, &base_url(&headers));
    world.sessions.push(session);
    Ok(Json(json!({"session": out})).into_response())
}

pub async fn list_sessions(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FlanksError> {
    authorize(&app, &headers)?;
    let obj = parse(&body)?;
    let q = object_field(&obj, "query");
    let ids = string_list(q.get("session_id_in"), "query.session_id_in")?;
    let statuses = string_list(q.get("status_in"), "query.status_in")?;
    let conns = string_list(q.get("connection_id_in"), "query.connection_id_in")?;
    let codes = string_list(q.get("error_code_in"), "query.error_code_in")?;
    let keep = |list: &Option<Vec<String>>, v: Option<&str>| {
        list.as_ref()
            .is_none_or(|l| v.is_some_and(|v| l.iter().any(|x| x == v)))
    };
    let base = base_url(&headers);
    let world = app.world();
    let items: Vec<Value> = world
        .sessions
        .iter()
        .filter(|s| keep(&ids, Some(&s.session_id)))
        .filter(|s| keep(&statuses, Some(s.status)))
        .filter(|s| keep(&conns, s.connection_id.as_deref()))
        .filter(|s| keep(&codes, s.error_code))
        .map(|s| session_json(s, &base))
        .collect();
    Ok(Json(json!({"items": items, "next_page_token": null})).into_response())
}

//! The control plane under `/_sandbox/`: things only a sandbox can do (move time, force
//! states, inject faults, read stats). Tests provoke conditions here, never in the app.

pub mod client;
pub mod secrets;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::faults::FaultRule;
use crate::html::{self, esc};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/clock/advance", post(advance))
        .route("/_sandbox/refresh", post(refresh))
        .route("/_sandbox/credentials/force", post(force))
        .route("/_sandbox/flinks/nightly", post(flinks_nightly))
        .route("/_sandbox/flinks/backdate", post(flinks_backdate))
        .route("/_sandbox/codes/release", post(release))
        .route("/_sandbox/flinks/redirect-event", post(redirect_event))
        .route(
            "/_sandbox/faults",
            post(add_fault).delete(clear_faults).get(list_faults),
        )
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/book", get(book))
        .route("/_sandbox/secrets", get(secrets::list))
        .route("/_sandbox/landing", get(landing))
        .route("/_sandbox/widget-host", get(widget_host))
}

fn bad(msg: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": msg.into()}))).into_response()
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Box<Response>> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| Box::new(bad(format!("invalid body: {e}"))))
}

async fn reset(State(app): State<Arc<AppState>>) -> Response {
    app.reset();
    Json(json!({"ok": true})).into_response()
}

const MAX_ADVANCE_SECONDS: i64 = 100 * 365 * 86_400;

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let a: Advance = match parse(&body) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    // Time only moves forward, and by less than a century (chrono's range is finite).
    if !(0..=MAX_ADVANCE_SECONDS).contains(&a.seconds) {
        return bad(format!(
            "seconds must be between 0 and {MAX_ADVANCE_SECONDS}"
        ));
    }
    let before = app.clock.now().date_naive();
    app.clock.advance(a.seconds);
    let now = app.clock.now();
    // Crossing midnight runs the daily refresh, as the real service does once a day.
    let refreshed = if now.date_naive() > before {
        app.world().refresh(now)
    } else {
        0
    };
    Json(json!({"now": now.to_rfc3339(), "refreshed": refreshed})).into_response()
}

async fn refresh(State(app): State<Arc<AppState>>) -> Response {
    let now = app.clock.now();
    let n = app.world().refresh(now);
    Json(json!({"refreshed": n})).into_response()
}

#[derive(Deserialize)]
struct Nightly {
    enabled: bool,
}

/// Flinks nightly refresh: off by default; on for the few institutions where it still works.
async fn flinks_nightly(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let n: Nightly = match parse(&body) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    app.world().flinks_nightly = n.enabled;
    Json(json!({"enabled": n.enabled})).into_response()
}

#[derive(Deserialize)]
struct Backdate {
    days: i64,
}

/// As if every Flinks client last connected `days` earlier: their data (and the reconnect
/// window) dates from then, so a cached Authorize returns frozen data.
async fn flinks_backdate(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let b: Backdate = match parse(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    if !(0..=3650).contains(&b.days) {
        return bad("days must be between 0 and 3650");
    }
    let back = chrono::Duration::days(b.days);
    let mut world = app.world();
    for l in &mut world.flinks {
        l.last_refresh -= back;
        l.last_connected -= back;
    }
    Json(json!({"backdated": world.flinks.len()})).into_response()
}

#[derive(Deserialize)]
struct Force {
    credentials_token: String,
    state: String,
}

async fn force(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let f: Force = match parse(&body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    if !matches!(f.state.as_str(), "pending_sca" | "blocked" | "ready") {
        return bad("state must be pending_sca, blocked or ready");
    }
    let mut world = app.world();
    match crate::flanks::lifecycle::force(&mut world, &f.credentials_token, &f.state) {
        Some(token) => Json(json!({"token": token})).into_response(),
        None => bad("unknown credentials_token"),
    }
}

/// Which documented form Flinks Connect's `REDIRECT` event takes (`fields` or `url`), and
/// whether the widget also navigates to `redirectUrl` (`navigate`, default true).
async fn redirect_event(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let r: crate::state::RedirectEvent = match parse(&body) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    app.world().redirect_event = r;
    Json(json!(r)).into_response()
}

#[derive(Deserialize)]
struct Release {
    code: Option<String>,
}

async fn release(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let r: Release = match parse(&body) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    let now = app.clock.now();
    let mut world = app.world();
    let mut n = 0;
    for c in world.codes.iter_mut().filter(|c| c.delayed && !c.used) {
        if r.code.as_deref().is_none_or(|x| x == c.code) {
            c.release_at = c.release_at.min(now);
            n += 1;
        }
    }
    if n == 0 && r.code.is_some() {
        return bad("unknown or already used code");
    }
    Json(json!({"released": n})).into_response()
}

async fn add_fault(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let rule: FaultRule = match parse(&body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    if let Err(e) = rule.validate() {
        return bad(e);
    }
    app.faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .rules
        .push(rule);
    Json(json!({"ok": true})).into_response()
}

async fn clear_faults(State(app): State<Arc<AppState>>) -> Response {
    app.faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .rules
        .clear();
    Json(json!({"ok": true})).into_response()
}

async fn list_faults(State(app): State<Arc<AppState>>) -> Response {
    let rules = app
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .rules
        .clone();
    Json(rules).into_response()
}

async fn stats(State(app): State<Arc<AppState>>) -> Response {
    let stats = app.stats.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Json(json!({"calls": stats})).into_response()
}

/// One seeded credential as `GET /_sandbox/book` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BookEntry {
    pub provider: String,
    /// credentials_token (Flanks) or loginId (Flinks).
    pub token: String,
    pub external_id: Option<String>,
    pub holders: Vec<String>,
    pub bank: String,
    /// The bank login, so a test can try to link it again (CREDENTIALS_ALREADY_EXIST).
    pub username: String,
}

async fn book(State(app): State<Arc<AppState>>) -> Response {
    let world = app.world();
    let mut out: Vec<BookEntry> = world
        .creds
        .iter()
        .map(|c| BookEntry {
            provider: "flanks".into(),
            token: c.data.token.clone(),
            external_id: c.data.external_id.clone(),
            holders: c.data.holders.iter().map(|h| h.name.clone()).collect(),
            bank: c.data.bank.clone(),
            username: c.data.username.clone(),
        })
        .collect();
    out.extend(world.flinks.iter().map(|l| BookEntry {
        provider: "flinks".into(),
        token: l.data.login_id.clone(),
        external_id: None,
        holders: vec![l.data.holder_name.clone()],
        bank: "FlinksCapital".into(),
        username: l.data.username.clone(),
    }));
    Json(out).into_response()
}

/// An http redirect target for browser tests: shows the query it received.
async fn landing(RawQuery(raw): RawQuery) -> Response {
    let raw = raw.unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&raw).unwrap_or_default();
    let rows: String = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "<div><b>{}</b> = <code data-key=\"{}\">{}</code></div>",
                esc(k),
                esc(k),
                esc(v)
            )
        })
        .collect();
    let body = format!(
        "<h1>Redirect received</h1><pre id=\"query\">{}</pre>{rows}",
        esc(&raw)
    );
    html::respond(
        StatusCode::OK,
        html::page(html::FLANKS, "Landing", (0, 0), &body, ""),
    )
}

/// A page that embeds the Flinks Connect widget in an iframe (with this page's query) and
/// lists the `{step: …}` events the widget posts, as an app's event listener would.
async fn widget_host(RawQuery(raw): RawQuery) -> Response {
    let src = format!("/flinks-connect/v2/?{}", raw.unwrap_or_default());
    let body = format!(
        "<h1>Flinks Connect events</h1><iframe id=\"widget\" src=\"{}\" style=\"width:100%;height:560px;border:1px solid #e5e7eb;\
         border-radius:12px\"></iframe><pre id=\"events\" style=\"font-size:11px;white-space:pre-wrap\"></pre>",
        esc(&src)
    );
    let script = "window.flinksEvents=[];window.addEventListener('message',function(e){window.flinksEvents.push(e.data);\
        document.getElementById('events').textContent=window.flinksEvents.map(function(x){return JSON.stringify(x)}).join('\\n')});";
    html::respond(
        StatusCode::OK,
        html::page(html::FLINKS, "Widget host", (0, 0), &body, script),
    )
}

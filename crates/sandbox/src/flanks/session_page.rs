//! The Connect v2 session page: connector list, credentials, challenge, with the
//! `Processing:*` statuses observable between steps, ending in a 302 to
//! `redirect_url?session_id=…`. Sessions are single use.

use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::connect::connector_type;
use super::link_page::sca_prompt;
use super::{lifecycle, psd2, testbank};
use crate::book::{bank, BANKS};
use crate::html::{self, esc, FLANKS};
use crate::query::{append_query, redirect};
use crate::state::{AppState, Attempt, ScaKind, Session, SessionNext, World};

fn gone(title: &str, msg: &str, status: StatusCode) -> Response {
    html::error_page(FLANKS, status, title, msg)
}

fn session_not_found() -> Response {
    gone(
        "Session not found",
        "This connection session does not exist.",
        StatusCode::NOT_FOUND,
    )
}

fn session_finished() -> Response {
    gone(
        "Session already used",
        "This connection session has finished.",
        StatusCode::GONE,
    )
}

/// Back to the client: `redirect_url?session_id=…`, whatever the session's outcome.
pub(super) fn redirect_to_client(s: &Session) -> Response {
    let pairs = vec![("session_id".to_string(), s.session_id.clone())];
    redirect(&append_query(&s.redirect_url, &pairs))
}

/// The bank accepted the attempt: create (or refresh) its credential; the session will finish
/// with the connection id or the v2 error code.
/// The index of session `id` if it still waits for the client's login; else the page to show.
pub(super) fn awaiting_credentials(world: &World, id: &str) -> Result<usize, Box<Response>> {
    let idx = world
        .sessions
        .iter()
        .position(|s| s.session_id == id)
        .ok_or_else(|| Box::new(session_not_found()))?;
    if world.sessions[idx].status != "Waiting:ProvideCredentials" {
        return Err(Box::new(session_finished()));
    }
    Ok(idx)
}

pub(super) fn finish_attempt(
    app: &AppState,
    world: &mut World,
    now: DateTime<Utc>,
    attempt: &Attempt,
    account_errored: bool,
) -> SessionNext {
    let result = lifecycle::complete(
        world,
        app.config.seed,
        app.config.pending_delay,
        now,
        attempt,
        None,
        account_errored,
    );
    SessionNext::Finish(result.map_err(testbank::v2_error))
}

fn bank_of(connector: &str) -> Option<&'static crate::book::Bank> {
    connector.strip_prefix("esp:").and_then(bank)
}

#[derive(Deserialize)]
pub struct ShowQuery {
    connector: Option<String>,
}

pub async fn show(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let mut guard = app.world();
    let world = &mut *guard;
    // Reconnecting a connection in Pending SCA: only the challenge is asked.
    let sca_reconnect = world
        .sessions
        .iter()
        .find(|s| s.session_id == id && s.status == "Waiting:ProvideCredentials")
        .and_then(|s| s.reconnect.as_deref())
        .and_then(|t| world.cred(t))
        .filter(|c| c.sca_token.is_some())
        .map(|c| Attempt {
            bank: c.data.bank.clone(),
            username: c.data.username.clone(),
            password: String::new(),
            kind: c.sca_kind,
            existing: Some(c.data.token.clone()),
        });
    if let Some(attempt) = sca_reconnect {
        if let Some(s) = world.sessions.iter_mut().find(|s| s.session_id == id) {
            s.status = "Waiting:Challenge";
            s.attempt = Some(attempt);
        }
    }
    let world = &*world;
    let Some(s) = world.sessions.iter().find(|s| s.session_id == id) else {
        return session_not_found();
    };
    if s.status.starts_with("Finished") {
        return gone(
            "Session already used",
            "This connection session has finished. Ask for a new one.",
            StatusCode::GONE,
        );
    }
    if s.status == "Waiting:Challenge" {
        if let Some(a) = &s.attempt {
            return challenge_page(&id, a, None);
        }
    }
    let chosen = q
        .connector
        .filter(|c| s.connector_ids.contains(c))
        .or_else(|| (s.connector_ids.len() == 1).then(|| s.connector_ids[0].clone()));
    match chosen.as_deref().and_then(bank_of) {
        Some(b) if connector_type(b) == "psd2" => {
            drop(guard);
            psd2::leave_for_bank(&app, &id, b)
        }
        Some(b) => credentials_page(&id, b, None),
        None => connector_page(s),
    }
}

fn connector_page(s: &Session) -> Response {
    let mut items = String::new();
    for b in BANKS
        .iter()
        .filter(|b| s.connector_ids.contains(&format!("esp:{}", b.id)))
    {
        items.push_str(&format!(
            "<a class=\"bank\" id=\"connector-{id}\" data-name=\"{ln}\" href=\"?connector=esp:{id}\">{logo}<span>{name}\
             <small>esp:{id}</small></span><span class=\"chev\">&#8250;</span></a>",
            id = esc(b.id),
            ln = esc(&b.name.to_lowercase()),
            logo = html::logo(b.name, b.colour),
            name = esc(b.name),
        ));
    }
    let body = format!(
        "<h1>Connect your bank</h1><p class=\"sub\">Choose the institution you want to connect. \
         Flanks reads your data; it can never move money.</p><input class=\"search\" id=\"search\" \
         placeholder=\"Search\" autocomplete=\"off\"><div class=\"list\">{items}</div>"
    );
    let script = "document.getElementById('search').addEventListener('input',function(e){var q=e.target.value.toLowerCase();\
        document.querySelectorAll('.bank').forEach(function(b){b.style.display=b.dataset.name.indexOf(q)>=0?'':'none'})});";
    html::respond(
        StatusCode::OK,
        html::page(FLANKS, "Connect your bank", (1, 3), &body, script),
    )
}

fn credentials_page(id: &str, b: &crate::book::Bank, error: Option<&str>) -> Response {
    let err = error.map(html::error_message).unwrap_or_default();
    let body = format!(
        "<h1>Log in to {name}</h1><div class=\"chosen\">{logo}<div><b>{name}</b></div></div>{err}\
         <form method=\"post\" action=\"/connect/session/{sid}/login\"><input type=\"hidden\" name=\"connector\" \
         value=\"esp:{bid}\"><label for=\"username\">User</label><input type=\"text\" id=\"username\" name=\"username\" \
         required autocomplete=\"off\"><label for=\"password\">Password</label><input type=\"password\" id=\"password\" \
         name=\"password\" required><button class=\"btn\" id=\"submit\" type=\"submit\">Connect</button></form>\
         <form method=\"post\" action=\"/connect/session/{sid}/abort\"><button class=\"btn ghost\" id=\"cancel\">Cancel</button></form>",
        name = esc(b.name),
        logo = html::logo(b.name, b.colour),
        sid = esc(id),
        bid = esc(b.id),
    );
    html::respond(
        StatusCode::OK,
        html::page(FLANKS, "Log in", (2, 3), &body, ""),
    )
}

fn challenge_page(id: &str, a: &Attempt, error: Option<&str>) -> Response {
    let (title, text, label) = sca_prompt(a.kind);
    let err = error.map(html::error_message).unwrap_or_default();
    let body = format!(
        "<h1 id=\"sca-title\">{title}</h1><p class=\"sub\">{text}</p>{err}<form method=\"post\" \
         action=\"/connect/session/{sid}/challenge\"><label for=\"sca-answer\">{label}</label><input type=\"text\" \
         id=\"sca-answer\" name=\"answer\" required autocomplete=\"one-time-code\"><button class=\"btn\" id=\"sca-submit\" \
         type=\"submit\">Verify</button></form>",
        sid = esc(id),
    );
    html::respond(StatusCode::OK, html::page(FLANKS, title, (3, 3), &body, ""))
}

/// "Connecting to your bank…": the session is `Processing:*` until the page continues.
pub(super) fn processing_page(id: &str) -> Response {
    let body = format!(
        "<div class=\"center\"><div class=\"spinner\"></div><h1>Connecting to your bank…</h1><p class=\"sub\">\
         This takes a few seconds.</p><a id=\"continue\" href=\"/connect/session/{sid}/continue\">Continue</a></div>",
        sid = esc(id)
    );
    let script = format!(
        "setTimeout(function(){{location.href='/connect/session/'+{}+'/continue'}},800);",
        html::js_string(id)
    );
    html::respond(
        StatusCode::OK,
        html::page(FLANKS, "Connecting", (3, 3), &body, &script),
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    connector: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    Form(f): Form<LoginForm>,
) -> Response {
    let now = app.clock.now();
    let mut guard = app.world();
    let world = &mut *guard;
    let idx = match awaiting_credentials(world, &id) {
        Ok(idx) => idx,
        Err(page) => return *page,
    };
    let Some(b) =
        bank_of(&f.connector).filter(|_| world.sessions[idx].connector_ids.contains(&f.connector))
    else {
        return gone(
            "Unknown institution",
            "Choose an institution from the list.",
            StatusCode::BAD_REQUEST,
        );
    };
    let username = f.username.trim().to_string();
    if username.is_empty() {
        return credentials_page(&id, b, Some("Enter your user."));
    }
    // A session for a login we already hold reconnects it (sessions serve reconnection),
    // as does a session created for an existing connection_id (Blocked: new password).
    let existing = world.sessions[idx].reconnect.clone().or_else(|| {
        world
            .creds
            .iter()
            .find(|c| c.data.bank == b.id && c.data.username == username)
            .map(|c| c.data.token.clone())
    });
    let mut attempt = Attempt {
        bank: b.id.to_string(),
        username,
        password: f.password.clone(),
        kind: ScaKind::Sms,
        existing,
    };
    let next = match testbank::login(&f.password) {
        testbank::LoginOutcome::Fail(code) => SessionNext::Finish(Err(testbank::v2_error(code))),
        testbank::LoginOutcome::UnsupportedSca => {
            SessionNext::Finish(Err(testbank::v2_error("UNSUPPORTED")))
        }
        testbank::LoginOutcome::Sca(kind) => {
            attempt.kind = kind;
            SessionNext::Challenge
        }
        outcome => {
            let errored = outcome == testbank::LoginOutcome::DataErrorAccount;
            finish_attempt(&app, world, now, &attempt, errored)
        }
    };
    let s = &mut world.sessions[idx];
    s.status = "Processing:ProvideCredentials";
    s.attempt = Some(attempt);
    s.next = Some(next);
    processing_page(&id)
}

pub async fn proceed(State(app): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let mut world = app.world();
    let Some(s) = world.sessions.iter_mut().find(|s| s.session_id == id) else {
        return session_not_found();
    };
    match s.next.take() {
        Some(SessionNext::Challenge) => {
            s.status = "Waiting:Challenge";
            match &s.attempt {
                Some(a) => challenge_page(&id, a, None),
                None => gone("Session error", "Start again.", StatusCode::BAD_REQUEST),
            }
        }
        Some(SessionNext::Finish(result)) => {
            match result {
                Ok(token) => {
                    s.status = "Finished:OK";
                    s.connection_id = Some(token);
                }
                Err(code) => {
                    s.status = "Finished:Error";
                    s.error_code = Some(code);
                }
            }
            redirect_to_client(s)
        }
        None if s.status.starts_with("Finished") => session_finished(),
        None => {
            // Nothing pending: show whatever step the session is at.
            let sid = s.session_id.clone();
            drop(world);
            show_sync(&app, &sid)
        }
    }
}

fn show_sync(app: &AppState, id: &str) -> Response {
    let world = app.world();
    match world.sessions.iter().find(|s| s.session_id == id) {
        Some(s) if s.status == "Waiting:Challenge" => match &s.attempt {
            Some(a) => challenge_page(id, a, None),
            None => connector_page(s),
        },
        Some(s) => connector_page(s),
        None => session_not_found(),
    }
}

#[derive(Deserialize)]
pub struct ChallengeForm {
    #[serde(default)]
    answer: String,
}

pub async fn challenge(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    Form(f): Form<ChallengeForm>,
) -> Response {
    let now = app.clock.now();
    let mut guard = app.world();
    let world = &mut *guard;
    let Some(idx) = world.sessions.iter().position(|s| s.session_id == id) else {
        return session_not_found();
    };
    let s = &world.sessions[idx];
    let (true, Some(attempt)) = (s.status == "Waiting:Challenge", s.attempt.clone()) else {
        return gone(
            "Session already used",
            "This step is no longer valid.",
            StatusCode::GONE,
        );
    };
    let next = match testbank::sca_answer(&f.answer) {
        Ok(()) => finish_attempt(&app, world, now, &attempt, false),
        Err(code) => SessionNext::Finish(Err(testbank::v2_error(code))),
    };
    let s = &mut world.sessions[idx];
    s.status = "Processing:Challenge";
    s.next = Some(next);
    processing_page(&id)
}

/// Cancel: the session ends in error. [guess] the v2 list has no "aborted" code; we use
/// `UserInteractionNeeded`.
pub async fn abort(State(app): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let mut world = app.world();
    let Some(s) = world.sessions.iter_mut().find(|s| s.session_id == id) else {
        return session_not_found();
    };
    if s.status.starts_with("Finished") {
        return session_finished();
    }
    s.status = "Finished:Error";
    s.error_code = Some("UserInteractionNeeded");
    redirect_to_client(s)
}

//! A Connect v2 session on a PSD2 connector (`type: "psd2"`): the client does not type the
//! bank login into Flanks' page; the session page sends them to the bank's own page (the
//! banks' origin, [`crate::bank`]) with a full-page navigation, the bank redirects back to
//! `/connect/session/{id}/bank-return`, and the session finishes as every session does
//! (`Processing:ProvideCredentials`, then `redirect_url?session_id=…`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::session_page::{
    awaiting_credentials, finish_attempt, processing_page, redirect_to_client,
};
use crate::bank::{self, BankAnswer, BankBrand};
use crate::book::Bank;
use crate::html::{self, esc, FLANKS};
use crate::state::{AppState, Attempt, ScaKind, SessionNext};

const PURPOSE: &str =
    "Flanks is asking for access to your account information (PSD2). Approve to continue.";

/// "You will continue on your bank's website": registers the authorization and links to
/// the bank's page in this same window.
pub fn leave_for_bank(app: &AppState, session_id: &str, b: &'static Bank) -> Response {
    let return_url = format!(
        "{}/connect/session/{}/bank-return",
        app.origins.provider,
        urlencoding(session_id)
    );
    let brand = BankBrand {
        name: b.name,
        colour: b.colour,
    };
    let (_, url) = bank::begin(
        app,
        &mut app.world(),
        brand,
        PURPOSE,
        return_url,
        format!("{session_id} esp:{}", b.id),
    );
    let body = format!(
        "<h1>Continue at {name}</h1><div class=\"chosen\">{logo}<div><b>{name}</b></div></div>\
         <p class=\"sub\">{name} connects through PSD2: you sign in on the bank's own website, then come back here.</p>\
         <a class=\"btn\" id=\"psd2-continue\" style=\"text-align:center;text-decoration:none\" href=\"{url}\">Continue to \
         {name}</a><form method=\"post\" action=\"/connect/session/{sid}/abort\"><button class=\"btn ghost\" id=\"cancel\">\
         Cancel</button></form>",
        name = esc(b.name),
        logo = html::logo(b.name, b.colour),
        url = esc(&url),
        sid = esc(session_id),
    );
    html::respond(
        StatusCode::OK,
        html::page(FLANKS, "Continue at your bank", (2, 3), &body, ""),
    )
}

/// Session ids are `[A-Za-z0-9-_]`; anything else is escaped rather than trusted.
fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .to_string()
}

/// Back from the bank: approved → the credential is created (or reconnected) and the session
/// finishes through the usual processing step; declined → `Finished:Error`.
pub async fn returned(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<BankAnswer>,
) -> Response {
    let now = app.clock.now();
    let mut guard = app.world();
    let world = &mut *guard;
    let idx = match awaiting_credentials(world, &id) {
        Ok(idx) => idx,
        Err(page) => return *page,
    };
    if !q.error.is_empty() {
        bank::cancel(world, &q.state);
        let s = &mut world.sessions[idx];
        s.status = "Finished:Error";
        s.error_code = Some("UserInteractionNeeded");
        return redirect_to_client(s);
    }
    // The grant must have been made by this session, for one of its connectors.
    let connector = bank::open_grant(world, &q.state)
        .and_then(|g| g.payload.split_once(' '))
        .filter(|(sid, c)| *sid == id && world.sessions[idx].connector_ids.iter().any(|x| x == c))
        .map(|(_, c)| c.to_string());
    let Some((connector, grant)) =
        connector.and_then(|c| bank::redeem(world, &q.state, &q.code).map(|g| (c, g)))
    else {
        return html::error_page(
            FLANKS,
            StatusCode::BAD_REQUEST,
            "Authorization not recognised",
            "The bank's answer does not belong to this session. Start again.",
        );
    };
    let bank_id = connector.trim_start_matches("esp:").to_string();
    let username = grant.username.unwrap_or_default();
    let existing = world.sessions[idx].reconnect.clone().or_else(|| {
        world
            .creds
            .iter()
            .find(|c| c.data.bank == bank_id && c.data.username == username)
            .map(|c| c.data.token.clone())
    });
    let attempt = Attempt {
        bank: bank_id,
        username,
        password: String::new(),
        kind: ScaKind::App,
        existing,
    };
    let next: SessionNext = finish_attempt(&app, world, now, &attempt, false);
    let s = &mut world.sessions[idx];
    s.status = "Processing:ProvideCredentials";
    s.attempt = Some(attempt);
    s.next = Some(next);
    processing_page(&id)
}

//! The legacy Flanks Link page (seed 001): bank list, login form, SCA screens, the
//! `bank` / `sca_token` / `reset_token` / `transaction_token` / `external_id` / `rollback`
//! parameters and extra parameters, ending in a 302 to the link's redirect URI.

use std::sync::Arc;

use axum::extract::{Form, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use serde::Deserialize;

use super::{lifecycle, testbank};
use crate::book::{bank, BANKS};
use crate::control::secrets::SecretKind;
use crate::html::{self, esc, FLANKS};
use crate::query::{append_query, redirect, LinkParams, LoginForm};
use crate::state::{AppState, Attempt, LinkCode, ScaKind};

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        esc(name),
        esc(value)
    )
}

fn chosen_bank(id: &str) -> String {
    let b = bank(id).unwrap_or(&BANKS[0]);
    format!(
        "<div class=\"chosen\">{}<div><b>{}</b><small style=\"display:block;color:#9ca3af\">\
         Online banking</small></div></div>",
        html::logo(b.name, b.colour),
        esc(b.name)
    )
}

fn bank_list(p: &LinkParams, company: &str) -> Response {
    let mut items = String::new();
    for b in BANKS {
        items.push_str(&format!(
            "<a class=\"bank\" id=\"bank-{id}\" data-bank=\"{id}\" data-name=\"{lname}\" href=\"/link?{q}\">{logo}\
             <span>{name}<small>{country}</small></span><span class=\"chev\">&#8250;</span></a>",
            id = esc(b.id),
            lname = esc(&b.name.to_lowercase()),
            q = esc(&p.with("bank", b.id)),
            logo = html::logo(b.name, b.colour),
            name = esc(b.name),
            country = if b.id == "testbank" { "Test institution" } else { "España" },
        ));
    }
    let body = format!(
        "<h1 id=\"title-select-bank\">Select your bank</h1><p class=\"sub\">{} uses Flanks to \
         connect to your accounts. Your credentials are never shared with {}.</p>\
         <div id=\"div-select-bank\"><input class=\"search\" id=\"input-search-bank\" \
         placeholder=\"Search your bank\" autocomplete=\"off\"><div class=\"list\" id=\"bank-box\">{items}</div></div>",
        esc(company),
        esc(company)
    );
    let script =
        "document.getElementById('input-search-bank').addEventListener('input',function(e){\
        var q=e.target.value.toLowerCase();document.querySelectorAll('.bank').forEach(function(b){\
        b.style.display=b.dataset.name.indexOf(q)>=0?'':'none'})});";
    html::respond(
        StatusCode::OK,
        html::page(FLANKS, "Select your bank", (1, 3), &body, script),
    )
}

fn login_form(p: &LinkParams, bank_id: &str, reset: bool, error: Option<&str>) -> Response {
    let title = if reset {
        "Update your bank credentials"
    } else {
        "Log in to your bank"
    };
    let err = error.map(html::error_message).unwrap_or_default();
    let body = format!(
        "<h1>{title}</h1>{chosen}<p class=\"sub\">Enter the user and password you use for online \
         banking.</p>{err}<form method=\"post\" action=\"/link/login\" id=\"login-form\">{q}\
         <label for=\"username\">User or ID document</label><input type=\"text\" id=\"username\" \
         name=\"username\" autocomplete=\"off\" required><label for=\"password\">Password</label>\
         <input type=\"password\" id=\"password\" name=\"password\" required>\
         <button class=\"btn\" id=\"submit\" type=\"submit\">Connect</button></form>\
         <form method=\"post\" action=\"/link/abort\">{q}<button class=\"btn ghost\" id=\"cancel\" \
         type=\"submit\">Cancel</button></form>",
        chosen = chosen_bank(bank_id),
        q = hidden("q", &p.raw),
    );
    html::respond(StatusCode::OK, html::page(FLANKS, title, (2, 3), &body, ""))
}

pub fn sca_prompt(kind: ScaKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        ScaKind::Sms => (
            "Enter the code we sent you",
            "We sent a 6-digit code by SMS to your phone ending in ••42.",
            "SMS code",
        ),
        ScaKind::App => (
            "Confirm in your bank's app",
            "Open your bank's app, approve the access and type the confirmation code it shows.",
            "Confirmation code",
        ),
        ScaKind::Code => (
            "Coordinates card",
            "Enter the digits of position B4 of your coordinates card.",
            "Position B4",
        ),
        ScaKind::Email => (
            "Check your email",
            "We emailed a verification code to the address your bank has on file.",
            "Email code",
        ),
    }
}

fn sca_screen(p: &LinkParams, attempt_id: &str, a: &Attempt, error: Option<&str>) -> Response {
    let (title, text, label) = sca_prompt(a.kind);
    let err = error.map(html::error_message).unwrap_or_default();
    let body = format!(
        "<h1 id=\"sca-title\">{title}</h1>{chosen}<p class=\"sub\">{text}</p>{err}\
         <form method=\"post\" action=\"/link/sca\">{q}{att}<label for=\"sca-answer\">{label}</label>\
         <input type=\"text\" id=\"sca-answer\" name=\"answer\" autocomplete=\"one-time-code\" required>\
         <button class=\"btn\" id=\"sca-submit\" type=\"submit\">Verify</button></form>\
         <form method=\"post\" action=\"/link/abort\">{q}<button class=\"btn ghost\" id=\"cancel\" \
         type=\"submit\">Cancel</button></form>",
        chosen = chosen_bank(&a.bank),
        q = hidden("q", &p.raw),
        att = hidden("attempt", attempt_id),
    );
    html::respond(StatusCode::OK, html::page(FLANKS, title, (3, 3), &body, ""))
}

fn invalid(title: &str, message: &str) -> Response {
    html::error_page(FLANKS, StatusCode::BAD_REQUEST, title, message)
}

pub async fn show(State(app): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    let p = LinkParams::parse(raw.as_deref().unwrap_or(""));
    let mut world = app.world();
    let Some(link) = p.get("token").and_then(|t| world.link(t)).cloned() else {
        return html::error_page(
            FLANKS,
            StatusCode::NOT_FOUND,
            "Link not found",
            "This link is not valid. Ask for a new one.",
        );
    };
    if !link.active {
        return html::error_page(
            FLANKS,
            StatusCode::FORBIDDEN,
            "Link paused",
            "This link is paused.",
        );
    }
    let bank_id = p.get("bank").map(str::to_string);
    if let Some(b) = &bank_id {
        if bank(b).is_none() {
            return invalid("Unknown bank", "The bank in this link does not exist.");
        }
    }
    // SCA and transaction flows ask only for the challenge of an existing credential.
    for (param, is_sca) in [("sca_token", true), ("transaction_token", false)] {
        let Some(tok) = p.get(param) else { continue };
        let Some(b) = &bank_id else {
            return invalid(
                "Incomplete link",
                &format!("A link with {param} must also name the bank."),
            );
        };
        let found = world.creds.iter().find(|c| {
            if is_sca {
                c.sca_token.as_deref() == Some(tok)
            } else {
                c.transaction_token.as_deref() == Some(tok)
            }
        });
        let Some(c) = found else {
            return invalid(
                "Link expired",
                "This reauthorization link is no longer valid.",
            );
        };
        let attempt = Attempt {
            bank: b.clone(),
            username: c.data.username.clone(),
            password: String::new(),
            kind: c.sca_kind,
            existing: Some(c.data.token.clone()),
        };
        let id = world.new_id("sbx-attempt-");
        world.attempts.insert(id.clone(), attempt.clone());
        return sca_screen(&p, &id, &attempt, None);
    }
    if let Some(tok) = p.get("reset_token") {
        let Some(c) = world
            .creds
            .iter()
            .find(|c| c.reset_token.as_deref() == Some(tok))
        else {
            return invalid(
                "Link expired",
                "This reauthorization link is no longer valid.",
            );
        };
        return login_form(
            &p,
            bank_id.as_deref().unwrap_or(&c.data.bank.clone()),
            true,
            None,
        );
    }
    match bank_id {
        None => bank_list(&p, &link.company_name),
        Some(b) => login_form(&p, &b, false, None),
    }
}

/// Ends a failed attempt: a rollback redirect with `error=` and the extra parameters, or an
/// error screen.
fn fail(p: &LinkParams, redirect_uri: &str, code: &str) -> Response {
    if p.rolls_back(code) {
        let mut pairs = vec![("error".to_string(), code.to_string())];
        pairs.extend(p.extra.iter().cloned());
        return redirect(&append_query(redirect_uri, &pairs));
    }
    let body = format!(
        "<h1>We couldn't connect</h1>{err}\
         <a class=\"btn\" style=\"text-align:center;text-decoration:none\" href=\"/link?{q}\">Try again</a>",
        err = html::coded_error_message(code, testbank::human(code)),
        q = esc(&p.raw),
    );
    html::respond(
        StatusCode::OK,
        html::page(FLANKS, "We couldn't connect", (0, 0), &body, ""),
    )
}

/// Creates / reauthorises the credential and redirects with a fresh one-use code.
fn succeed(
    app: &AppState,
    p: &LinkParams,
    attempt: &Attempt,
    delayed: bool,
    account_errored: bool,
) -> Response {
    let now = app.clock.now();
    let mut world = app.world();
    let Some(link) = p.get("token").and_then(|t| world.link(t)).cloned() else {
        return invalid("Link not found", "This link is not valid.");
    };
    let external_id = p.get("external_id").map(str::to_string);
    let result = lifecycle::complete(
        &mut world,
        app.config.seed,
        app.config.pending_delay,
        now,
        attempt,
        external_id,
        account_errored,
    );
    match result {
        Ok(token) => {
            let code = world.new_id("sbx-code-");
            world.issue(SecretKind::LinkCode, &code);
            let hold =
                Duration::from_std(app.config.delayed_code_release).unwrap_or(Duration::hours(72));
            world.codes.push(LinkCode {
                code: code.clone(),
                link_token: link.token.clone(),
                credentials_token: token,
                extra: p.extra_json(),
                delayed,
                release_at: now + hold,
                used: false,
            });
            let mut pairs = vec![("code".to_string(), code)];
            if delayed {
                pairs.push(("delayed".to_string(), "true".to_string()));
            }
            redirect(&append_query(&link.redirect_uri, &pairs))
        }
        Err(code) => fail(p, &link.redirect_uri, code),
    }
}

pub async fn login(State(app): State<Arc<AppState>>, Form(f): Form<LoginForm>) -> Response {
    let p = LinkParams::parse(&f.q);
    let (redirect_uri, existing) = {
        let world = app.world();
        let Some(link) = p.get("token").and_then(|t| world.link(t)) else {
            return invalid("Link not found", "This link is not valid.");
        };
        let existing = p.get("reset_token").and_then(|r| {
            world
                .creds
                .iter()
                .find(|c| c.reset_token.as_deref() == Some(r))
                .map(|c| c.data.token.clone())
        });
        if p.get("reset_token").is_some() && existing.is_none() {
            return invalid(
                "Link expired",
                "This reauthorization link is no longer valid.",
            );
        }
        (link.redirect_uri.clone(), existing)
    };
    let Some(bank_id) = p.get("bank").map(str::to_string) else {
        return invalid("Incomplete link", "Choose a bank first.");
    };
    let username = f.username.trim().to_string();
    if username.is_empty() {
        return login_form(&p, &bank_id, existing.is_some(), Some("Enter your user."));
    }
    let mut attempt = Attempt {
        bank: bank_id.clone(),
        username,
        password: f.password.clone(),
        kind: ScaKind::Sms,
        existing,
    };
    match testbank::login(&f.password) {
        testbank::LoginOutcome::Fail("INVALID_CREDENTIALS")
            if !p.rolls_back("INVALID_CREDENTIALS") =>
        {
            login_form(
                &p,
                &bank_id,
                attempt.existing.is_some(),
                Some(testbank::human("INVALID_CREDENTIALS")),
            )
        }
        testbank::LoginOutcome::Fail(code) => fail(&p, &redirect_uri, code),
        outcome @ (testbank::LoginOutcome::Sca(_) | testbank::LoginOutcome::UnsupportedSca) => {
            // The legacy link has no "unsupported method" error: it shows a coordinates card.
            attempt.kind = match outcome {
                testbank::LoginOutcome::Sca(k) => k,
                _ => ScaKind::Code,
            };
            let id = app.world().new_id("sbx-attempt-");
            app.world().attempts.insert(id.clone(), attempt.clone());
            sca_screen(&p, &id, &attempt, None)
        }
        testbank::LoginOutcome::Delayed => succeed(&app, &p, &attempt, true, false),
        testbank::LoginOutcome::DataErrorAccount => succeed(&app, &p, &attempt, false, true),
        _ => succeed(&app, &p, &attempt, false, false),
    }
}

#[derive(Deserialize)]
pub struct ScaForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    attempt: String,
    #[serde(default)]
    answer: String,
}

pub async fn sca(State(app): State<Arc<AppState>>, Form(f): Form<ScaForm>) -> Response {
    let p = LinkParams::parse(&f.q);
    let (attempt, redirect_uri) = {
        let mut world = app.world();
        let Some(redirect_uri) = p
            .get("token")
            .and_then(|t| world.link(t))
            .map(|l| l.redirect_uri.clone())
        else {
            return invalid("Link not found", "This link is not valid.");
        };
        let Some(a) = world.attempts.remove(&f.attempt) else {
            return invalid(
                "Session expired",
                "This verification step has expired. Start again from the link.",
            );
        };
        (a, redirect_uri)
    };
    match testbank::sca_answer(&f.answer) {
        Ok(()) => succeed(&app, &p, &attempt, false, false),
        Err(code) => fail(&p, &redirect_uri, code),
    }
}

#[derive(Deserialize)]
pub struct AbortForm {
    #[serde(default)]
    q: String,
}

pub async fn abort(State(app): State<Arc<AppState>>, Form(f): Form<AbortForm>) -> Response {
    let p = LinkParams::parse(&f.q);
    let redirect_uri = {
        let world = app.world();
        match p.get("token").and_then(|t| world.link(t)) {
            Some(l) => l.redirect_uri.clone(),
            None => return invalid("Link not found", "This link is not valid."),
        }
    };
    fail(&p, &redirect_uri, "ABORTED_BY_USER")
}

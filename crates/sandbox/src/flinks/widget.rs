//! The Flinks Connect widget (seed 002): institution list (Flinks Capital with `demo=true`),
//! credentials, MFA question, `requestId` resume, then a navigation to
//! `redirectUrl?loginId=…&institution=FlinksCapital` and `{step: …}` events to the parent.

use std::sync::Arc;

use axum::extract::{Form, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::api::{
    answer_challenge, consume_authorize_token, live_request, login_with, new_request,
    within_reconnect_window,
};
use super::capital::{self, Scenario};
use super::oauth;
use crate::guesses::FLINKS_CAPITAL_ID;
use crate::html::{self, esc, js_string, FLINKS};
use crate::query::{append_query, redirect, LinkParams, LoginForm};
use crate::state::{AppState, RedirectEvent, RedirectEventForm};

/// Other institutions are listed for realism but are not available in the sandbox (the OAuth
/// ones, `oauth::OAUTH_INSTITUTIONS`, are).
const OTHER_INSTITUTIONS: &[(&str, &str)] = &[
    ("Scotiabank", "#ec111a"),
    ("CIBC", "#c41f3e"),
    ("Desjardins", "#00874e"),
    ("National Bank", "#e41c23"),
];

pub(super) fn events(steps: &[&str]) -> String {
    let mut s = String::from(
        "function flinksSend(m){try{(window.parent||window).postMessage(m,'*')}catch(e){}}",
    );
    for step in steps {
        s.push_str(&format!("flinksSend({{step:{}}});", js_string(step)));
    }
    s
}

fn hidden_q(p: &LinkParams) -> String {
    format!(
        "<input type=\"hidden\" name=\"q\" value=\"{}\">",
        esc(&p.raw)
    )
}

fn french(p: &LinkParams) -> bool {
    p.get("language") == Some("fr")
}

fn institution_list(p: &LinkParams) -> Response {
    let demo = p.get("demo") == Some("true");
    let mut items = String::new();
    if demo {
        items.push_str(&format!(
            "<a class=\"bank\" id=\"institution-flinkscapital\" data-name=\"flinks capital\" href=\"?{}\">{}<span>Flinks Capital\
             <small>Test institution</small></span><span class=\"chev\">&#8250;</span></a>",
            esc(&with(p, "institution", capital::INSTITUTION)),
            html::logo("Flinks Capital", "#0b7a75")
        ));
    }
    for inst in oauth::OAUTH_INSTITUTIONS {
        items.push_str(&format!(
            "<a class=\"bank\" id=\"institution-{lid}\" data-name=\"{ln}\" href=\"?{q}\">{logo}<span>{n}\
             <small>Secure sign-in on the bank's website</small></span><span class=\"chev\">&#8250;</span></a>",
            lid = esc(&inst.id.to_lowercase()),
            ln = esc(&inst.brand.name.to_lowercase()),
            q = esc(&with(p, "institution", inst.id)),
            logo = html::logo(inst.brand.name, inst.brand.colour),
            n = esc(inst.brand.name)
        ));
    }
    for (name, colour) in OTHER_INSTITUTIONS {
        items.push_str(&format!(
            "<div class=\"bank off\" data-name=\"{ln}\" title=\"Not available in the sandbox\">{logo}<span>{n}\
             <small>Not available in the sandbox</small></span></div>",
            ln = esc(&name.to_lowercase()),
            logo = html::logo(name, colour),
            n = esc(name)
        ));
    }
    let (title, sub) = if french(p) {
        (
            "Choisissez votre institution",
            "Connectez votre compte de façon sécurisée.",
        )
    } else {
        (
            "Select your institution",
            "Connect your bank account securely. Flinks never stores your password in plain text.",
        )
    };
    let customer = p
        .get("customerName")
        .map(|c| {
            format!(
                "<p class=\"sub\"><b>{}</b> would like to access your accounts.</p>",
                esc(c)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>{title}</h1>{customer}<p class=\"sub\">{sub}</p><input class=\"search\" id=\"search\" placeholder=\"Search\" \
         autocomplete=\"off\"><div class=\"list\">{items}</div>"
    );
    let mut script = events(&["APP_MOUNTED", "COMPONENT_LOAD_INSTITUTION_SELECTOR"]);
    script.push_str("document.querySelectorAll('a.bank').forEach(function(a){a.addEventListener('click',function(){\
        flinksSend({step:'INSTITUTION_SELECTED'})})});");
    script.push_str("document.getElementById('search').addEventListener('input',function(e){var q=e.target.value.toLowerCase();\
        document.querySelectorAll('.bank').forEach(function(b){b.style.display=b.dataset.name.indexOf(q)>=0?'':'none'})});");
    html::respond(
        StatusCode::OK,
        html::page(FLINKS, title, (1, 3), &body, &script),
    )
}

fn with(p: &LinkParams, key: &str, value: &str) -> String {
    let mut pairs: Vec<(String, String)> =
        p.pairs.iter().filter(|(k, _)| k != key).cloned().collect();
    pairs.push((key.to_string(), value.to_string()));
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// `first` = the widget was opened on this page (it then also announces APP_MOUNTED).
fn credentials(p: &LinkParams, first: bool, error: Option<(&str, &str)>) -> Response {
    let err = error
        .map(|(code, m)| html::coded_error_message(code, m))
        .unwrap_or_default();
    let body = format!(
        "<h1>Log in to your account</h1><div class=\"chosen\">{logo}<div><b>Flinks Capital</b></div></div>{err}\
         <form method=\"post\" action=\"/flinks-connect/v2/login\">{q}<label for=\"username\">Username</label>\
         <input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"off\" required><label for=\"password\">Password</label>\
         <input type=\"password\" id=\"password\" name=\"password\" required><button class=\"btn\" id=\"submit\" type=\"submit\">Continue</button></form>\
         <div class=\"hint\" id=\"hint\">Every Day is a Great Day · Username <b>Greatday</b>, password <b>Everyday</b>. \
         Security answers: Montreal, Canada, Triangle. Scenarios: greatday_nomfa, test_disabled_account, \
         test_service_unavailable, test_dispatched, test_pending.</div>",
        logo = html::logo("Flinks Capital", "#0b7a75"),
        q = hidden_q(p),
    );
    let mut steps = if first {
        vec!["APP_MOUNTED"]
    } else {
        Vec::new()
    };
    steps.push("COMPONENT_LOAD_CREDENTIAL");
    if let Some((code, _)) = error {
        steps.push(code);
    }
    let script = events(&steps) + &on_submit("SUBMIT_CREDENTIAL");
    html::respond(
        StatusCode::OK,
        html::page(FLINKS, "Log in", (2, 3), &body, &script),
    )
}

fn mfa_page(
    p: &LinkParams,
    request_id: &str,
    prompt: &str,
    error: Option<(&str, &str)>,
) -> Response {
    let err = error
        .map(|(code, m)| html::coded_error_message(code, m))
        .unwrap_or_default();
    let body = format!(
        "<h1>Security question</h1><p class=\"sub\">Your institution wants to confirm it is you.</p>{err}\
         <form method=\"post\" action=\"/flinks-connect/v2/mfa\">{q}<input type=\"hidden\" name=\"request_id\" value=\"{rid}\">\
         <label for=\"mfa-answer\" id=\"mfa-prompt\">{prompt}</label><input type=\"text\" id=\"mfa-answer\" name=\"answer\" \
         autocomplete=\"off\" required><input type=\"hidden\" name=\"prompt\" value=\"{prompt}\">\
         <button class=\"btn\" id=\"mfa-submit\" type=\"submit\">Continue</button></form>",
        q = hidden_q(p),
        rid = esc(request_id),
        prompt = esc(prompt),
    );
    let mut steps = vec!["COMPONENT_LOAD_MFA"];
    if let Some((code, _)) = error {
        steps.push(code);
    }
    let script = events(&steps) + &on_submit("SUBMIT_MFA");
    html::respond(
        StatusCode::OK,
        html::page(FLINKS, "Security question", (3, 3), &body, &script),
    )
}

/// Posts `step` when the page's form is sent.
fn on_submit(step: &str) -> String {
    format!(
        "document.querySelectorAll('form').forEach(function(f){{f.addEventListener('submit',function(){{\
         flinksSend({{step:{}}})}})}});",
        js_string(step)
    )
}

/// The `REDIRECT` event in the documented form `form` selects.
fn redirect_event(
    form: RedirectEventForm,
    login_id: &str,
    institution: &str,
    request_id: &str,
) -> String {
    match form {
        RedirectEventForm::Fields => format!(
            "flinksSend({{step:'REDIRECT',loginId:{l},requestId:{r},institution:{i}}});",
            l = js_string(login_id),
            r = js_string(request_id),
            i = js_string(institution)
        ),
        RedirectEventForm::Url => format!(
            "flinksSend({{step:'REDIRECT',institution:{i},url:u}});",
            i = js_string(institution)
        ),
    }
}

pub(super) fn success(
    p: &LinkParams,
    login_id: &str,
    institution: &str,
    request_id: &str,
    event: RedirectEvent,
) -> Response {
    let pairs = vec![
        ("loginId".to_string(), login_id.to_string()),
        ("institution".to_string(), institution.to_string()),
    ];
    let url = p.get("redirectUrl").map(|r| append_query(r, &pairs));
    let body = "<div class=\"center\"><div class=\"ok\">&#10004;</div><h1>Account connected</h1>\
                <p class=\"sub\">You can close this window.</p></div>";
    let mut script = events(&["COMPONENT_CLOSE_SESSION"]);
    if let Some(url) = &url {
        let js_redirect = p.get("jsRedirect") == Some("true") || !event.navigate;
        let inner = p.get("innerRedirect") == Some("true");
        script.push_str(&format!("var u={};", js_string(url)));
        script.push_str(&redirect_event(
            event.form,
            login_id,
            institution,
            request_id,
        ));
        if !js_redirect {
            script.push_str(if inner {
                "setTimeout(function(){location.href=u},150);"
            } else {
                "setTimeout(function(){(window.top||window).location.href=u},150);"
            });
        }
    }
    html::respond(
        StatusCode::OK,
        html::page(FLINKS, "Connected", (3, 3), body, &script),
    )
}

pub(super) fn expired(code: &str, message: &str) -> Response {
    let body = format!(
        "<h1>Connection expired</h1>{}",
        html::coded_error_message(code, message)
    );
    html::respond(
        StatusCode::BAD_REQUEST,
        html::page(
            FLINKS,
            "Connection expired",
            (0, 0),
            &body,
            &events(&["APP_MOUNTED", code]),
        ),
    )
}

pub async fn show(State(app): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Response {
    let p = LinkParams::parse(raw.as_deref().unwrap_or(""));
    let now = app.clock.now();
    if let Some(rid) = p.get("requestId") {
        // Only the pending challenge is asked; a lapsed RequestId (8 minutes idle) or one past
        // the reconnect window sends the client to the credential step for the institution.
        let mut world = app.world();
        let pending = live_request(&mut world, rid, now)
            .ok()
            .and_then(|r| r.challenge.map(|c| (c, r.login_id.clone())));
        return match pending {
            Some((prompt, login)) if within_reconnect_window(&world, &login, now) => {
                mfa_page(&p, rid, prompt, None)
            }
            Some(_) => credentials(&p, true, None),
            None => expired(
                "SESSION_NONEXISTENT",
                "This reconnection request has expired or needs no answer.",
            ),
        };
    }
    if let Some(tok) = p.get("authorizeToken") {
        // Checked once, on the first page of the flow; later steps carry `authorized`.
        if p.get("authorized").is_none() {
            let mut world = app.world();
            if !consume_authorize_token(&mut world, tok, now) {
                return expired(
                    "UNAUTHORIZED",
                    "This connection link has expired. Start again from the app.",
                );
            }
            drop(world);
            let next = with(&p, "authorized", "1");
            return redirect(&format!("/flinks-connect/v2/?{next}"));
        }
    }
    if p.get("consentEnable") == Some("true") && p.get("consent").is_none() {
        let body = format!(
            "<h1>Share your data</h1><p class=\"sub\">{} would like to read your account details and transactions \
             through Flinks. You can revoke access at any time.</p><a class=\"btn\" id=\"consent-accept\" style=\"text-align:center;\
             text-decoration:none\" href=\"?{}\">Accept and continue</a><button class=\"btn ghost\" id=\"consent-deny\" \
             onclick=\"flinksSend({{step:'COMPONENT_DENY_CONSENT'}})\">Deny</button>",
            esc(p.get("customerName").unwrap_or("This app")),
            esc(&with(&p, "consent", "accepted"))
        );
        return html::respond(
            StatusCode::OK,
            html::page(FLINKS, "Consent", (1, 3), &body, &events(&["APP_MOUNTED"])),
        );
    }
    if let Some(inst) = p.get("institution").and_then(oauth::institution) {
        return oauth::start_page(&app, &p, inst);
    }
    if p.get("institution") == Some(capital::INSTITUTION) && p.get("demo") == Some("true") {
        return credentials(&p, p.get("consent").is_none(), None);
    }
    institution_list(&p)
}

/// Connect's credential step for one institution (`…/Credential/{InstitutionId}`), where a
/// client whose reconnect window has passed logs in again.
pub async fn credential_step(Path(institution): Path<String>, RawQuery(raw): RawQuery) -> Response {
    let p = LinkParams::parse(raw.as_deref().unwrap_or(""));
    let known = institution == capital::INSTITUTION || institution == FLINKS_CAPITAL_ID.to_string();
    if known {
        credentials(&p, true, None)
    } else {
        institution_list(&p)
    }
}

pub async fn login(State(app): State<Arc<AppState>>, Form(f): Form<LoginForm>) -> Response {
    let p = LinkParams::parse(&f.q);
    let now = app.clock.now();
    let mut world = app.world();
    match login_with(
        &mut world,
        app.config.seed,
        f.username.trim(),
        &f.password,
        now,
    ) {
        Err(e) => {
            drop(world);
            credentials(&p, false, Some((e.code, &e.message)))
        }
        Ok((login_id, scenario)) => {
            let (rid, challenge) =
                new_request(&mut world, &login_id, now, scenario == Scenario::Mfa, true);
            match challenge {
                Some(prompt) => mfa_page(&p, &rid, prompt, None),
                None => success(
                    &p,
                    &login_id,
                    capital::INSTITUTION,
                    &rid,
                    world.redirect_event,
                ),
            }
        }
    }
}

#[derive(Deserialize)]
pub struct MfaForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    prompt: String,
    #[serde(default)]
    answer: String,
}

pub async fn mfa(State(app): State<Arc<AppState>>, Form(f): Form<MfaForm>) -> Response {
    let p = LinkParams::parse(&f.q);
    let now = app.clock.now();
    let mut world = app.world();
    let mut responses = Map::new();
    responses.insert(
        f.prompt.clone(),
        Value::Array(vec![Value::String(f.answer.clone())]),
    );
    match answer_challenge(&mut world, &f.request_id, &responses, now) {
        Ok(login_id) => success(
            &p,
            &login_id,
            capital::INSTITUTION,
            &f.request_id,
            world.redirect_event,
        ),
        Err(e) if e.code == "SESSION_NONEXISTENT" => expired(e.code, &e.message),
        Err(e) => {
            let prompt = world
                .requests
                .get(&f.request_id)
                .and_then(|r| r.challenge)
                .unwrap_or(capital::QUESTIONS[0].0);
            mfa_page(&p, &f.request_id, prompt, Some((e.code, &e.message)))
        }
    }
}

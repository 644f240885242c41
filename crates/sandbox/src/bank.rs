//! The banks' own pages, served on the sandbox's second origin (another loopback port): the
//! authorization page of a Flinks OAuth institution and the login page of a Flanks PSD2
//! connector. A provider page registers a [`Grant`] (which bank, where to come back) and sends
//! the client here; the bank sends them back to that address with a one-use code
//! (`?code=…&state=…`, or `?error=access_denied&state=…`). Every authorization page links to
//! the bank's help page in a new window (`target=_blank`), as real bank pages do.

use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::html::{self, esc, Brand};
use crate::query::{append_query, redirect};
use crate::state::{AppState, World};

/// A bank as its own pages show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BankBrand {
    pub name: &'static str,
    pub colour: &'static str,
}

/// One authorization in progress, keyed by its `state` in `World::grants`.
#[derive(Debug, Clone)]
pub struct Grant {
    pub bank: BankBrand,
    /// What the bank tells the client it is authorizing.
    pub purpose: &'static str,
    /// The provider page the bank returns to.
    pub return_url: String,
    /// The provider's own note (the widget's query, a session id), opaque to the bank.
    pub payload: String,
    /// Set when the client approves; redeemed once.
    pub code: Option<String>,
    /// The online-banking user the client signed in with.
    pub username: Option<String>,
}

/// What the bank sends back to the provider page (`?code=…&state=…` or `?error=…&state=…`).
#[derive(Debug, Deserialize)]
pub struct BankAnswer {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub error: String,
}

/// Registers an authorization and returns the bank page's URL for it.
pub fn begin(
    app: &AppState,
    world: &mut World,
    bank: BankBrand,
    purpose: &'static str,
    return_url: String,
    payload: String,
) -> (String, String) {
    let state = world.new_id("bks-");
    world.grants.insert(
        state.clone(),
        Grant {
            bank,
            purpose,
            return_url,
            payload,
            code: None,
            username: None,
        },
    );
    let url = format!("{}/bank/authorize?state={state}", app.origins.bank);
    (state, url)
}

/// The grant `state` names, if it is still open (not yet redeemed).
pub fn open_grant<'a>(world: &'a World, state: &str) -> Option<&'a Grant> {
    world.grants.get(state)
}

/// Takes the grant back with its code: once, and only with the code the bank issued.
pub fn redeem(world: &mut World, state: &str, code: &str) -> Option<Grant> {
    let matches = world
        .grants
        .get(state)
        .and_then(|g| g.code.as_deref())
        .is_some_and(|c| !code.is_empty() && c == code);
    if matches {
        world.grants.remove(state)
    } else {
        None
    }
}

/// Drops a grant the client declined at the bank.
pub fn cancel(world: &mut World, state: &str) -> Option<Grant> {
    world.grants.remove(state)
}

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/bank/authorize", get(authorize_page).post(decide))
        .route("/bank/help", get(help))
}

fn brand(bank: BankBrand) -> Brand {
    Brand {
        product: bank.name,
        accent: bank.colour,
        accent_dark: "#111827",
        mark: "&#8962;",
    }
}

fn expired() -> Response {
    html::error_page(
        brand(BankBrand {
            name: "Online banking",
            colour: "#374151",
        }),
        StatusCode::GONE,
        "Request expired",
        "This authorization request has expired or was already used. Start again from the app you came from.",
    )
}

#[derive(Deserialize)]
pub struct StateQuery {
    #[serde(default)]
    state: String,
}

async fn authorize_page(State(app): State<Arc<AppState>>, Query(q): Query<StateQuery>) -> Response {
    let world = app.world();
    let Some(g) = open_grant(&world, &q.state).filter(|g| g.code.is_none()) else {
        return expired();
    };
    let body = format!(
        "<h1 id=\"bank-title\">Sign in to {name}</h1><p class=\"sub\">{purpose}</p>\
         <form method=\"post\" action=\"/bank/authorize\"><input type=\"hidden\" name=\"state\" value=\"{state}\">\
         <label for=\"bank-username\">Online banking user</label><input type=\"text\" id=\"bank-username\" name=\"username\" \
         autocomplete=\"off\" required><label for=\"bank-password\">Password</label><input type=\"password\" \
         id=\"bank-password\" name=\"password\" required><button class=\"btn\" id=\"bank-approve\" type=\"submit\" \
         name=\"decision\" value=\"approve\">Authorize</button><button class=\"btn ghost\" id=\"bank-deny\" type=\"submit\" \
         name=\"decision\" value=\"deny\" formnovalidate>Cancel</button></form>\
         <p class=\"sub\" style=\"margin-top:14px\"><a id=\"bank-help\" href=\"/bank/help?{help_q}\" target=\"_blank\">\
         Trouble signing in? Read the help page</a></p>\
         <div class=\"hint\">Sandbox bank: any user and password are accepted.</div>",
        name = esc(g.bank.name),
        purpose = esc(g.purpose),
        state = esc(&q.state),
        help_q = esc(&serde_urlencoded::to_string([("bank", g.bank.name)]).unwrap_or_default()),
    );
    html::respond(
        StatusCode::OK,
        html::page(brand(g.bank), "Authorize access", (0, 0), &body, ""),
    )
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    state: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    decision: String,
}

async fn decide(State(app): State<Arc<AppState>>, Form(f): Form<DecisionForm>) -> Response {
    let mut guard = app.world();
    let world = &mut *guard;
    if open_grant(world, &f.state).is_none_or(|g| g.code.is_some()) {
        return expired();
    }
    let back = |world: &World, pairs: Vec<(String, String)>| {
        let url = world.grants.get(&f.state).map(|g| g.return_url.clone());
        url.map(|u| redirect(&append_query(&u, &pairs)))
    };
    let state_pair = ("state".to_string(), f.state.clone());
    if f.decision == "deny" {
        let r = back(
            world,
            vec![
                ("error".to_string(), "access_denied".to_string()),
                state_pair,
            ],
        );
        return r.unwrap_or_else(expired);
    }
    let username = f.username.trim().to_string();
    if username.is_empty() {
        return expired();
    }
    let code = world.new_id("bkc-");
    if let Some(g) = world.grants.get_mut(&f.state) {
        g.code = Some(code.clone());
        g.username = Some(username);
    }
    back(world, vec![("code".to_string(), code), state_pair]).unwrap_or_else(expired)
}

#[derive(Deserialize)]
pub struct HelpQuery {
    #[serde(default)]
    bank: String,
}

/// A page meant for reading: what the bank's help link opens in a new window.
async fn help(Query(q): Query<HelpQuery>) -> Response {
    let name = if q.bank.trim().is_empty() {
        "Online banking"
    } else {
        q.bank.trim()
    };
    let body = format!(
        "<h1 id=\"help-title\">Help with signing in</h1><p class=\"sub\">Use the user and password of {} online \
         banking. If you forgot them, call the number on the back of your card. This page is for reading; \
         close it to go back.</p>",
        esc(name)
    );
    html::respond(
        StatusCode::OK,
        html::page(
            Brand {
                product: "Help centre",
                accent: "#374151",
                accent_dark: "#111827",
                mark: "?",
            },
            "Help with signing in",
            (0, 0),
            &body,
            "",
        ),
    )
}

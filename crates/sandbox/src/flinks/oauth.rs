//! OAuth institutions in Flinks Connect ("OAuth integration" guide): choosing one makes
//! Connect open the bank's authorization page (on the banks' origin) with `window.open` and
//! post `POPUP_OPENED` — or `POPUP_BLOCKED` when no window opened. The bank returns the
//! pop-up to Connect's own origin, which reports to its opener by `postMessage` and closes;
//! Connect then finishes as usual (`REDIRECT` to `redirectUrl?loginId=…`). With
//! `oauthWindowRedirect=true` the same flow runs as full-page redirects in one window.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::api::{login_with, new_request};
use super::capital;
use super::widget::{events, expired, success};
use crate::bank::{self, BankAnswer, BankBrand};
use crate::guesses::{FLINKS_CAPITAL_ID, FLINKS_OAUTH_INSTITUTION_IDS};
use crate::html::{self, esc, js_string, FLINKS};
use crate::query::{redirect, LinkParams};
use crate::state::AppState;

/// A listed big bank that connects through OAuth.
pub struct OAuthInstitution {
    /// The `institution` value Connect and the redirect use.
    pub id: &'static str,
    /// `InstitutionId` in the API's answers.
    pub number: i64,
    pub brand: BankBrand,
}

pub const OAUTH_INSTITUTIONS: &[OAuthInstitution] = &[
    OAuthInstitution {
        id: "RBC",
        number: FLINKS_OAUTH_INSTITUTION_IDS[0],
        brand: BankBrand {
            name: "RBC Royal Bank",
            colour: "#005daa",
        },
    },
    OAuthInstitution {
        id: "TD",
        number: FLINKS_OAUTH_INSTITUTION_IDS[1],
        brand: BankBrand {
            name: "TD Canada Trust",
            colour: "#008a00",
        },
    },
    OAuthInstitution {
        id: "BMO",
        number: FLINKS_OAUTH_INSTITUTION_IDS[2],
        brand: BankBrand {
            name: "BMO Bank of Montreal",
            colour: "#0079c1",
        },
    },
];

pub fn institution(id: &str) -> Option<&'static OAuthInstitution> {
    OAUTH_INSTITUTIONS.iter().find(|i| i.id == id)
}

/// The seeded user an OAuth sign-in at `inst` as `bank_user` becomes (one login per bank user).
fn login_username(inst: &OAuthInstitution, bank_user: &str) -> String {
    let user: String = bank_user
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect::<String>()
        .to_lowercase();
    format!("{OAUTH_USER_PREFIX}{}_{user}", inst.id.to_lowercase())
}

/// The seeded generator makes a login for any `sbx_client_*` user.
const OAUTH_USER_PREFIX: &str = "sbx_client_oauth_";

/// `(Institution, InstitutionName, InstitutionId)` of a login, as the API answers them: its
/// OAuth bank for a login made through one, else Flinks Capital.
pub fn institution_fields(username: Option<&str>) -> (&'static str, &'static str, i64) {
    username
        .and_then(|u| u.strip_prefix(OAUTH_USER_PREFIX))
        .and_then(|rest| {
            OAUTH_INSTITUTIONS
                .iter()
                .find(|i| rest.starts_with(&format!("{}_", i.id.to_lowercase())))
        })
        .map_or(
            (
                capital::INSTITUTION,
                capital::INSTITUTION,
                FLINKS_CAPITAL_ID,
            ),
            |i| (i.id, i.brand.name, i.number),
        )
}

const PURPOSE: &str =
    "Flinks is asking to read your accounts and transactions. Approve to continue.";

fn window_redirect(p: &LinkParams) -> bool {
    p.get("oauthWindowRedirect") == Some("true")
}

/// "Continue to your bank": registers the authorization and, on the client's click, opens
/// the bank's page in a pop-up (or goes there in this window).
pub fn start_page(app: &AppState, p: &LinkParams, inst: &OAuthInstitution) -> Response {
    let return_url = format!("{}/flinks-connect/v2/oauth/return", app.origins.provider);
    let (state, url) = bank::begin(
        app,
        &mut app.world(),
        inst.brand,
        PURPOSE,
        return_url,
        p.raw.clone(),
    );
    let body = format!(
        "<h1>Connect with {name}</h1><div class=\"chosen\">{logo}<div><b>{name}</b></div></div>\
         <p class=\"sub\">{name} uses secure sign-in on its own website. You will sign in there and come back here.</p>\
         <div class=\"err\" id=\"oauth-blocked\" hidden>Your browser blocked the window of {name}. Allow pop-ups for \
         this page and try again.</div><div class=\"err\" id=\"oauth-closed\" hidden>The window of {name} was closed \
         before you approved. Try again.</div><p class=\"sub\" id=\"oauth-waiting\" hidden>Waiting for {name}… finish \
         signing in in the window that opened.</p><button class=\"btn\" id=\"oauth-continue\" type=\"button\">Continue to \
         {name}</button>",
        name = esc(inst.brand.name),
        logo = html::logo(inst.brand.name, inst.brand.colour),
    );
    let mut script = events(&[]);
    let open = if window_redirect(p) {
        "location.href=url;".to_string()
    } else {
        "var w=null;try{w=window.open(url,'flinks_oauth','width=520,height=720')}catch(e){}\
         if(!w){flinksSend({step:'POPUP_BLOCKED'});show('oauth-blocked');return;}\
         flinksSend({step:'POPUP_OPENED'});show('oauth-waiting');\
         var t=setInterval(function(){if(done||!w.closed)return;clearInterval(t);\
         setTimeout(function(){if(!done)show('oauth-closed')},800)},400);"
            .to_string()
    };
    script.push_str(&format!(
        "var url={url},st={st},done=false;\
         function show(id){{['oauth-blocked','oauth-closed','oauth-waiting'].forEach(function(x){{\
         document.getElementById(x).hidden=(x!==id)}})}}\
         window.addEventListener('message',function(e){{if(e.origin!==location.origin)return;var d=e.data;\
         if(!d||d.flinksOAuth!==st||typeof d.code!=='string')return;done=true;\
         location.href='/flinks-connect/v2/oauth/complete?state='+encodeURIComponent(st)+'&code='+encodeURIComponent(d.code)}});\
         document.getElementById('oauth-continue').addEventListener('click',function(){{{open}}});",
        url = js_string(&url),
        st = js_string(&state),
    ));
    html::respond(
        StatusCode::OK,
        html::page(FLINKS, "Connect with your bank", (2, 3), &body, &script),
    )
}

fn complete_url(state: &str, code: &str) -> String {
    let q = serde_urlencoded::to_string([("state", state), ("code", code)]).unwrap_or_default();
    format!("/flinks-connect/v2/oauth/complete?{q}")
}

/// Where the bank sends the client back, on Connect's origin. In a pop-up this page hands
/// the code to its opener and closes; with `oauthWindowRedirect=true` (or when the opener is
/// gone) Connect continues right here.
pub async fn returned(State(app): State<Arc<AppState>>, Query(q): Query<BankAnswer>) -> Response {
    let mut world = app.world();
    let Some(grant) = bank::open_grant(&world, &q.state).cloned() else {
        drop(world);
        return expired(
            "SESSION_NONEXISTENT",
            "This bank authorization has expired. Start again.",
        );
    };
    if !q.error.is_empty() {
        bank::cancel(&mut world, &q.state);
        drop(world);
        return expired(
            "COMPONENT_DENY_CONSENT",
            "The authorization was declined at the bank.",
        );
    }
    drop(world);
    let next = complete_url(&q.state, &q.code);
    if window_redirect(&LinkParams::parse(&grant.payload)) {
        return redirect(&next);
    }
    let body =
        "<div class=\"center\"><div class=\"spinner\"></div><h1>Returning to Flinks Connect…</h1>\
                <p class=\"sub\">This window closes by itself.</p></div>";
    let script = format!(
        "var st={st},c={c};if(window.opener){{window.opener.postMessage({{flinksOAuth:st,code:c}},location.origin);\
         window.close();}}else{{location.replace({next});}}",
        st = js_string(&q.state),
        c = js_string(&q.code),
        next = js_string(&next),
    );
    html::respond(
        StatusCode::OK,
        html::page(FLINKS, "Returning", (3, 3), body, &script),
    )
}

/// The code comes back to Connect: the login is created (or found) at the institution and
/// Connect ends as every connection does.
pub async fn complete(State(app): State<Arc<AppState>>, Query(q): Query<BankAnswer>) -> Response {
    let now = app.clock.now();
    let mut world = app.world();
    let Some(grant) = bank::redeem(&mut world, &q.state, &q.code) else {
        drop(world);
        return expired(
            "SESSION_NONEXISTENT",
            "This bank authorization has expired or was already used. Start again.",
        );
    };
    let Some(inst) = OAUTH_INSTITUTIONS.iter().find(|i| i.brand == grant.bank) else {
        drop(world);
        return expired("INVALID_REQUEST", "Unknown institution.");
    };
    let username = login_username(inst, grant.username.as_deref().unwrap_or_default());
    let login = login_with(
        &mut world,
        app.config.seed,
        &username,
        capital::PASSWORD,
        now,
    );
    match login {
        Ok((login_id, _)) => {
            let (request_id, _) = new_request(&mut world, &login_id, now, false, true);
            let form = world.redirect_event;
            drop(world);
            let p = LinkParams::parse(&grant.payload);
            success(&p, &login_id, inst.id, &request_id, form)
        }
        Err(e) => {
            drop(world);
            expired(e.code, &e.message)
        }
    }
}

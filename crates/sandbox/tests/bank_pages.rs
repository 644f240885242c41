//! The banks' own pages over HTTP: a Flinks OAuth institution (pop-up and
//! `oauthWindowRedirect=true`), the two forms of Connect's `REDIRECT` event, and a Flanks
//! PSD2 connector whose login happens on the bank's page. The pages' scripts run in the
//! browser tests (`tests/browser.rs`); here the server side of each step is checked.

mod common;

use common::{hidden, query_param, start, urlencode, Env};
use serde_json::{json, Value};

/// The bank page's URL written into a provider page (`var url="…"` or `href="…"`).
fn bank_url_in(page: &str, bank_base: &str) -> String {
    let start = page
        .find(bank_base)
        .unwrap_or_else(|| panic!("no link to the bank's origin {bank_base} in {page}"));
    let end = page[start..].find(['"', '\\']).unwrap() + start;
    page[start..end].replace("&amp;", "&")
}

/// Signs in on the bank's page and approves (or denies); returns where the bank sends back.
async fn at_bank(env: &Env, bank_page_url: &str, user: &str, decision: &str) -> String {
    let r = env.http.get(bank_page_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"bank-help\""), "{page}");
    assert!(
        page.contains("target=\"_blank\""),
        "the help link opens a new window"
    );
    let state = hidden(&page, "state");
    let action = format!("{}/bank/authorize", env.sb.bank_url());
    let r = env
        .http
        .post(action)
        .form(&[
            ("state", state.as_str()),
            ("username", user),
            ("password", "pw"),
            ("decision", decision),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302, "the bank redirects back");
    r.headers()["location"].to_str().unwrap().to_string()
}

fn widget_query(redirect: bool) -> String {
    let mut q = format!(
        "demo=true&redirectUrl={}&institution=RBC",
        urlencode("advisordesk://link/callback?state=s1")
    );
    if redirect {
        q.push_str("&oauthWindowRedirect=true");
    }
    q
}

#[tokio::test]
async fn an_oauth_institution_opens_the_bank_in_a_popup_on_another_origin() {
    let env = start();
    let bank_base = env.sb.bank_url();
    assert_ne!(bank_base, env.base, "the bank is another origin");

    let (s, list, _) = env
        .get_html("/flinks-connect/v2/?demo=true&redirectUrl=x")
        .await;
    assert_eq!(s, 200);
    assert!(list.contains("id=\"institution-rbc\""), "RBC is selectable");
    assert!(list.contains("INSTITUTION_SELECTED"));

    let (s, page, _) = env
        .get_html(&format!("/flinks-connect/v2/?{}", widget_query(false)))
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("window.open(url"), "a pop-up: {page}");
    assert!(page.contains("POPUP_OPENED") && page.contains("POPUP_BLOCKED"));
    let bank_page = bank_url_in(&page, &bank_base);

    let back = at_bank(&env, &bank_page, "Client One", "approve").await;
    assert!(
        back.starts_with(&format!("{}/flinks-connect/v2/oauth/return?", env.base)),
        "{back}"
    );
    let code = query_param(&back, "code").unwrap();
    let state = query_param(&back, "state").unwrap();

    // In the pop-up: hand the code to the opener, on Connect's own origin, and close.
    let (s, ret, loc) = env.get_html(back.strip_prefix(&env.base).unwrap()).await;
    assert_eq!((s, loc), (200, None));
    assert!(ret.contains("window.opener.postMessage"), "{ret}");
    assert!(ret.contains("location.origin") && ret.contains("window.close()"));

    // The opener continues: Connect ends with the usual redirect.
    let complete = format!(
        "/flinks-connect/v2/oauth/complete?state={}&code={}",
        urlencode(&state),
        urlencode(&code)
    );
    let (s, done, _) = env.get_html(&complete).await;
    assert_eq!(s, 200, "{done}");
    assert!(done.contains("step:'REDIRECT',loginId:"), "{done}");
    assert!(done.contains("requestId:") && done.contains("institution:\"RBC\""));
    let login_id = done
        .split("loginId=")
        .nth(1)
        .and_then(|r| r.split(['&', '"', '\\']).next())
        .expect("the redirect carries the loginId")
        .to_string();

    // The login is a real one at its bank: Authorize (cached) answers 200 for it.
    let (s, v) = env
        .flinks_authorize(json!({"LoginId": login_id, "MostRecentCached": true}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Institution"], "RBC", "{v}");
    assert_eq!(v["InstitutionName"], "RBC Royal Bank");

    // The code is single-use.
    let (s, again, _) = env.get_html(&complete).await;
    assert_eq!(s, 400);
    assert!(again.contains("SESSION_NONEXISTENT"));
}

#[tokio::test]
async fn with_oauth_window_redirect_the_same_flow_runs_in_one_window() {
    let env = start();
    let (_, page, _) = env
        .get_html(&format!("/flinks-connect/v2/?{}", widget_query(true)))
        .await;
    assert!(!page.contains("window.open("), "no pop-up: {page}");
    assert!(page.contains("location.href=url"));
    let back = at_bank(
        &env,
        &bank_url_in(&page, &env.sb.bank_url()),
        "c2",
        "approve",
    )
    .await;
    let (s, _, loc) = env.get_html(back.strip_prefix(&env.base).unwrap()).await;
    assert_eq!(s, 302, "a full-page redirect, no opener involved");
    let loc = loc.unwrap();
    assert!(
        loc.starts_with("/flinks-connect/v2/oauth/complete?"),
        "{loc}"
    );
    let (s, done, _) = env.get_html(&loc).await;
    assert_eq!(s, 200);
    assert!(
        done.contains("advisordesk://link/callback?state=s1\\u0026loginId="),
        "{done}"
    );
}

#[tokio::test]
async fn declining_at_the_bank_ends_connect_with_its_event() {
    let env = start();
    let (_, page, _) = env
        .get_html(&format!("/flinks-connect/v2/?{}", widget_query(false)))
        .await;
    let back = at_bank(&env, &bank_url_in(&page, &env.sb.bank_url()), "c3", "deny").await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    let (s, ret, _) = env.get_html(back.strip_prefix(&env.base).unwrap()).await;
    assert_eq!(s, 400);
    assert!(ret.contains("COMPONENT_DENY_CONSENT"), "{ret}");
}

/// Connects Flinks Capital's no-MFA user; returns the success page.
async fn login_no_mfa(env: &Env) -> String {
    let (_, page, _) = env
        .get_html("/flinks-connect/v2/?demo=true&institution=FlinksCapital&redirectUrl=https%3A%2F%2Fx.example%2Fcb")
        .await;
    let (_, done, _) = env.widget_login(&page, "greatday_nomfa", "Everyday").await;
    done
}

#[tokio::test]
async fn the_redirect_event_takes_either_documented_form() {
    let env = start();
    let fields = login_no_mfa(&env).await;
    assert!(fields.contains("step:'REDIRECT',loginId:"), "{fields}");
    assert!(fields.contains("requestId:"));
    assert!(!fields.contains("url:u"));

    env.sb
        .control()
        .flinks_redirect_event("url", true)
        .await
        .unwrap();
    let url_form = login_no_mfa(&env).await;
    assert!(
        url_form.contains("step:'REDIRECT',institution:\"FlinksCapital\",url:u"),
        "{url_form}"
    );
    assert!(!url_form.contains("requestId:"));
    assert!(
        url_form.contains("location.href=u"),
        "it navigates by default"
    );
    env.sb
        .control()
        .flinks_redirect_event("fields", false)
        .await
        .unwrap();
    let posts_only = login_no_mfa(&env).await;
    assert!(
        posts_only.contains("step:'REDIRECT',loginId:"),
        "{posts_only}"
    );
    assert!(!posts_only.contains("location.href=u"), "{posts_only}");
    let r = env
        .http
        .post(env.url("/_sandbox/flinks/redirect-event"))
        .json(&json!({"form": "carrier pigeon"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_psd2_connector_logs_in_on_the_banks_own_page_and_comes_back() {
    let env = start();
    let tok = env.flanks_token().await;
    let (_, connectors) = env
        .post(
            &tok,
            "/connect/v2/connectors/list-connectors",
            json!({"query": {"connector_id_in": ["esp:santander"]}}),
        )
        .await;
    assert_eq!(connectors["items"][0]["type"], "psd2", "{connectors}");
    let cb = env.url("/_sandbox/landing");
    let (s, v) = env
        .post(
            &tok,
            "/connect/v2/sessions/create-session",
            json!({"configuration": {"redirect_url": cb, "connector_id": "esp:santander"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let sid = v["session"]["session_id"].as_str().unwrap().to_string();
    let path = v["session"]["url"]
        .as_str()
        .unwrap()
        .strip_prefix(&env.base)
        .unwrap()
        .to_string();
    let (s, page, _) = env.get_html(&path).await;
    assert_eq!(s, 200);
    assert!(
        !page.contains("id=\"password\""),
        "no password on Flanks' page"
    );
    assert!(page.contains("id=\"psd2-continue\""));
    let bank_page = bank_url_in(&page, &env.sb.bank_url());

    let back = at_bank(&env, &bank_page, "psd2.client", "approve").await;
    assert!(
        back.starts_with(&env.url(&format!("/connect/session/{sid}/bank-return?"))),
        "{back}"
    );
    let (s, processing, _) = env.get_html(back.strip_prefix(&env.base).unwrap()).await;
    assert_eq!(s, 200);
    assert!(processing.contains("/continue"));
    let (s, _, loc) = env
        .get_html(&format!("/connect/session/{sid}/continue"))
        .await;
    assert_eq!(s, 302);
    assert_eq!(
        query_param(&loc.unwrap(), "session_id").as_deref(),
        Some(sid.as_str())
    );
    let (_, listed) = env
        .post(
            &tok,
            "/connect/v2/sessions/list-sessions",
            json!({"query": {"session_id_in": [sid]}}),
        )
        .await;
    let session: &Value = &listed["items"][0];
    assert_eq!(session["status"], "Finished:OK", "{listed}");
    assert!(session["connection_id"].is_string());

    // The bank's answer is used once: replaying it finds the session finished.
    let (s, _, _) = env.get_html(back.strip_prefix(&env.base).unwrap()).await;
    assert_eq!(s, 410);
}

#[tokio::test]
async fn a_bank_answer_for_another_session_is_refused() {
    let env = start();
    let tok = env.flanks_token().await;
    let cb = env.url("/_sandbox/landing");
    let mut paths = Vec::new();
    for _ in 0..2 {
        let (_, v) = env
            .post(
                &tok,
                "/connect/v2/sessions/create-session",
                json!({"configuration": {"redirect_url": cb, "connector_id": "esp:ing"}}),
            )
            .await;
        paths.push(
            v["session"]["url"]
                .as_str()
                .unwrap()
                .strip_prefix(&env.base)
                .unwrap()
                .to_string(),
        );
    }
    let (_, page, _) = env.get_html(&paths[0]).await;
    let back = at_bank(
        &env,
        &bank_url_in(&page, &env.sb.bank_url()),
        "u",
        "approve",
    )
    .await;
    let q = back.split_once('?').unwrap().1;
    let (s, body, _) = env.get_html(&format!("{}/bank-return?{q}", paths[1])).await;
    assert_eq!(s, 400, "{body}");
    let (s, help, _) = {
        let r = env
            .http
            .get(format!("{}/bank/help?bank=ING", env.sb.bank_url()))
            .send()
            .await
            .unwrap();
        common::html(r).await
    };
    assert_eq!(s, 200);
    assert!(help.contains("Help with signing in"));
}

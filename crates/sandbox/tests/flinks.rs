//! Flinks contract: Connect widget → loginId → Authorize → 202 → Async → 200, the MFA 203
//! path, requestId resume, scenario users, DeleteCard and the error bodies.

mod common;

use advisor_desk_sandbox::{BookEntry, FLINKS_API_KEY};
use common::flinks::mfa_answer;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

/// `method endpoint` with the `x-api-key` header (the data calls), and a JSON body if given.
async fn with_api_key(
    env: &Env,
    method: Method,
    endpoint: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = env
        .http
        .request(method, env.flinks_api(endpoint))
        .header("x-api-key", FLINKS_API_KEY);
    if let Some(body) = body {
        request = request.json(body);
    }
    split(request.send().await.unwrap()).await
}

async fn data_post(env: &Env, endpoint: &str, body: Value) -> (u16, Value) {
    with_api_key(env, Method::POST, endpoint, Some(&body)).await
}

async fn data_get(env: &Env, endpoint: &str) -> (u16, Value) {
    with_api_key(env, Method::GET, endpoint, None).await
}

async fn delete_card(env: &Env, login_id: &str) -> (u16, Value) {
    with_api_key(env, Method::DELETE, &format!("DeleteCard/{login_id}"), None).await
}

/// Answers the widget's security question `prompt` on `page` for the request `request_id`.
async fn answer_mfa(
    env: &Env,
    page: &str,
    request_id: &str,
    prompt: &str,
) -> (u16, String, Option<String>) {
    env.post_form(
        "/flinks-connect/v2/mfa",
        &[
            ("q", &hidden(page, "q")),
            ("request_id", request_id),
            ("prompt", prompt),
            ("answer", mfa_answer(prompt)),
        ],
    )
    .await
}

/// Drives the widget with Greatday (MFA) and returns the loginId from the redirect.
async fn connect_greatday(env: &Env, redirect: &str) -> String {
    let q = format!(
        "demo=true&redirectUrl={}&institution=FlinksCapital",
        urlencode(redirect)
    );
    let (s, page, _) = env.get_html(&format!("/flinks-connect/v2/?{q}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("Greatday") && page.contains("COMPONENT_LOAD_CREDENTIAL"));
    let (_, page, _) = env.widget_login(&page, "Greatday", "Everyday").await;
    assert!(page.contains("COMPONENT_LOAD_MFA"), "{page}");
    let prompt = hidden(&page, "prompt");
    let (s, page, _) = answer_mfa(env, &page, &hidden(&page, "request_id"), &prompt).await;
    assert_eq!(s, 200);
    assert!(page.contains("step:'REDIRECT'"), "{page}");
    let start = page.find("var u=\"").unwrap() + 7;
    // The URL is a JS string literal with `&` written as \u0026.
    let url = page[start..start + page[start..].find('"').unwrap()].replace("\\u0026", "&");
    let url = url.as_str();
    assert!(url.starts_with(redirect), "{url}");
    assert_eq!(
        query_param(url, "institution").as_deref(),
        Some("FlinksCapital")
    );
    query_param(url, "loginId").unwrap()
}

#[tokio::test]
async fn widget_login_authorize_202_async_200() {
    let env = start();
    let (s, page, _) = env.get_html("/flinks-connect/v2/?demo=true").await;
    assert_eq!(s, 200);
    assert!(page.contains("institution-flinkscapital") && page.contains("APP_MOUNTED"));
    let login_id = connect_greatday(&env, "https://app.example/thanks").await;
    assert!(login_id.contains("-5a4db0"), "{login_id}");
    // The same bank login always yields the same loginId.
    assert_eq!(
        connect_greatday(&env, "advisordesk://link/callback").await,
        login_id
    );

    let (s, v) = env
        .flinks_authorize(json!({"LoginId": login_id, "MostRecentCached": true}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Login"]["Id"], login_id.as_str());
    assert_eq!(v["Institution"], "FlinksCapital");
    let last_refresh = v["Login"]["LastRefresh"].as_str().unwrap();
    assert_eq!(
        last_refresh.split('.').nth(1).map(str::len),
        Some(7),
        "{last_refresh}"
    );
    let rid = v["RequestId"].as_str().unwrap().to_string();

    let (s, v) = data_post(
        &env,
        "GetAccountsDetail",
        json!({"RequestId": rid, "WithTransactions": true, "DaysOfTransactions": "Days365"}),
    )
    .await;
    assert_eq!(
        (s, v["FlinksCode"].clone()),
        (202, json!("OPERATION_PENDING"))
    );
    let (s, _) = data_get(&env, &format!("GetAccountsDetailAsync/{rid}")).await;
    assert_eq!(s, 202);
    env.sb.control().advance_clock(3).await.unwrap();
    let (s, v) = data_get(&env, &format!("GetAccountsDetailAsync/{rid}")).await;
    assert_eq!(s, 200, "{v}");
    let accounts = v["Accounts"].as_array().unwrap();
    let types: Vec<&str> = accounts
        .iter()
        .map(|a| a["Type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"Chequing") && types.contains(&"CreditCard") && types.contains(&"TFSA"),
        "{types:?}"
    );
    for a in accounts {
        assert!(a["Currency"] == "CAD" || a["Currency"] == "USD");
        let tx = a["Transactions"].as_array().unwrap();
        // Newest first; each row's balance follows from the next older one.
        for w in tx.windows(2) {
            let newer = &w[0];
            let older_bal = (w[1]["Balance"].as_f64().unwrap() * 100.0).round() as i64;
            let delta = (newer["Credit"].as_f64().unwrap_or(0.0) * 100.0).round() as i64
                - (newer["Debit"].as_f64().unwrap_or(0.0) * 100.0).round() as i64;
            assert_eq!(
                older_bal + delta,
                (newer["Balance"].as_f64().unwrap() * 100.0).round() as i64
            );
        }
    }
    let (s, v) = data_post(&env, "GetAccountsSummary", json!({"RequestId": rid})).await;
    assert_eq!(s, 202, "{v}");

    // DeleteCard: StatusCode (not HttpStatusCode); then the loginId is gone.
    let (s, v) = delete_card(&env, &login_id).await;
    assert_eq!(s, 400, "summary still processing: {v}");
    assert_eq!(v["FlinksCode"], "CARD_IN_USE");
    env.sb.control().advance_clock(3).await.unwrap();
    let (s, v) = delete_card(&env, &login_id).await;
    assert_eq!((s, v["StatusCode"].clone()), (200, json!(200)));
    let (s, v) = env
        .flinks_authorize(json!({"LoginId": login_id, "MostRecentCached": true}))
        .await;
    assert_eq!((s, v["FlinksCode"].clone()), (401, json!("INVALID_LOGIN")));
}

#[tokio::test]
async fn live_authorize_mfa_203_and_request_id_resume() {
    let env = start();
    let login_id = connect_greatday(&env, "https://app.example/x").await;
    let (s, v) = env
        .flinks_authorize(json!({"LoginId": login_id, "MostRecentCached": false}))
        .await;
    assert_eq!(s, 203, "{v}");
    assert_eq!(v["HttpStatusCode"], 203);
    let rid = v["RequestId"].as_str().unwrap().to_string();
    let prompt = v["SecurityChallenges"][0]["Prompt"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(v["SecurityChallenges"][0]["Type"], "QuestionAndAnswer");

    // Data before the answer is refused.
    let (s, _) = data_post(&env, "GetAccountsDetail", json!({"RequestId": rid})).await;
    assert_eq!(s, 401);
    // Wrong answer, then a key that is not the exact prompt.
    let (s, v) = env
        .flinks_authorize(
            json!({"RequestId": rid, "SecurityResponses": {prompt.clone(): ["Paris"]}}),
        )
        .await;
    assert_eq!(
        (s, v["FlinksCode"].clone()),
        (401, json!("INVALID_SECURITY_RESPONSE"))
    );
    let (s, v) = env
        .flinks_authorize(
            json!({"RequestId": rid, "SecurityResponses": {"what city?": ["Montreal"]}}),
        )
        .await;
    assert_eq!(
        (s, v["FlinksCode"].clone()),
        (401, json!("QUESTION_NOT_FOUND"))
    );

    // The widget resumes this request with ?requestId= and asks the same question.
    let (s, page, _) = env
        .get_html(&format!(
            "/flinks-connect/v2/?requestId={rid}&redirectUrl=https://app.example/r"
        ))
        .await;
    assert_eq!(s, 200);
    assert!(page.contains(&prompt));
    let (_, page, _) = answer_mfa(&env, &page, &rid, &prompt).await;
    assert!(
        page.contains(&format!(
            "loginId={login_id}\\u0026institution=FlinksCapital"
        )),
        "{page}"
    );

    // Cached mode never asks.
    let (s, _) = env
        .flinks_authorize(json!({"LoginId": login_id, "MostRecentCached": true}))
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn flinks_errors_and_scenario_users() {
    let env = start();
    let r = env
        .http
        .post(env.flinks_api("GenerateAuthorizeToken"))
        .header("flinks-auth-key", "nope")
        .send()
        .await
        .unwrap();
    let (s, v) = split(r).await;
    assert_eq!(
        (s, v["FlinksCode"].clone(), v["HttpStatusCode"].clone()),
        (401, json!("UNAUTHORIZED"), json!(401))
    );
    assert!(v["Message"].is_string());

    // An authorize token is single-use.
    let t = env.flinks_authorize_token().await;
    let body = json!({"Username": "greatday_nomfa", "Password": "Everyday", "Institution": "FlinksCapital", "MostRecentCached": false});
    assert_eq!(env.flinks_authorize_with(&t, &body).await.0, 200);
    assert_eq!(
        env.flinks_authorize_with(&t, &body).await.1["FlinksCode"],
        "UNAUTHORIZED"
    );

    // Legacy Username/Password logins that fail, each with its FlinksCode.
    for (user, password, institution, status, code) in [
        (
            "test_disabled_account",
            "Everyday",
            "FlinksCapital",
            401,
            "DISABLED_LOGIN",
        ),
        (
            "test_service_unavailable",
            "Everyday",
            "FlinksCapital",
            401,
            "RETRY_LATER",
        ),
        ("nobody", "Everyday", "FlinksCapital", 401, "INVALID_LOGIN"),
        ("Greatday", "wrong", "FlinksCapital", 401, "INVALID_LOGIN"),
        ("Greatday", "Everyday", "RBC", 405, "DISABLED_INSTITUTION"),
    ] {
        let (s, v) = env
            .flinks_authorize(
                json!({"Username": user, "Password": password, "Institution": institution}),
            )
            .await;
        assert_eq!(
            (s, v["FlinksCode"].clone()),
            (status, json!(code)),
            "{user} / {password} at {institution}"
        );
    }
    let r = env
        .http
        .get(env.flinks_api("Authorize"))
        .send()
        .await
        .unwrap();
    let (s, v) = split(r).await;
    assert_eq!((s, v["HttpStatusCode"].clone()), (405, json!(405)));
    let (s, v) = env
        .flinks_authorize(json!({"MostRecentCached": true}))
        .await;
    assert_eq!(
        (s, v["FlinksCode"].clone()),
        (400, json!("INVALID_REQUEST"))
    );

    let (_, v) = env.flinks_authorize(json!({"Username": "test_dispatched", "Password": "Everyday", "Institution": "FlinksCapital"})).await;
    let rid = v["RequestId"].as_str().unwrap();
    let (s, v) = data_post(&env, "GetAccountsDetail", json!({"RequestId": rid})).await;
    assert_eq!(
        (s, v["FlinksCode"].clone()),
        (202, json!("OPERATION_DISPATCHED"))
    );
    // A live Authorize while that login is still processing.
    let login = book_entry(&env, |b| b.username == "test_dispatched").await;
    let (s, v) = env
        .flinks_authorize(json!({"LoginId": login.token, "MostRecentCached": false}))
        .await;
    assert_eq!(
        (s, v["FlinksCode"].clone()),
        (401, json!("CONCURRENT_SESSION"))
    );

    let (s, v) = data_post(
        &env,
        "GetAccountsDetail",
        json!({"RequestId": "00000000-dead"}),
    )
    .await;
    assert_eq!(
        (s, v["FlinksCode"].clone()),
        (400, json!("SESSION_NONEXISTENT"))
    );
    let r = env
        .http
        .post(env.flinks_api("GetAccountsDetail"))
        .json(&json!({"RequestId": rid}))
        .send()
        .await
        .unwrap();
    assert_eq!(split(r).await.1["FlinksCode"], "UNAUTHORIZED");
    let (s, v) = data_post(
        &env,
        "GetAccountsDetail",
        json!({"RequestId": rid, "DaysOfTransactions": "Days7"}),
    )
    .await;
    assert_eq!(
        (s, v["FlinksCode"].clone()),
        (400, json!("INVALID_REQUEST"))
    );
    let r = env
        .http
        .post(env.flinks_api("GetAccountsDetail"))
        .header("x-api-key", FLINKS_API_KEY)
        .body("[[[")
        .send()
        .await
        .unwrap();
    assert_eq!(split(r).await.1["FlinksCode"], "INVALID_REQUEST");

    // RequestIds expire (30 min).
    env.sb.control().advance_clock(31 * 60).await.unwrap();
    let (s, v) = data_get(&env, &format!("GetAccountsDetailAsync/{rid}")).await;
    assert_eq!(
        (s, v["FlinksCode"].clone()),
        (400, json!("SESSION_NONEXISTENT"))
    );

    // Widget errors are shown and sent as events named like the FlinksCode.
    let (_, page, _) = env
        .get_html("/flinks-connect/v2/?demo=true&institution=FlinksCapital")
        .await;
    let (_, page, _) = env
        .widget_login(&page, "test_disabled_account", "Everyday")
        .await;
    assert!(
        page.contains("data-code=\"DISABLED_LOGIN\"") && page.contains("step:\"DISABLED_LOGIN\"")
    );
}

#[tokio::test]
async fn nightly_refresh_is_off_unless_switched_on_and_only_for_scheduled_logins() {
    let env = start();
    let login = book_entry(&env, |b| b.provider == "flinks").await;
    let before = fetch(&env, &login.token).await;
    env.sb.control().advance_clock(20 * 86_400).await.unwrap();
    env.sb.control().refresh().await.unwrap();
    let frozen = fetch(&env, &login.token).await;
    assert_eq!(newest(&frozen), newest(&before), "nightly refresh is off");
    assert_eq!(
        frozen["Login"]["LastRefresh"],
        before["Login"]["LastRefresh"]
    );
    assert_eq!(frozen["Login"]["IsScheduledRefresh"], true);

    // Every scheduled login is listed as not eligible, with the reason.
    let (s, v) = data_get(&env, "GetNightlyRefreshStatus").await;
    assert_eq!(s, 200, "{v}");
    let listed = |v: &Value, id: &str| {
        v["LoginIds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["LoginId"] == id && e["Reason"].is_string())
    };
    assert!(listed(&v, &login.token), "{v}");

    // Turned off for this login: no longer listed.
    let (s, _) = with_api_key(
        &env,
        Method::PATCH,
        "SetScheduledRefresh",
        Some(&json!({"loginId": login.token, "isActivated": false})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, v) = data_get(&env, "GetNightlyRefreshStatus").await;
    assert!(!listed(&v, &login.token));
    let (s, v) = with_api_key(
        &env,
        Method::PATCH,
        "SetScheduledRefresh",
        Some(&json!({"loginId": login.token})),
    )
    .await;
    assert_eq!(
        (s, v["FlinksCode"].as_str()),
        (400, Some("INVALID_REQUEST"))
    );

    // The control plane turns nightly refresh on: scheduled logins move, others stay.
    with_api_key(
        &env,
        Method::PATCH,
        "SetScheduledRefresh",
        Some(&json!({"loginId": login.token, "isActivated": true})),
    )
    .await;
    env.sb.control().set_flinks_nightly(true).await.unwrap();
    env.sb.control().refresh().await.unwrap();
    let after = fetch(&env, &login.token).await;
    assert!(
        newest(&after) > newest(&before),
        "{} vs {}",
        newest(&after),
        newest(&before)
    );
    let acc = &after["Accounts"][0];
    assert_eq!(acc["Balance"]["Current"], acc["Transactions"][0]["Balance"]);
    let (_, v) = data_get(&env, "GetNightlyRefreshStatus").await;
    assert_eq!(v["LoginIds"], json!([]));
}

#[tokio::test]
async fn a_live_authorize_moves_the_data_a_cached_one_does_not() {
    let env = start();
    let login = book_entry(&env, |b| b.provider == "flinks").await;
    let before = fetch(&env, &login.token).await;
    env.sb.control().advance_clock(10 * 86_400).await.unwrap();
    let (s, v) = env
        .flinks_authorize(json!({"LoginId": login.token, "MostRecentCached": false}))
        .await;
    assert_eq!(s, 200, "{v}");
    let after = fetch(&env, &login.token).await;
    assert!(newest(&after) > newest(&before));
    assert!(after["Login"]["LastRefresh"].as_str() > before["Login"]["LastRefresh"].as_str());
}

#[tokio::test]
async fn backdating_makes_a_cached_authorize_return_older_data() {
    let env = start();
    let login = book_entry(&env, |b| b.provider == "flinks").await;
    let before = fetch(&env, &login.token).await;
    env.sb.control().backdate_flinks(10).await.unwrap();
    let after = fetch(&env, &login.token).await;
    let day = |v: &Value| v["Login"]["LastRefresh"].as_str().unwrap()[..10].to_string();
    let was = chrono::NaiveDate::parse_from_str(&day(&before), "%Y-%m-%d").unwrap();
    let now = chrono::NaiveDate::parse_from_str(&day(&after), "%Y-%m-%d").unwrap();
    assert_eq!((was - now).num_days(), 10);
}

/// `AuthorizeAsync` with a fresh authorize token.
async fn authorize_async(env: &Env, body: Value) -> (u16, Value) {
    let token = env.flinks_authorize_token().await;
    let r = env
        .http
        .post(env.flinks_api("AuthorizeAsync"))
        .header("flinks-auth-key", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    split(r).await
}

/// Starts a mid-session reconnect and polls it once the bank has been reached.
async fn reconnect(env: &Env, login_id: &str) -> (u16, Value) {
    let (s, v) = authorize_async(
        env,
        json!({"LoginId": login_id, "MostRecentCached": false, "Save": true}),
    )
    .await;
    assert_eq!(
        (s, v["FlinksCode"].as_str()),
        (202, Some("OPERATION_PENDING")),
        "{v}"
    );
    let rid = v["RequestId"].as_str().unwrap().to_string();
    let (s, v) = authorize_async(env, json!({"RequestId": rid})).await;
    assert_eq!(s, 202, "still reaching the bank: {v}");
    env.sb.control().advance_clock(3).await.unwrap();
    authorize_async(env, json!({"RequestId": rid})).await
}

#[tokio::test]
async fn authorize_async_202_then_200_with_newer_data() {
    let env = start();
    let login = book_entry(&env, |b| b.provider == "flinks").await;
    let before = fetch(&env, &login.token).await;
    env.sb.control().advance_clock(5 * 86_400).await.unwrap();
    let (s, v) = reconnect(&env, &login.token).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Login"]["Id"], login.token.as_str());
    let after = fetch(&env, &login.token).await;
    assert!(newest(&after) > newest(&before));
    let (s, v) = authorize_async(&env, json!({"LoginId": "no-such-login"})).await;
    assert_eq!((s, v["FlinksCode"].as_str()), (401, Some("INVALID_LOGIN")));
}

#[tokio::test]
async fn authorize_async_203_is_answered_in_connect_with_only_the_challenge() {
    let env = start();
    let login_id = connect_greatday(&env, "https://app.example/x").await;
    env.sb.control().advance_clock(3 * 86_400).await.unwrap();
    let (s, v) = reconnect(&env, &login_id).await;
    assert_eq!(s, 203, "{v}");
    let rid = v["RequestId"].as_str().unwrap().to_string();
    let prompt = v["SecurityChallenges"][0]["Prompt"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, page, _) = env
        .get_html(&format!(
            "/flinks-connect/v2/?requestId={rid}&redirectUrl=https://app.example/r"
        ))
        .await;
    assert_eq!(s, 200);
    assert!(page.contains(&prompt) && page.contains("COMPONENT_LOAD_MFA"));
    assert!(
        !page.contains("id=\"username\""),
        "no credential step: {page}"
    );
    let (_, page, _) = answer_mfa(&env, &page, &rid, &prompt).await;
    assert!(page.contains(&format!("loginId={login_id}")), "{page}");
    // The poll now answers 200: the connection was live.
    let (s, v) = authorize_async(&env, json!({"RequestId": rid})).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn a_request_id_lapses_after_eight_idle_minutes() {
    let env = start();
    let login_id = connect_greatday(&env, "https://app.example/x").await;
    let (s, v) = env
        .flinks_authorize(json!({"LoginId": login_id, "MostRecentCached": false}))
        .await;
    assert_eq!(s, 203);
    let rid = v["RequestId"].as_str().unwrap().to_string();
    env.sb.control().advance_clock(7 * 60).await.unwrap();
    let (s, _, _) = env
        .get_html(&format!("/flinks-connect/v2/?requestId={rid}"))
        .await;
    assert_eq!(s, 200, "seven minutes is not idle enough");
    env.sb.control().advance_clock(8 * 60 + 1).await.unwrap();
    let (s, page, _) = env
        .get_html(&format!("/flinks-connect/v2/?requestId={rid}"))
        .await;
    assert_eq!(s, 400);
    assert!(page.contains("SESSION_NONEXISTENT"));
}

#[tokio::test]
async fn past_the_reconnect_window_connect_asks_for_credentials_again() {
    let env = start();
    let login_id = connect_greatday(&env, "https://app.example/x").await;
    env.sb.control().advance_clock(29 * 86_400).await.unwrap();
    // A cached Authorize can answer 203 too.
    let (s, v) = env
        .flinks_authorize(json!({"LoginId": login_id, "MostRecentCached": true}))
        .await;
    assert_eq!(s, 203, "{v}");
    let rid = v["RequestId"].as_str().unwrap().to_string();
    // Connect with that requestId: the credential step, not the challenge.
    let (s, page, _) = env
        .get_html(&format!("/flinks-connect/v2/?requestId={rid}"))
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("COMPONENT_LOAD_CREDENTIAL"), "{page}");
    // AuthorizeAsync: any answer other than 200 / 203 / 202.
    let (s, v) = reconnect(&env, &login_id).await;
    assert_eq!(
        (s, v["FlinksCode"].as_str()),
        (401, Some("SESSION_EXPIRED")),
        "{v}"
    );
    // Connect's credential step for the institution; logging in again connects it.
    let (s, page, _) = env
        .get_html("/flinks-connect/v2/Credential/14?demo=true&redirectUrl=https://app.example/r")
        .await;
    assert_eq!(s, 200);
    let (_, page, _) = env.widget_login(&page, "Greatday", "Everyday").await;
    let prompt = hidden(&page, "prompt");
    let (_, page, _) = answer_mfa(&env, &page, &hidden(&page, "request_id"), &prompt).await;
    assert!(
        page.contains(&format!("loginId={login_id}")),
        "same loginId: {page}"
    );
    let (s, _) = reconnect(&env, &login_id).await;
    assert_eq!(
        s, 203,
        "within the window again: MFA, not the credential step"
    );
}

fn newest(v: &Value) -> String {
    v["Accounts"][0]["Transactions"][0]["Date"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The seeded book's first login that matches.
async fn book_entry(env: &Env, matches: impl Fn(&BookEntry) -> bool) -> BookEntry {
    let book = env.sb.control().book().await.unwrap();
    book.into_iter()
        .find(|b| matches(b))
        .expect("a matching login")
}

/// Cached Authorize → GetAccountsDetail → (clock) → Async 200 body.
async fn fetch(env: &Env, login: &str) -> Value {
    let (_, v) = env
        .flinks_authorize(json!({"LoginId": login, "MostRecentCached": true}))
        .await;
    let rid = v["RequestId"].as_str().unwrap().to_string();
    data_post(env, "GetAccountsDetail", json!({"RequestId": rid})).await;
    env.sb.control().advance_clock(3).await.unwrap();
    data_get(env, &format!("GetAccountsDetailAsync/{rid}"))
        .await
        .1
}

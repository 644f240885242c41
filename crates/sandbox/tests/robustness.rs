//! Bad requests to every endpoint get the provider's documented error shape and a 4xx,
//! never a panic or a 5xx; plus the library's own misuse errors.

mod common;

use advisor_desk_sandbox::{
    Sandbox, SandboxConfig, SandboxError, DEFAULT_LINK_TOKEN, FLINKS_API_KEY, FLINKS_CUSTOMER_ID,
};
use common::*;
use serde_json::Value;

const FLANKS_POSTS: &[&str] = &[
    "/v0/token",
    "/v0/links/create-link",
    "/v0/platform/link",
    "/v0/bank/credentials/status",
    "/v0/bank/credentials/portfolio",
    "/v0/bank/credentials/investment/transaction",
    "/v0/bank/credentials/data",
    "/v0/bank/credentials/auth",
    "/v0/bank/credentials/all",
];
const BODIES: &[&str] = &[
    "",
    "{",
    "[]",
    "null",
    "{\"credentials_token\": 5}",
    "{\"code\": [], \"redirect_uri\": \"no spaces allowed\"}",
    "{\"query\": 3, \"credentials_token\": \"x\", \"page\": -1}",
];

/// POSTs `body` as it is (no content type) with the access token `tok`.
async fn post_raw(env: &Env, tok: &str, path: &str, body: &str) -> (u16, Value) {
    let r = env
        .http
        .post(env.url(path))
        .bearer_auth(tok)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    split(r).await
}

#[tokio::test]
async fn garbage_gets_documented_4xx_shapes() {
    let env = start();
    let tok = env.flanks_token().await;
    for path in FLANKS_POSTS {
        for body in BODIES {
            let r = env
                .http
                .post(env.url(path))
                .bearer_auth(&tok)
                .header("content-type", "application/json")
                .body(*body)
                .send()
                .await
                .unwrap();
            let (s, v) = split(r).await;
            assert!((400..500).contains(&s), "{path} {body:?} → {s} {v}");
            assert!(v["error"].is_string(), "{path} {body:?} → {v}");
        }
    }
    // `page` is optional in list; a bad one or an unreadable body is refused.
    for body in ["{", "[]", "{\"page\": -1}", "{\"page\": 0}"] {
        let (s, v) = post_raw(&env, &tok, "/v0/bank/credentials/list", body).await;
        assert_eq!(s, 400, "{body} → {v}");
        assert!(v["error"].is_string());
    }
    for path in [
        "/connect/v2/sessions/create-session",
        "/connect/v2/sessions/list-sessions",
        "/connect/v2/connectors/list-connectors",
    ] {
        let specific = match path {
            "/connect/v2/sessions/create-session" => "{\"configuration\": {\"redirect_url\": \"x:y\", \"connector_filter\": {\"rules\": [{\"action\": \"nuke\"}]}}}",
            "/connect/v2/sessions/list-sessions" => "{\"query\": {\"session_id_in\": 3}}",
            _ => "{\"query\": {\"connector_id_in\": \"esp:bbva\"}}",
        };
        for body in ["{", "[1]", specific] {
            let (s, v) = post_raw(&env, &tok, path, body).await;
            assert_eq!(s, 400, "{path} {body:?} → {v}");
            assert_eq!(v["error"]["code"], "ValidationError", "{v}");
        }
    }
    let base = format!("/v3/{FLINKS_CUSTOMER_ID}/BankingServices");
    for ep in [
        "Authorize",
        "GetAccountsDetail",
        "GetAccountsSummary",
        "GenerateAuthorizeToken",
    ] {
        for body in [
            "",
            "{",
            "{\"RequestId\": 7}",
            "{\"LoginId\": null, \"MostRecentCached\": \"yes\"}",
        ] {
            let r = env
                .http
                .post(env.url(&format!("{base}/{ep}")))
                .header("x-api-key", FLINKS_API_KEY)
                .body(body)
                .send()
                .await
                .unwrap();
            let (s, v) = split(r).await;
            assert!((400..500).contains(&s), "{ep} {body:?} → {s} {v}");
            assert!(
                v["FlinksCode"].is_string() && v["HttpStatusCode"] == s,
                "{v}"
            );
        }
    }
    let r = env
        .http
        .get(env.url("/v3/wrong-customer/BankingServices/GetAccountsDetailAsync/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(split(r).await.1["FlinksCode"], "UNAUTHORIZED");
    // Pages: unknown sessions, junk forms.
    for (path, form) in [
        ("/link/login", vec![("q", "%%%&&&")]),
        ("/connect/session/nope/login", vec![("connector", "x")]),
        ("/connect/session/nope/challenge", vec![]),
        (
            "/flinks-connect/v2/mfa",
            vec![("request_id", "nope"), ("answer", "x")],
        ),
        ("/flinks-connect/v2/login", vec![]),
    ] {
        let (s, page, _) = env.post_form(path, &form).await;
        assert!(s < 500 && page.contains("<html"), "{path} → {s}");
    }
    let (s, _, _) = env.get_html("/flinks-connect/v2/?requestId=nope").await;
    assert_eq!(s, 400);
    let (s, _, _) = env
        .get_html("/flinks-connect/v2/?authorizeToken=nope")
        .await;
    assert_eq!(s, 400);
    // Control plane refuses junk with a message.
    for (path, body) in [
        ("/_sandbox/clock/advance", "{\"seconds\": \"x\"}"),
        (
            "/_sandbox/credentials/force",
            "{\"credentials_token\": \"x\", \"state\": \"melted\"}",
        ),
        (
            "/_sandbox/faults",
            "{\"endpoint\": \"*\", \"kind\": \"explode\"}",
        ),
    ] {
        let r = env
            .http
            .post(env.url(path))
            .body(body)
            .send()
            .await
            .unwrap();
        let (s, v): (u16, Value) = split(r).await;
        assert_eq!(s, 400, "{path}");
        assert!(v["error"].is_string());
    }
}

#[tokio::test]
async fn transaction_token_flow_keeps_the_credential() {
    let env = start();
    let tok = env.flanks_token().await;
    let cred = env.sb.control().book().await.unwrap()[0].token.clone();
    let (_, v) = env.force_status(&tok, &cred, "transaction").await;
    let txn = v["transaction_token"].as_str().unwrap().to_string();
    let (s, page, _) = env
        .get_html(&format!(
            "/link?token={DEFAULT_LINK_TOKEN}&transaction_token={txn}&bank=testbank"
        ))
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("sca-answer"));
    let (s, _, loc) = env.answer_sca(&page, "1").await;
    assert_eq!(s, 302);
    let code = query_param(&loc.unwrap(), "code").unwrap();
    let (_, ex) = env.exchange(&tok, &code).await;
    assert_eq!(ex["credentials_token"], cred.as_str());
}

#[tokio::test]
async fn consent_screen_when_enabled() {
    let env = start();
    let (s, page, _) = env
        .get_html("/flinks-connect/v2/?demo=true&consentEnable=true&customerName=Acme%20%3Cb%3E")
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("id=\"consent-accept\"") && page.contains("COMPONENT_DENY_CONSENT"));
    assert!(page.contains("Acme &lt;b&gt;"));
}

#[test]
fn starting_outside_a_runtime_is_an_error_not_a_panic() {
    assert!(matches!(
        Sandbox::start(SandboxConfig::default()),
        Err(SandboxError::NoRuntime)
    ));
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let url = format!("{}/_sandbox/book", sb.base_url());
    assert!(reqwest::get(&url).await.unwrap().status().is_success());
    sb.shutdown().await;
    assert!(reqwest::get(&url).await.is_err());
}

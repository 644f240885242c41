//! Flanks API errors and Connect v2 session round-trip over real HTTP.

mod common;

use advisor_desk_sandbox::{ForcedState, FLANKS_CLIENT_ID};
use common::*;
use serde_json::json;

#[tokio::test]
async fn documented_error_bodies() {
    let env = start();
    let r = env.http.post(env.url("/v0/token"))
        .json(&json!({"client_id": FLANKS_CLIENT_ID, "client_secret": "wrong", "grant_type": "client_credentials"}))
        .send().await.unwrap();
    assert_eq!(split(r).await, (403, json!({"error": "access_denied"})));
    let r = env
        .http
        .post(env.url("/v0/token"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        split(r).await,
        (
            400,
            json!({"error": "Missing fields: client_id, client_secret, grant_type"})
        )
    );
    let r = env
        .http
        .post(env.url("/v0/bank/credentials/status"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(split(r).await, (401, json!({"error": "Not authenticated"})));
    let (s, v) = env
        .post(
            "made-up",
            "/v0/bank/credentials/status",
            json!({"credentials_token": "x"}),
        )
        .await;
    assert_eq!((s, v), (401, json!({"error": "Invalid credentials"})));

    let tok = env.flanks_token().await;
    let (s, v) = env
        .post(&tok, "/v0/bank/credentials/status", json!({}))
        .await;
    assert_eq!(
        (s, v),
        (400, json!({"error": "Missing fields: credentials_token"}))
    );
    let (s, v) = env
        .post(
            &tok,
            "/v0/bank/credentials/data",
            json!({"credentials_token": "nope"}),
        )
        .await;
    assert_eq!((s, v), (400, json!({"error": "Invalid credentials_token"})));
    let (s, v) = env
        .post(&tok, "/v0/bank/credentials/list", json!({"page": "two"}))
        .await;
    assert_eq!((s, v), (400, json!({"error": "Invalid page"})));
    let r = env.http.get(env.url("/v0/token")).send().await.unwrap();
    assert_eq!(
        split(r).await,
        (405, json!({"error": "Method not allowed"}))
    );
    let r = env.http.get(env.url("/v0/nothing")).send().await.unwrap();
    assert_eq!(split(r).await.0, 404);

    // Tokens expire on the sandbox clock.
    env.sb.control().advance_clock(3601).await.unwrap();
    let (s, v) = env
        .post(&tok, "/v0/bank/credentials/list", json!({"page": 1}))
        .await;
    assert_eq!((s, v), (401, json!({"error": "Invalid credentials"})));
}

#[tokio::test]
async fn book_credentials_list_lifecycle_and_numeric_codes() {
    let env = start();
    let tok = env.flanks_token().await;
    let book = env.sb.control().book().await.unwrap();
    let flanks: Vec<_> = book.iter().filter(|b| b.provider == "flanks").collect();
    assert_eq!((flanks.len(), book.len() - flanks.len()), (8, 3));
    // The joint account appears in two clients' credentials with both owners.
    let (_, a0) = env
        .post_credentials(&tok, "account", &flanks[0].token)
        .await;
    let (_, a1) = env
        .post_credentials(&tok, "account", &flanks[1].token)
        .await;
    let joint = |accounts: &serde_json::Value| {
        accounts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["numOwners"] == 2)
            .unwrap()
            .clone()
    };
    assert_eq!(joint(&a0)["iban"], joint(&a1)["iban"]);
    assert_ne!(flanks[0].holders[0], flanks[1].holders[0]);

    let (s, list) = env
        .post(&tok, "/v0/bank/credentials/list", json!({"page": 1}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 8);
    assert_eq!(list["items"][0]["status"], "ready");

    // Blocked: data readable, not updated by the daily refresh; others are.
    let c = &flanks[2].token;
    env.sb
        .control()
        .force(c, ForcedState::Blocked)
        .await
        .unwrap();
    let (_, before) = env.post_credentials(&tok, "data", c).await;
    let (_, other_before) = env.post_credentials(&tok, "data", &flanks[3].token).await;
    env.sb.control().advance_clock(3 * 86_400).await.unwrap();
    // The old access token expired with the clock: a client takes a new one.
    let tok = env.flanks_token().await;
    let (s, after) = env.post_credentials(&tok, "data", c).await;
    assert_eq!(s, 200);
    assert_eq!(before, after);
    let (_, other_after) = env.post_credentials(&tok, "data", &flanks[3].token).await;
    assert!(other_after.as_array().unwrap().len() > other_before.as_array().unwrap().len());

    // A new credential that falls into Pending SCA before its first extraction: 50003.
    let new = env.link_new_credential(&tok, "dora", "x").await;
    env.sb
        .control()
        .force(&new, ForcedState::PendingSca)
        .await
        .unwrap();
    let (s, v) = env.post_credentials(&tok, "portfolio", &new).await;
    assert_eq!(
        (s, v["code"].clone(), v["error"].clone()),
        (400, json!(50003), json!("SCA_REQUIRED"))
    );

    // DATA_ERROR_PRODUCT_ACCOUNT: created, accounts errored; ignore_data_error gives [].
    let errored = env
        .link_new_credential(&tok, "erin", "DATA_ERROR_PRODUCT_ACCOUNT")
        .await;
    env.sb.control().advance_clock(10).await.unwrap();
    let (_, st) = env.post_credentials(&tok, "status", &errored).await;
    assert_eq!(st["errored"]["product"]["account"], true);
    let (s, v) = env.post_credentials(&tok, "account", &errored).await;
    assert_eq!((s, v["code"].clone()), (400, json!(50001)));
    let (s, v) = env
        .post(
            &tok,
            "/v0/bank/credentials/account",
            json!({"credentials_token": errored, "ignore_data_error": true}),
        )
        .await;
    assert_eq!((s, v), (200, json!([])));
    let (s, v) = env.post_credentials(&tok, "portfolio", &errored).await;
    assert_eq!(s, 200);
    assert!(!v.as_array().unwrap().is_empty());

    let r = env
        .http
        .delete(env.url("/v0/bank/credentials"))
        .bearer_auth(&tok)
        .json(&json!({"credentials_token": errored}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        split(r).await,
        (200, json!({"message": "Credentials deleted"}))
    );
}

#[tokio::test]
async fn connect_v2_session_round_trip_with_every_status() {
    let env = start();
    let tok = env.flanks_token().await;
    let (s, conns) = env
        .post(
            &tok,
            "/connect/v2/connectors/list-connectors",
            json!({"query": {"connector_id_in": ["esp:testbank"]}}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(conns["items"].as_array().unwrap().len(), 1);
    assert_eq!(conns["items"][0]["countries"], json!(["esp"]));

    let (s, v) = env
        .post(
            &tok,
            "/connect/v2/sessions/create-session",
            json!({"configuration": {}}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["code"], "ValidationError");
    assert_eq!(
        v["error"]["details"][0]["field"],
        "configuration.redirect_url"
    );

    let cb = env.url("/_sandbox/landing");
    let (s, v) = env.post(&tok, "/connect/v2/sessions/create-session",
        json!({"configuration": {"redirect_url": cb, "connector_filter": {"rules": [{"action": "include", "field": "connector_id", "value": "esp:testbank"}]}}})).await;
    assert_eq!(s, 200, "{v}");
    let session = &v["session"];
    assert_eq!(session["status"], "Waiting:ProvideCredentials");
    assert_eq!(session["connection_id"], serde_json::Value::Null);
    let sid = session["session_id"].as_str().unwrap().to_string();
    let path = env.session_path(&v);

    let (s, page, _) = env.get_html(&path).await;
    assert_eq!(s, 200);
    assert!(page.contains("id=\"password\""));
    let (s, _, _) = env
        .post_form(
            &format!("{path}/login"),
            &[
                ("connector", "esp:testbank"),
                ("username", "frank"),
                ("password", "SCA_APP"),
            ],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        status(&env, &tok, &sid).await["status"],
        "Processing:ProvideCredentials"
    );
    let (_, page, _) = env.get_html(&format!("{path}/continue")).await;
    assert!(page.contains("sca-answer"));
    assert_eq!(
        status(&env, &tok, &sid).await["status"],
        "Waiting:Challenge"
    );
    env.post_form(&format!("{path}/challenge"), &[("answer", "4321")])
        .await;
    assert_eq!(
        status(&env, &tok, &sid).await["status"],
        "Processing:Challenge"
    );
    let (s, _, loc) = env.get_html(&format!("{path}/continue")).await;
    assert_eq!(s, 302);
    assert_eq!(loc.unwrap(), format!("{cb}?session_id={sid}"));
    let done = status(&env, &tok, &sid).await;
    assert_eq!(done["status"], "Finished:OK");
    let conn = done["connection_id"].as_str().unwrap();
    let (s, st) = env.post_credentials(&tok, "status", conn).await;
    assert_eq!((s, st["pending"].clone()), (200, json!(true)));
    // Single use.
    let (s, _, _) = env.get_html(&path).await;
    assert_eq!(s, 410);

    // An error session.
    let (_, v) = env
        .post(
            &tok,
            "/connect/v2/sessions/create-session",
            json!({"configuration": {"redirect_url": cb, "connector_id": "esp:bbva"}}),
        )
        .await;
    let sid2 = v["session"]["session_id"].as_str().unwrap().to_string();
    let path2 = env.session_path(&v);
    env.post_form(
        &format!("{path2}/login"),
        &[
            ("connector", "esp:bbva"),
            ("username", "g"),
            ("password", "INVALID_CREDENTIALS"),
        ],
    )
    .await;
    let (s, _, _) = env.get_html(&format!("{path2}/continue")).await;
    assert_eq!(s, 302);
    let (_, l) = env
        .post(
            &tok,
            "/connect/v2/sessions/list-sessions",
            json!({"query": {"error_code_in": ["InvalidCredentials"]}}),
        )
        .await;
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    assert_eq!(l["items"][0]["session_id"], sid2.as_str());
    assert_eq!(l["items"][0]["status"], "Finished:Error");
}

async fn status(env: &Env, tok: &str, sid: &str) -> serde_json::Value {
    let (_, l) = env
        .post(
            tok,
            "/connect/v2/sessions/list-sessions",
            json!({"query": {"session_id_in": [sid]}}),
        )
        .await;
    l["items"][0].clone()
}

#[tokio::test]
async fn connect_v2_session_reconnects_an_existing_connection() {
    let env = start();
    let tok = env.flanks_token().await;
    let cred = env.sb.control().book().await.unwrap()[1].token.clone();
    env.sb
        .control()
        .force(&cred, ForcedState::PendingSca)
        .await
        .unwrap();
    let cb = env.url("/_sandbox/landing");
    let (s, v) = env
        .post(
            &tok,
            "/connect/v2/sessions/create-session",
            json!({"configuration": {"redirect_url": cb, "connection_id": cred}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let sid = v["session"]["session_id"].as_str().unwrap().to_string();
    let path = env.session_path(&v);
    // Pending SCA: the page asks only for the challenge.
    let (_, page, _) = env.get_html(&path).await;
    assert!(page.contains("sca-answer") && !page.contains("id=\"password\""));
    assert_eq!(
        status(&env, &tok, &sid).await["status"],
        "Waiting:Challenge"
    );
    env.post_form(&format!("{path}/challenge"), &[("answer", "55")])
        .await;
    let (s, _, _) = env.get_html(&format!("{path}/continue")).await;
    assert_eq!(s, 302);
    let done = status(&env, &tok, &sid).await;
    assert_eq!(done["status"], "Finished:OK");
    assert_eq!(done["connection_id"], cred.as_str());
    let (_, st) = env.post_credentials(&tok, "status", &cred).await;
    assert_eq!(st["sca_token"], serde_json::Value::Null);

    let (s, v) = env
        .post(
            &tok,
            "/connect/v2/sessions/create-session",
            json!({"configuration": {"redirect_url": cb, "connection_id": "sbx-cred-unknown"}}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["details"][0]["field"].clone()),
        (400, json!("configuration.connection_id"))
    );
}

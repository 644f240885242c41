//! Legacy Link contract: link → code → exchange → status → data, SCA / reset reauthorisation
//! keeping the credentials_token, delayed codes, unused codes, rollback errors.

mod common;

use advisor_desk_sandbox::checkdigits::iban_is_valid;
use advisor_desk_sandbox::{ForcedState, SandboxConfig, DEFAULT_LINK_TOKEN};
use common::*;
use serde_json::{json, Value};

const CB: &str = "http://127.0.0.1:9/cb";

async fn new_link(env: &Env, tok: &str) -> String {
    let (s, v) = env
        .post(
            tok,
            "/v0/links/create-link",
            json!({"redirect_uri": CB, "name": "tests"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["success"], true);
    v["data"]["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn link_code_exchange_status_data_and_reauthorisation() {
    let env = start_with(SandboxConfig {
        pending_delay: std::time::Duration::from_secs(60),
        ..Default::default()
    });
    let tok = env.flanks_token().await;
    let link = new_link(&env, &tok).await;

    // Bank list first, then the login form for the chosen bank.
    let (s, page, _) = env
        .get_html(&format!("/link?token={link}&advisor_client=42"))
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("id=\"bank-testbank\"") && page.contains("Select your bank"));

    let q = format!("token={link}&bank=testbank&external_id=ext-7&advisor_client=42");
    let (s, _, loc) = env.link_login(&q, "alice", "SCA_SMS", Some("123456")).await;
    assert_eq!(s, 302);
    let loc = loc.unwrap();
    assert!(loc.starts_with(CB), "{loc}");
    let code = query_param(&loc, "code").expect("code in redirect");
    assert!(code.starts_with("sbx-code-"));
    assert_eq!(query_param(&loc, "delayed"), None);

    // The unused code is listed with its extra parameters.
    let r = env
        .http
        .get(env.url(&format!("/v0/platform/link?link_token={link}")))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    let (s, unused) = split(r).await;
    assert_eq!(s, 200);
    assert_eq!(unused[0]["code"], code.as_str());
    assert_eq!(unused[0]["extra"]["advisor_client"], "42");

    let (s, ex) = env.exchange(&tok, &code).await;
    assert_eq!(s, 200, "{ex}");
    let cred = ex["credentials_token"].as_str().unwrap().to_string();
    assert!(cred.starts_with("sbx-cred-"));
    assert_eq!(ex["extra"], json!({"advisor_client": "42"}));
    assert_eq!(ex["link_token"], link.as_str());
    // Single use.
    let (s, again) = env.exchange(&tok, &code).await;
    assert_eq!((s, again), (400, json!({"error": "Invalid code"})));

    // Pending until the first extraction: status says so and data answers 20002.
    let (s, st) = env.post_credentials(&tok, "status", &cred).await;
    assert_eq!(s, 200);
    assert_eq!(st["pending"], true);
    assert_eq!(st["name"], "testbank");
    let (s, err) = env.post_credentials(&tok, "account", &cred).await;
    assert_eq!(s, 400);
    assert_eq!(err["code"], 20002);

    env.sb.control().advance_clock(61).await.unwrap();
    let (_, st) = env.post_credentials(&tok, "status", &cred).await;
    assert_eq!(st["pending"], false);
    assert_eq!(st["created"]["product"]["account"], true);
    let (s, accounts) = env.post_credentials(&tok, "account", &cred).await;
    assert_eq!(s, 200);
    let accounts = accounts.as_array().unwrap().clone();
    assert!(!accounts.is_empty());
    for a in &accounts {
        assert!(iban_is_valid(a["iban"].as_str().unwrap()), "{a}");
    }
    let (_, pf) = env.post_credentials(&tok, "portfolio", &cred).await;
    assert!(pf
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["external_id"] == "ext-7"));
    let acc_id = accounts[0]["_id"].as_str().unwrap();
    let (_, txs) = env
        .post(
            &tok,
            "/v0/bank/credentials/data",
            json!({"credentials_token": cred, "query": {"account_id": acc_id}}),
        )
        .await;
    let txs = txs.as_array().unwrap();
    assert!(txs.len() > 100, "two years of movements, got {}", txs.len());
    let mut bal = (txs[0]["balance"].as_f64().unwrap() * 100.0).round() as i64;
    for t in &txs[1..] {
        bal += (t["amount"].as_f64().unwrap() * 100.0).round() as i64;
        assert_eq!(
            bal,
            (t["balance"].as_f64().unwrap() * 100.0).round() as i64,
            "running balance at {t}"
        );
    }
    assert_eq!(
        bal,
        (accounts[0]["balance"].as_f64().unwrap() * 100.0).round() as i64
    );

    // Pending SCA: data stays readable; the SCA link asks only for the challenge; same token.
    let sca = env
        .sb
        .control()
        .force(&cred, ForcedState::PendingSca)
        .await
        .unwrap()
        .unwrap();
    let (_, st) = env.post_credentials(&tok, "status", &cred).await;
    assert_eq!(st["sca_token"], sca.as_str());
    let (s, _) = env.post_credentials(&tok, "account", &cred).await;
    assert_eq!(s, 200);
    let (s, page, _) = env
        .get_html(&format!(
            "/link?token={link}&sca_token={sca}&bank=testbank&advisor_client=42"
        ))
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("sca-answer") && !page.contains("id=\"password\""));
    let (s, _, loc) = env.answer_sca(&page, "999111").await;
    assert_eq!(s, 302);
    let code = query_param(&loc.unwrap(), "code").unwrap();
    let (_, ex) = env.exchange(&tok, &code).await;
    assert_eq!(ex["credentials_token"], cred.as_str());
    let (_, st) = env.post_credentials(&tok, "status", &cred).await;
    assert_eq!(st["sca_token"], Value::Null);

    // Reset (Blocked) via the documented PUT force: user/password again, same token.
    let (s, forced) = env.force_status(&tok, &cred, "reset").await;
    assert_eq!(s, 200);
    let reset = forced["reset_token"].as_str().unwrap().to_string();
    let (_, st) = env.post_credentials(&tok, "status", &cred).await;
    assert_eq!(
        (st["blocked"].clone(), st["reset_token"].clone()),
        (json!(true), json!(reset))
    );
    let (s, _, loc) = env
        .link_login(
            &format!("token={link}&reset_token={reset}&bank=testbank"),
            "alice",
            "new-pass",
            None,
        )
        .await;
    assert_eq!(s, 302);
    let code = query_param(&loc.unwrap(), "code").unwrap();
    let (_, ex) = env.exchange(&tok, &code).await;
    assert_eq!(ex["credentials_token"], cred.as_str());
    let (_, st) = env.post_credentials(&tok, "status", &cred).await;
    assert_eq!(st["blocked"], false);

    // The same login again: CREDENTIALS_ALREADY_EXIST, rolled back with the extra params.
    let (s, _, loc) = env
        .link_login(
            &format!("token={link}&bank=testbank&rollback=true&advisor_client=42"),
            "alice",
            "whatever",
            None,
        )
        .await;
    assert_eq!(s, 302);
    let loc = loc.unwrap();
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("CREDENTIALS_ALREADY_EXIST")
    );
    assert_eq!(query_param(&loc, "advisor_client").as_deref(), Some("42"));
}

#[tokio::test]
async fn delayed_codes_answer_202_until_released() {
    let env = start();
    let tok = env.flanks_token().await;
    let (s, _, loc) = env
        .link_login(
            &format!("token={DEFAULT_LINK_TOKEN}&bank=bbva"),
            "bob",
            "DELAYED",
            None,
        )
        .await;
    assert_eq!(s, 302);
    let loc = loc.unwrap();
    assert!(loc.starts_with("advisordesk://link/callback?"), "{loc}");
    assert_eq!(query_param(&loc, "delayed").as_deref(), Some("true"));
    let code = query_param(&loc, "code").unwrap();
    let (s, _) = env.exchange(&tok, &code).await;
    assert_eq!(s, 202);
    assert_eq!(
        env.sb.control().release_codes(Some(&code)).await.unwrap(),
        1
    );
    let (s, ex) = env.exchange(&tok, &code).await;
    assert_eq!(s, 200, "{ex}");
}

#[tokio::test]
async fn testbank_failures_rollback_or_show_an_error_screen() {
    let env = start();
    let q = format!(
        "token={DEFAULT_LINK_TOKEN}&bank=testbank&rollback=INVALID_SCA,INTERNAL_ERROR&crm=9"
    );
    // Listed code → redirect with error + extra.
    let (s, _, loc) = env
        .link_login(&q, "carol", "SCA_CODE", Some("INVALID_SCA"))
        .await;
    assert_eq!(s, 302);
    assert_eq!(
        query_param(loc.as_deref().unwrap(), "error").as_deref(),
        Some("INVALID_SCA")
    );
    assert_eq!(
        query_param(loc.as_deref().unwrap(), "crm").as_deref(),
        Some("9")
    );
    let (s, _, loc) = env.link_login(&q, "carol", "INTERNAL_ERROR", None).await;
    assert_eq!(
        (s, query_param(loc.as_deref().unwrap(), "error").as_deref()),
        (302, Some("INTERNAL_ERROR"))
    );
    // Not listed → an error screen, no redirect.
    let (s, page, loc) = env
        .link_login(&q, "carol", "USER_INTERACTION_NEEDED", None)
        .await;
    assert_eq!((s, loc), (200, None));
    assert!(page.contains("data-code=\"USER_INTERACTION_NEEDED\""));
    let (s, page, _) = env
        .link_login(&q, "carol", "INVALID_CREDENTIALS", None)
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("id=\"error-message\"") && page.contains("id=\"password\""));
    // Cancel with rollback=true.
    let (_, page, _) = env
        .get_html(&format!(
            "/link?token={DEFAULT_LINK_TOKEN}&bank=testbank&rollback=true"
        ))
        .await;
    let (s, _, loc) = env
        .post_form("/link/abort", &[("q", &hidden(&page, "q"))])
        .await;
    assert_eq!(
        (s, query_param(loc.as_deref().unwrap(), "error").as_deref()),
        (302, Some("ABORTED_BY_USER"))
    );
    // Bad link tokens and params get an error page, not a panic.
    let (s, _, _) = env.get_html("/link?token=nope").await;
    assert_eq!(s, 404);
    let (s, _, _) = env
        .get_html(&format!("/link?token={DEFAULT_LINK_TOKEN}&sca_token=x"))
        .await;
    assert_eq!(s, 400);
    let (s, _, _) = env
        .post_form("/link/sca", &[("q", "token=zz"), ("attempt", "nope")])
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn rendered_parameters_are_escaped() {
    let env = start();
    let (s, page, _) = env
        .get_html(&format!(
            "/link?token={DEFAULT_LINK_TOKEN}&x=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"
        ))
        .await;
    assert_eq!(s, 200);
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("&lt;script&gt;") || page.contains("%3Cscript"));
}

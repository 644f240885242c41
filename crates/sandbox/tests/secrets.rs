//! `GET /_sandbox/secrets` lists what an audit must look for: the compiled-in API secrets, the
//! seeded book's tokens, and every value handed out since the start, including short-lived
//! ones that are gone from the sandbox's state once used.

mod common;

use advisor_desk_sandbox::{
    ForcedState, SecretEntry, SecretKind, DEFAULT_LINK_TOKEN, FLANKS_CLIENT_SECRET, FLINKS_API_KEY,
    FLINKS_SECRET_KEY,
};
use common::*;
use serde_json::json;

fn issued(list: &[SecretEntry], kind: SecretKind) -> Vec<String> {
    list.iter()
        .filter(|e| e.kind == kind && e.issued)
        .map(|e| e.value.clone())
        .collect()
}

fn listed(list: &[SecretEntry], kind: SecretKind, value: &str) -> bool {
    list.iter().any(|e| e.kind == kind && e.value == value)
}

#[tokio::test]
async fn every_secret_handed_out_is_listed_even_after_it_was_used() {
    let env = start();
    let ctl = env.sb.control();

    // Before anything happens: the API secrets and the seeded book, nothing issued.
    let before = ctl.secrets().await.unwrap();
    for s in [FLANKS_CLIENT_SECRET, FLINKS_SECRET_KEY, FLINKS_API_KEY] {
        assert!(listed(&before, SecretKind::ApiSecret, s), "{s}");
    }
    assert!(before.iter().all(|e| !e.issued), "{before:?}");
    let book = ctl.book().await.unwrap();
    assert!(!book.is_empty());
    for entry in &book {
        let kind = if entry.provider == "flinks" {
            SecretKind::LoginId
        } else {
            SecretKind::CredentialsToken
        };
        assert!(listed(&before, kind, &entry.token), "{entry:?}");
    }

    // Flanks: an access token, a link login (code → credentials_token), a forced SCA.
    let tok = env.flanks_token().await;
    let (s, _, loc) = env
        .link_login(
            &format!("token={DEFAULT_LINK_TOKEN}&bank=testbank"),
            "secrets.audit",
            "any-password",
            None,
        )
        .await;
    assert_eq!(s, 302);
    let code = query_param(&loc.unwrap(), "code").expect("a code");
    let (s, ex) = env.exchange(&tok, &code).await;
    assert_eq!(s, 200, "{ex}");
    let cred = ex["credentials_token"].as_str().unwrap().to_string();
    let sca = ctl
        .force(&cred, ForcedState::PendingSca)
        .await
        .unwrap()
        .expect("an sca_token");

    // Flinks: a one-use authorize token consumed by a direct login.
    let authz = env.flinks_authorize_token().await;
    let (s, v) = env
        .flinks_authorize_with(
            &authz,
            &json!({"Username": "greatday_nomfa", "Password": "Everyday", "Institution": "FlinksCapital"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let login = v["Login"]["Id"].as_str().unwrap().to_string();

    let after = ctl.secrets().await.unwrap();
    assert_eq!(issued(&after, SecretKind::AccessToken), vec![tok]);
    assert_eq!(issued(&after, SecretKind::LinkCode), vec![code]);
    assert_eq!(issued(&after, SecretKind::CredentialsToken), vec![cred]);
    assert_eq!(issued(&after, SecretKind::ReauthToken), vec![sca]);
    // Used once and gone from the sandbox's state, still listed.
    assert_eq!(issued(&after, SecretKind::AuthorizeToken), vec![authz]);
    assert_eq!(issued(&after, SecretKind::LoginId), vec![login]);
    // One entry per value.
    let mut values: Vec<_> = after.iter().map(|e| (e.kind, &e.value)).collect();
    values.sort();
    values.dedup();
    assert_eq!(values.len(), after.len());

    // A reset forgets what was issued.
    ctl.reset().await.unwrap();
    assert!(ctl.secrets().await.unwrap().iter().all(|e| !e.issued));
}

//! Flinks client and sync engine against the sandbox over real HTTP.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use advisor_desk_core::domain::{Actor, ConnectionStatus, FailureKind, Provider};
use advisor_desk_core::secrets::Secret;
use advisor_desk_core::sync::connections;
use advisor_desk_core::sync::SyncResult;
use advisor_desk_providers::flinks::{AuthorizeMode, AuthorizeOutcome};
use advisor_desk_providers::FlinksClient;
use advisor_desk_sandbox::{FaultKind, FaultRule};
use common::*;

const INSTITUTION: &str = "FlinksCapital";

fn password() -> Secret {
    Secret::new("Everyday")
}

async fn login_of(w: &World, username: &str) -> Secret {
    match w
        .flinks
        .authorize_direct(username, &password(), INSTITUTION)
        .await
        .unwrap()
    {
        AuthorizeOutcome::Authorized { login_id, .. } => login_id.expect("Login.Id"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_flinks_sync_polls_202_until_ready_and_a_second_sync_writes_nothing() {
    let w = world().await;
    let login = w.book("flinks").await.remove(0);
    let id = w.connect(Provider::Flinks, &login);
    let engine = w.engine(fast_sync());
    let o = engine.sync_one(id, &|_| {}).await;
    let SyncResult::Synced { stats } = &o.result else {
        panic!("{o:?}")
    };
    assert!(stats.inserted > 5, "{stats:?}");
    assert_eq!(stats.skipped, 0, "every sandbox record decodes: {stats:?}");
    assert!(
        w.calls_to("GET /v3/{customerId}/BankingServices/GetAccountsDetailAsync/{id}")
            .await
            >= 1,
        "the 202 was polled on the Async endpoint"
    );
    let c = connections::get(&w.store, id).unwrap();
    assert_eq!(c.status, ConnectionStatus::Ready);
    assert!(c.institution_name.is_some(), "InstitutionName is kept");
    let o = engine.sync_one(id, &|_| {}).await;
    let SyncResult::Synced { stats } = &o.result else {
        panic!("{o:?}")
    };
    assert_eq!(stats.written(), 0, "{stats:?}");
    // CAD and USD are never summed together.
    let nw = w
        .store
        .read(|c| advisor_desk_core::reads::net_worth(c, w.client_id))
        .unwrap();
    let mut currencies: Vec<_> = nw.iter().map(|n| n.currency.clone()).collect();
    currencies.dedup();
    assert_eq!(currencies.len(), nw.len());
}

#[tokio::test]
async fn a_live_authorize_answers_203_with_mfa_and_the_answer_authorizes() {
    let w = world().await;
    let outcome = w
        .flinks
        .authorize_direct("Greatday", &password(), INSTITUTION)
        .await
        .unwrap();
    let AuthorizeOutcome::MfaRequired {
        request_id,
        challenges,
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    let prompt = challenges[0].prompt.clone();
    let answer = match prompt.as_str() {
        "What city were you born in?" => "Montreal",
        "What is the best country on earth?" => "Canada",
        _ => "Triangle",
    };
    let answers = BTreeMap::from([(prompt, vec![answer.to_string()])]);
    let AuthorizeOutcome::Authorized { login_id, .. } =
        w.flinks.answer_mfa(&request_id, &answers).await.unwrap()
    else {
        panic!("the right answer must authorize")
    };
    let login = login_id.unwrap();
    // Cached never asks; live asks again: the client must act.
    assert!(matches!(
        w.flinks
            .authorize(&login, AuthorizeMode::Cached, None, None)
            .await
            .unwrap(),
        AuthorizeOutcome::Authorized { .. }
    ));
    assert!(matches!(
        w.flinks
            .authorize(&login, AuthorizeMode::Live, None, None)
            .await
            .unwrap(),
        AuthorizeOutcome::MfaRequired { .. }
    ));
    // A wrong answer is the client's to fix.
    let AuthorizeOutcome::MfaRequired {
        request_id,
        challenges,
    } = w
        .flinks
        .authorize(&login, AuthorizeMode::Live, None, None)
        .await
        .unwrap()
    else {
        panic!()
    };
    let wrong = BTreeMap::from([(challenges[0].prompt.clone(), vec!["Paris".to_string()])]);
    let err = w.flinks.answer_mfa(&request_id, &wrong).await.unwrap_err();
    assert_eq!(err.actor(), Actor::Client, "{err}");
}

#[tokio::test]
async fn flinks_errors_are_classified_by_who_acts() {
    let w = world().await;
    let err = w
        .flinks
        .authorize_direct("test_disabled_account", &password(), INSTITUTION)
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind, err.actor()),
        (FailureKind::Blocked, Actor::Client)
    );
    assert_eq!(err.provider_code.as_deref(), Some("DISABLED_LOGIN"));
    let err = w
        .flinks
        .authorize_direct("test_service_unavailable", &password(), INSTITUTION)
        .await
        .unwrap_err();
    assert_eq!(err.actor(), Actor::Nobody);
    assert_eq!(err.provider_code.as_deref(), Some("RETRY_LATER"));
    let err = w
        .flinks
        .authorize(
            &Secret::new("no-such-login"),
            AuthorizeMode::Cached,
            None,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.actor(), Actor::Client, "{err}");

    let bad = FlinksClient::new(
        {
            let mut c = flinks_config(&w.sandbox.base_url(), fast_policy());
            c.secret_key = Secret::new("wrong-key");
            c
        },
        w.calls.clone(),
    )
    .unwrap();
    let err = bad.generate_authorize_token().await.unwrap_err();
    assert_eq!(
        (err.kind, err.actor()),
        (FailureKind::Unauthorized, Actor::Advisor)
    );
    assert!(!format!("{err} {err:?}").contains("wrong-key"));
}

#[tokio::test]
async fn dispatched_and_pending_operations_are_polled_and_a_deadline_says_retry_later() {
    let w = world().await;
    for user in ["test_dispatched", "test_pending"] {
        let login = login_of(&w, user).await;
        let AuthorizeOutcome::Authorized { request_id, .. } = w
            .flinks
            .authorize(&login, AuthorizeMode::Cached, None, None)
            .await
            .unwrap()
        else {
            panic!()
        };
        let v = w.flinks.accounts_detail(&request_id).await.unwrap();
        assert!(
            v["Accounts"].as_array().is_some_and(|a| !a.is_empty()),
            "{user}"
        );
        let s = w.flinks.accounts_summary(&request_id).await.unwrap();
        assert!(s["Accounts"].is_array(), "{user}");
    }

    // A polling deadline shorter than the processing time: Pending, retry later.
    let mut config = common::sandbox_config();
    config.flinks_processing_delay = Duration::from_secs(30);
    let w = world_with(config, fast_policy()).await;
    let impatient = FlinksClient::new(
        {
            let mut c = flinks_config(&w.sandbox.base_url(), fast_policy());
            c.async_deadline = Duration::from_millis(300);
            c
        },
        w.calls.clone(),
    )
    .unwrap();
    let login = Secret::new(w.book("flinks").await.remove(0));
    let AuthorizeOutcome::Authorized { request_id, .. } = impatient
        .authorize(&login, AuthorizeMode::Cached, None, None)
        .await
        .unwrap()
    else {
        panic!()
    };
    let err = impatient.accounts_detail(&request_id).await.unwrap_err();
    assert_eq!(
        (err.kind, err.actor()),
        (FailureKind::Pending, Actor::Nobody)
    );
    assert!(err.retry_at.is_some());
}

#[tokio::test]
async fn a_429_is_retried_and_only_a_token_rejection_gets_a_new_authorize_token() {
    let w = world().await;
    let login = Secret::new(w.book("flinks").await.remove(0));
    let authorize = "/v3/";
    let mut r = FaultRule::new(authorize, FaultKind::RateLimit);
    r.retry_after_s = Some(1);
    r.count = Some(1);
    w.control.add_fault(&r).await.unwrap();
    assert!(w
        .flinks
        .authorize(&login, AuthorizeMode::Cached, None, None)
        .await
        .is_ok());

    // The injected 401 carries FlinksCode AGGREGATION_ERROR, not UNAUTHORIZED: it is not a
    // rejected authorize token, so no second token is generated and the error is transient.
    let before = w
        .calls_to("POST /v3/{customerId}/BankingServices/GenerateAuthorizeToken")
        .await;
    let mut r = FaultRule::new(
        format!(
            "/v3/{}/BankingServices/Authorize",
            advisor_desk_sandbox::FLINKS_CUSTOMER_ID
        ),
        FaultKind::Status,
    );
    r.status = Some(401);
    r.count = Some(1);
    w.control.add_fault(&r).await.unwrap();
    let err = w
        .flinks
        .authorize(&login, AuthorizeMode::Cached, None, None)
        .await
        .unwrap_err();
    // The fault answers AGGREGATION_ERROR: transient, not the client's problem.
    assert_eq!(err.actor(), Actor::Nobody, "{err}");
    let after = w
        .calls_to("POST /v3/{customerId}/BankingServices/GenerateAuthorizeToken")
        .await;
    assert_eq!(after - before, 1);
}

#[tokio::test]
async fn delete_card_removes_the_login() {
    let w = world().await;
    let login = login_of(&w, "greatday_nomfa").await;
    w.flinks.delete_card(&login).await.unwrap();
    let err = w
        .flinks
        .authorize(&login, AuthorizeMode::Cached, None, None)
        .await
        .unwrap_err();
    assert_eq!(err.provider_code.as_deref(), Some("INVALID_LOGIN"));
}

/// The sandbox's looser-answers login, synced end to end: every account and transaction the
/// bank sent kept, each oddity counted in the sync run.
#[tokio::test]
async fn looser_answers_are_kept_and_their_oddities_counted_in_the_sync_run() {
    let w = world().await;
    let login = login_of(&w, "test_loose_answers").await;
    let id = w.connect(Provider::Flinks, login.expose());
    let o = w.engine(fast_sync()).sync_one(id, &|_| {}).await;
    let SyncResult::Synced { stats } = &o.result else {
        panic!("{o:?}")
    };
    assert_eq!(stats.skipped, 0, "{stats:?}");
    assert!(
        stats.odd >= 4,
        "text holder and balance, no classification, …: {stats:?}"
    );
    let recorded = w.count(&format!(
        "SELECT rows_odd FROM sync_runs WHERE connection_id = {id} AND outcome = 'ok'"
    ));
    assert_eq!(recorded, stats.odd as i64);

    // What the bank sent, read raw: every account and transaction is in the book.
    let AuthorizeOutcome::Authorized { request_id, .. } = w
        .flinks
        .authorize(&login, AuthorizeMode::Cached, None, None)
        .await
        .unwrap()
    else {
        panic!("cached authorize")
    };
    let raw = w.flinks.accounts_detail(&request_id).await.unwrap();
    let raw_accounts = raw["Accounts"].as_array().unwrap();
    assert!(
        raw_accounts[0]["Holder"].is_string(),
        "the looser shape was sent"
    );
    assert!(raw_accounts[1].get("Category").is_none());
    let raw_transactions: usize = raw_accounts
        .iter()
        .map(|a| a["Transactions"].as_array().map_or(0, Vec::len))
        .sum();
    let stored = |table: &str| {
        w.count(&format!(
            "SELECT count(*) FROM {table} WHERE account_id IN \
             (SELECT id FROM accounts WHERE connection_id = {id})"
        ))
    };
    assert_eq!(
        w.count(&format!(
            "SELECT count(*) FROM accounts WHERE connection_id = {id}"
        )),
        raw_accounts.len() as i64
    );
    assert_eq!(stored("transactions"), raw_transactions as i64);
    assert!(
        stored("account_owners") > 0,
        "a holder sent as text is still an owner"
    );
}

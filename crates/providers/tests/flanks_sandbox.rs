//! Flanks client and sync engine against the sandbox over real HTTP, with fault injection.

mod common;

use std::time::{Duration, Instant};

use advisor_desk_core::domain::{Actor, ConnectionStatus, FailureKind, Provider, RemoteState};
use advisor_desk_core::secrets::Secret;
use advisor_desk_core::sync::connections;
use advisor_desk_core::sync::SyncResult;
use advisor_desk_providers::flanks::{AggregationEndpoint, ExchangeOutcome, FlanksClient};
use advisor_desk_providers::FlanksGateway;
use advisor_desk_sandbox::{FaultKind, FaultRule, ForcedState};
use common::*;

fn fault(endpoint: &str, kind: FaultKind, count: u64) -> FaultRule {
    let mut r = FaultRule::new(endpoint, kind);
    r.count = Some(count);
    r
}

const STATUS: &str = "/v0/bank/credentials/status";

#[tokio::test]
async fn every_flanks_endpoint_answers_and_the_call_log_holds_no_secret() {
    let w = world().await;
    let token = Secret::new(w.book("flanks").await.remove(0));
    let c = &w.flanks;
    let banks = c.banks().await.unwrap();
    assert!(banks.iter().any(|b| b.id == "testbank"), "{banks:?}");
    let status = c.credential_status(&token).await.unwrap();
    assert_eq!(status.remote_state(), RemoteState::Ready);
    assert!(status.last_update.is_some());
    use AggregationEndpoint::*;
    for e in [
        Portfolio,
        Investment,
        InvestmentTransaction,
        Account,
        AccountTransaction,
        Card,
        CardTransaction,
        Liability,
        LiabilityTransaction,
        Holder,
        All,
    ] {
        let v = c.aggregation(&token, e, None).await.unwrap();
        assert!(v.is_array() || v.is_object(), "{e:?}: {v}");
    }
    let auth = c.aggregation(&token, Auth, None).await.unwrap();
    assert!(!auth.is_null());
    let page = c.list_credentials(1).await.unwrap();
    assert!(!page.items.is_empty());
    assert!(page.items.iter().any(|i| i.credentials_token == token));
    let links = c.list_links().await.unwrap();
    assert!(!links.is_empty());
    let connectors = c.list_connectors(&[], None).await.unwrap();
    assert!(!connectors.items.is_empty());
    let session = c
        .create_session("advisordesk://link/callback", None)
        .await
        .unwrap();
    let listed = c
        .list_sessions(std::slice::from_ref(&session.session_id), None)
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert!(session.url.is_some());

    // Calls were logged by endpoint template, with statuses, and no secret anywhere.
    let n = w.calls.flush(&w.store).unwrap();
    assert!(n >= 17, "{n}");
    let dump: String = w
        .store
        .read(|c| {
            Ok(c.query_row(
                "SELECT group_concat(endpoint || ' ' || coalesce(status, '') || ' ' || outcome || ' ' || coalesce(request_id, ''), '\n') FROM provider_calls",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert!(
        dump.contains("/v0/bank/credentials/status 200 ok"),
        "{dump}"
    );
    assert!(!dump.contains(token.expose()));
    assert!(!dump.contains(advisor_desk_sandbox::FLANKS_CLIENT_SECRET));
}

#[tokio::test]
async fn a_full_sync_writes_the_snapshot_and_a_second_writes_nothing() {
    let w = world().await;
    let token = w.book("flanks").await.remove(0);
    let id = w.connect(Provider::Flanks, &token);
    let engine = w.engine(fast_sync());
    let first = engine.sync_one(id, &|_| {}).await;
    let SyncResult::Synced { stats } = &first.result else {
        panic!("{first:?}")
    };
    assert!(stats.inserted > 10, "{stats:?}");
    assert_eq!(stats.skipped, 0, "every sandbox record decodes: {stats:?}");
    let second = engine.sync_one(id, &|_| {}).await;
    let SyncResult::Synced { stats } = &second.result else {
        panic!("{second:?}")
    };
    assert_eq!(stats.written(), 0, "{stats:?}");
    let c = connections::get(&w.store, id).unwrap();
    assert_eq!(c.status, ConnectionStatus::Ready);
    assert!(c.data_as_of.is_some());
    assert!(w.count("SELECT count(*) FROM transactions") > 0);
    assert!(w.count("SELECT count(*) FROM holdings") > 0);

    // Flanks builds ids from the credentials_token (investment `_id` = token + ISIN): no run
    // of 8 characters of it may reach the database files.
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(w.dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let text = String::from_utf8_lossy(&bytes);
    for i in 0..=token.len() - 8 {
        assert!(
            !text.contains(&token[i..i + 8]),
            "a part of the token is stored"
        );
    }
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_then_a_typed_error() {
    let w = world().await;
    let token = Secret::new(w.book("flanks").await.remove(0));
    w.flanks.credential_status(&token).await.unwrap();
    assert_eq!(w.calls_to("POST /v0/token").await, 1);
    // The cached token is reused.
    w.flanks.credential_status(&token).await.unwrap();
    assert_eq!(w.calls_to("POST /v0/token").await, 1);

    let mut r = fault(STATUS, FaultKind::Status, 1);
    r.status = Some(401);
    w.control.add_fault(&r).await.unwrap();
    w.flanks.credential_status(&token).await.unwrap();
    assert_eq!(w.calls_to("POST /v0/token").await, 2, "one refresh");

    let mut r = fault(STATUS, FaultKind::Status, 10);
    r.status = Some(401);
    w.control.add_fault(&r).await.unwrap();
    let err = w.flanks.credential_status(&token).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::Unauthorized);
    assert_eq!(err.actor(), Actor::Advisor);
    assert_eq!(
        w.calls_to("POST /v0/token").await,
        3,
        "refreshed once, not in a loop"
    );

    // Wrong keys: the token endpoint's 403 is the advisor's problem.
    let bad = FlanksClient::new(
        {
            let mut c = flanks_config(&w.sandbox.base_url(), fast_policy());
            c.client_secret = Secret::new("wrong");
            c
        },
        w.calls.clone(),
    )
    .unwrap();
    let err = bad.banks().await.unwrap_err();
    assert_eq!(
        (err.kind, err.http_status),
        (FailureKind::Unauthorized, Some(403))
    );
    assert!(!err.to_string().contains("wrong"));
}

#[tokio::test]
async fn a_429_waits_for_retry_after_and_a_long_one_says_when_to_retry() {
    let w = world().await;
    let token = Secret::new(w.book("flanks").await.remove(0));
    w.flanks.credential_status(&token).await.unwrap();
    let mut r = fault(STATUS, FaultKind::RateLimit, 1);
    r.retry_after_s = Some(1);
    w.control.add_fault(&r).await.unwrap();
    let start = Instant::now();
    w.flanks.credential_status(&token).await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "{:?}",
        start.elapsed()
    );

    let mut r = fault(STATUS, FaultKind::RateLimit, 1);
    r.retry_after_s = Some(600);
    w.control.add_fault(&r).await.unwrap();
    let err = w.flanks.credential_status(&token).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::RateLimited);
    assert_eq!(err.actor(), Actor::Nobody);
    let retry_in = err.retry_at.unwrap() - chrono::Utc::now();
    assert!(retry_in > chrono::Duration::seconds(590), "{retry_in}");
}

#[tokio::test]
async fn server_errors_timeouts_truncated_and_dropped_answers_are_retried() {
    let w = world().await;
    let token = Secret::new(w.book("flanks").await.remove(0));
    w.flanks.credential_status(&token).await.unwrap();
    let account = "/v0/bank/credentials/account";
    let key = "POST /v0/bank/credentials/account";
    let mut five = fault(account, FaultKind::Status, 2);
    five.status = Some(503);
    for (rule, label) in [
        (five, "5xx"),
        (fault(account, FaultKind::Timeout, 1), "timeout"),
        (fault(account, FaultKind::Truncated, 1), "truncated"),
        (fault(account, FaultKind::Malformed, 1), "malformed"),
        (fault(account, FaultKind::Drop, 1), "drop"),
    ] {
        let before = w.calls_to(key).await;
        w.control.add_fault(&rule).await.unwrap();
        let v = w
            .flanks
            .aggregation(&token, AggregationEndpoint::Account, None)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(v.as_array().is_some_and(|a| !a.is_empty()), "{label}");
        let tries = w.calls_to(key).await - before;
        let expected = if label == "5xx" { 3 } else { 2 };
        assert_eq!(tries, expected, "{label}");
    }

    // When every try fails, the error is classified, transient, nobody's to fix.
    let mut always = FaultRule::new(account, FaultKind::Status);
    always.status = Some(500);
    w.control.add_fault(&always).await.unwrap();
    let err = w
        .flanks
        .aggregation(&token, AggregationEndpoint::Account, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, FailureKind::ProviderUnavailable);
    assert_eq!(err.provider_message.as_deref(), Some("Internal Error"));
    w.control.clear_faults().await.unwrap();
    w.control
        .add_fault(&FaultRule::new(account, FaultKind::Timeout))
        .await
        .unwrap();
    let err = w
        .flanks
        .aggregation(&token, AggregationEndpoint::Account, None)
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind, err.actor()),
        (FailureKind::Timeout, Actor::Nobody)
    );
    w.control.clear_faults().await.unwrap();
    w.control
        .add_fault(&FaultRule::new(account, FaultKind::Malformed))
        .await
        .unwrap();
    let err = w
        .flanks
        .aggregation(&token, AggregationEndpoint::Account, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, FailureKind::BadResponse);
}

#[tokio::test]
async fn sca_and_blocked_transitions_and_transient_errors_keep_a_healthy_connection_healthy() {
    let w = world().await;
    let token = w.book("flanks").await.remove(0);
    let id = w.connect(Provider::Flanks, &token);
    let engine = w.engine(fast_sync());
    assert_eq!(
        engine.sync_one(id, &|_| {}).await.status,
        ConnectionStatus::Ready
    );
    let rows = w.count("SELECT count(*) FROM transactions");

    // A provider outage: retry later, nobody acts, data kept.
    let mut r = FaultRule::new("/v0/bank/credentials/", FaultKind::Status);
    r.status = Some(502);
    w.control.add_fault(&r).await.unwrap();
    let o = engine.sync_one(id, &|_| {}).await;
    assert_eq!(o.status, ConnectionStatus::RetryLater);
    let c = connections::get(&w.store, id).unwrap();
    assert_eq!(c.action_by, Actor::Nobody);
    assert!(c.next_retry_at.is_some());
    assert_eq!(w.count("SELECT count(*) FROM transactions"), rows);
    w.control.clear_faults().await.unwrap();

    w.control
        .force(&token, ForcedState::PendingSca)
        .await
        .unwrap();
    let o = engine.sync_one(id, &|_| {}).await;
    assert_eq!(o.status, ConnectionStatus::PendingSca);
    assert_eq!(
        connections::get(&w.store, id).unwrap().action_by,
        Actor::Client
    );
    let status = w
        .flanks
        .credential_status(&Secret::new(&token))
        .await
        .unwrap();
    assert!(status.sca_token.is_some());

    w.control.force(&token, ForcedState::Blocked).await.unwrap();
    assert_eq!(
        engine.sync_one(id, &|_| {}).await.status,
        ConnectionStatus::Blocked
    );

    w.control.force(&token, ForcedState::Ready).await.unwrap();
    assert_eq!(
        engine.sync_one(id, &|_| {}).await.status,
        ConnectionStatus::Ready
    );
    assert_eq!(
        w.count("SELECT count(*) FROM transactions WHERE presence = 'missing'"),
        0
    );
}

#[tokio::test]
async fn link_codes_exchange_delayed_codes_answer_202_and_new_credentials_poll_until_ready() {
    let w = world().await;
    let base = w.sandbox.base_url();
    // A delayed code: 202 until the sandbox releases it.
    let pairs = link_login(&base, "DELAYED", "client=7").await;
    let get = |k: &str| pairs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    assert_eq!(get("delayed").as_deref(), Some("true"));
    let code = Secret::new(get("code").unwrap());
    assert!(matches!(
        w.flanks.exchange_code(&code).await.unwrap(),
        ExchangeOutcome::Delayed
    ));
    w.control.release_codes(Some(code.expose())).await.unwrap();
    let ExchangeOutcome::Exchanged {
        credentials_token,
        extra,
        ..
    } = w.flanks.exchange_code(&code).await.unwrap()
    else {
        panic!("released code still delayed")
    };
    assert_eq!(extra.get("client").map(String::as_str), Some("7"));
    // Single use: a second exchange is refused (classified, not a panic).
    let again = w.flanks.exchange_code(&code).await;
    assert!(again.is_err());

    // The new credential is pending: the engine polls status until ready, then syncs.
    let id = w.connect(Provider::Flanks, credentials_token.expose());
    let steps = std::sync::Mutex::new(Vec::new());
    let o = w
        .engine(fast_sync())
        .sync_one(id, &|s| steps.lock().unwrap().push(s))
        .await;
    assert_eq!(o.status, ConnectionStatus::Ready, "{o:?}");
    let steps = steps.into_inner().unwrap();
    assert!(
        steps.contains(&advisor_desk_core::sync::SyncStep::WaitingForProvider),
        "a new credential is pending first: {steps:?}"
    );

    // An unused code is listed (recovery of a redirect that never arrived).
    let pairs = link_login(&base, "any-password", "client=9").await;
    let code = pairs.iter().find(|(k, _)| k == "code").unwrap().1.clone();
    let unused = w.flanks.unused_codes(None).await.unwrap();
    let found = unused.iter().find(|u| u.code.expose() == code).unwrap();
    assert_eq!(found.extra.get("client").map(String::as_str), Some("9"));
}

#[tokio::test]
async fn force_and_delete_credentials() {
    let w = world().await;
    let token = Secret::new(w.book("flanks").await.remove(1));
    let sca = w
        .flanks
        .force(&token, advisor_desk_providers::flanks::ForceKind::Sca)
        .await
        .unwrap();
    assert!(!sca.is_empty());
    let gw = FlanksGateway::new(w.flanks.clone());
    use advisor_desk_core::sync::ProviderGateway;
    assert_eq!(
        gw.status(&token).await.unwrap().state,
        RemoteState::PendingSca
    );
    w.flanks.delete_credentials(&token).await.unwrap();
    let err = w.flanks.credential_status(&token).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::Removed, "{err}");
}

#[tokio::test]
async fn an_errored_product_is_left_out_and_a_long_rate_limit_sets_the_next_try() {
    let w = world().await;
    // TestBank: created, but the accounts product errored at the bank.
    let pairs = link_login(&w.sandbox.base_url(), "DATA_ERROR_PRODUCT_ACCOUNT", "c=1").await;
    let code = Secret::new(pairs.iter().find(|(k, _)| k == "code").unwrap().1.clone());
    let ExchangeOutcome::Exchanged {
        credentials_token, ..
    } = w.flanks.exchange_code(&code).await.unwrap()
    else {
        panic!("not delayed")
    };
    let id = w.connect(Provider::Flanks, credentials_token.expose());
    let engine = w.engine(fast_sync());
    let o = engine.sync_one(id, &|_| {}).await;
    // The other products still sync; the errored one is simply not part of this snapshot.
    assert_eq!(o.status, ConnectionStatus::Ready, "{o:?}");
    assert_eq!(
        w.count(&format!(
            "SELECT count(*) FROM transactions WHERE connection_id = {id}"
        )),
        0
    );

    // A rate limit longer than we wait: retry later, at the time the provider gave.
    let mut r = FaultRule::new(STATUS, FaultKind::RateLimit);
    r.retry_after_s = Some(900);
    w.control.add_fault(&r).await.unwrap();
    let o = engine.sync_one(id, &|_| {}).await;
    assert_eq!(o.status, ConnectionStatus::RetryLater);
    let c = connections::get(&w.store, id).unwrap();
    assert_eq!(c.action_by, Actor::Nobody);
    let wait = c.next_retry_at.unwrap() - chrono::Utc::now();
    assert!(
        wait > chrono::Duration::seconds(880) && wait <= chrono::Duration::seconds(900),
        "{wait}"
    );
    assert_eq!(c.provider_code.as_deref(), Some("rate_limited"));
}

/// TestBank's looser-answers credential, synced end to end: every account, transaction and
/// holding the bank sent is kept, and each oddity is counted in the sync run.
#[tokio::test]
async fn looser_answers_are_kept_and_their_oddities_counted_in_the_sync_run() {
    let w = world().await;
    let pairs = link_login(&w.sandbox.base_url(), "LOOSE_ANSWERS", "c=2").await;
    let code = Secret::new(pairs.iter().find(|(k, _)| k == "code").unwrap().1.clone());
    let ExchangeOutcome::Exchanged {
        credentials_token, ..
    } = w.flanks.exchange_code(&code).await.unwrap()
    else {
        panic!("not delayed")
    };
    let id = w.connect(Provider::Flanks, credentials_token.expose());
    let o = w.engine(fast_sync()).sync_one(id, &|_| {}).await;
    let SyncResult::Synced { stats } = &o.result else {
        panic!("{o:?}")
    };
    assert_eq!(stats.skipped, 0, "{stats:?}");
    assert!(stats.odd >= 4, "{stats:?}");
    assert_eq!(
        w.count(&format!(
            "SELECT rows_odd FROM sync_runs WHERE connection_id = {id} AND outcome = 'ok'"
        )),
        stats.odd as i64
    );
    let raw = |e| {
        let w = &w;
        let token = credentials_token.clone();
        async move {
            let v = w.flanks.aggregation(&token, e, None).await.unwrap();
            v.as_array().map_or(0, Vec::len) as i64
        }
    };
    let accounts =
        raw(AggregationEndpoint::Account).await + raw(AggregationEndpoint::Portfolio).await;
    let count = |table: &str| {
        w.count(&format!(
            "SELECT count(*) FROM {table} WHERE connection_id = {id}"
        ))
    };
    assert_eq!(count("accounts"), accounts);
    assert_eq!(
        count("transactions"),
        raw(AggregationEndpoint::AccountTransaction).await
    );
}

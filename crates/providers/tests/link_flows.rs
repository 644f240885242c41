//! "Connecting and reauthorizing" end to end below the app: `LinkService` with the real
//! provider clients against the sandbox over loopback HTTP, a real SQLite file, the link
//! pages walked form by form, and the redirect handed to the same handler the app uses.

mod link_support;

use advisor_desk_core::domain::ConnectionStatus;
use advisor_desk_core::links::sessions;
use advisor_desk_core::links::{
    CallbackSource, LinkFlow, LinkOutcome, LinkPurpose, PendingState, ReauthStart,
};
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::sync::connections;
use advisor_desk_sandbox::ForcedState;
use link_support::*;

const WINDOW: CallbackSource = CallbackSource::EmbeddedWindow;
const OS: CallbackSource = CallbackSource::DeepLink;

fn outcome_of(d: &Desk, session_id: i64) -> Option<String> {
    sessions::get(&d.store, session_id).unwrap().outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flanks_legacy_link_connects_once_and_refuses_replays() {
    let d = desk();
    let ana = d.client("Ana");
    let start = d
        .links
        .start_connect(ana, LinkFlow::FlanksLink)
        .await
        .unwrap();
    assert!(start.url.starts_with(&format!("{}/link?token=", d.base)));
    let installation = d.store.installation_id().unwrap();
    assert_eq!(installation.len(), 16);
    assert_eq!(
        query_param(&start.url, "external_id").as_deref(),
        Some(format!("ads-{installation}-{}-c{ana}-Ana", start.session_id).as_str())
    );
    assert_eq!(query_param(&start.url, "rollback").as_deref(), Some("true"));
    let state = query_param(&start.url, "state").unwrap();

    let (s, _, loc) = d
        .web
        .flanks_link(&start.url, "ana", "SCA_SMS", Some("123456"))
        .await;
    assert_eq!(s, 302);
    let loc = loc.unwrap();
    assert!(
        loc.starts_with("advisordesk://link/callback?code="),
        "{loc}"
    );
    let code = query_param(&loc, "code").unwrap();

    // From the OS, a state-less code cannot be tied to a session: refused, nothing happens.
    let o = d
        .links
        .handle_callback(loc.as_bytes(), None, OS)
        .await
        .unwrap();
    assert!(
        matches!(o, LinkOutcome::Refused { ref reason, .. } if reason == "no_open_session"),
        "{o:?}"
    );
    assert!(connections::list(&d.store, None).unwrap().is_empty());

    let o = d
        .links
        .handle_callback(loc.as_bytes(), Some(start.session_id), WINDOW)
        .await
        .unwrap();
    let (conn, status) = connected(&o);
    assert_eq!(status, ConnectionStatus::Ready, "synced at once");
    let c = connections::get(&d.store, conn).unwrap();
    assert_eq!(c.client_id, ana);
    let token = token_of(&d, conn);
    assert!(token.starts_with("sbx-cred-"));
    // Only the token is left in the keychain: the code entry was cleaned up.
    assert_eq!(d.secrets.len(), 1);
    assert_eq!(
        outcome_of(&d, start.session_id).as_deref(),
        Some("connected")
    );

    // Replays: the same URL from the window or with the state from the OS.
    let o = d
        .links
        .handle_callback(loc.as_bytes(), Some(start.session_id), WINDOW)
        .await
        .unwrap();
    assert!(
        matches!(o, LinkOutcome::Refused { ref reason, .. } if reason == "replayed"),
        "{o:?}"
    );
    let forged = format!("advisordesk://link/callback?code={code}&state={state}");
    let o = d
        .links
        .handle_callback(forged.as_bytes(), None, OS)
        .await
        .unwrap();
    assert!(
        matches!(o, LinkOutcome::Refused { ref reason, .. } if reason == "replayed"),
        "{o:?}"
    );
    assert_eq!(connections::list(&d.store, None).unwrap().len(), 1);

    // Neither the code, the token nor the state is anywhere in the SQLite files.
    drop(d.links);
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(d.dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let text = String::from_utf8_lossy(&bytes);
    for secret in [&code, &token, &state] {
        assert!(!text.contains(secret.as_str()), "a secret reached SQLite");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_v2_and_flinks_connect_and_a_flinks_duplicate() {
    let d = desk();
    let bea = d.client("Bea");
    let start = d
        .links
        .start_connect(bea, LinkFlow::FlanksConnectV2)
        .await
        .unwrap();
    assert!(start.url.contains("/connect/session/"), "{}", start.url);
    let (s, body, loc) = d.web.connect_v2(&start.url, "bea", "SCA_APP").await;
    assert_eq!(s, 302, "{body}");
    let loc = loc.unwrap();
    assert!(
        loc.starts_with("advisordesk://link/callback?state="),
        "{loc}"
    );
    // Connect v2 redirects carry the state: the OS deep link path works.
    let o = d
        .links
        .handle_callback(loc.as_bytes(), None, OS)
        .await
        .unwrap();
    let (v2, _) = connected(&o);
    assert_eq!(
        connections::get(&d.store, v2).unwrap().flow,
        "flanks_connect_v2"
    );

    let start = d
        .links
        .start_connect(bea, LinkFlow::FlinksConnect)
        .await
        .unwrap();
    assert!(
        start.url.contains("redirectUrl=advisordesk"),
        "{}",
        start.url
    );
    let redirect = d.web.flinks_connect(&start.url, "Greatday").await;
    assert!(redirect.contains("loginId="), "{redirect}");
    let o = d
        .links
        .handle_callback(redirect.as_bytes(), Some(start.session_id), WINDOW)
        .await
        .unwrap();
    let (fl, status) = connected(&o);
    assert_eq!(status, ConnectionStatus::Ready);
    let c = connections::get(&d.store, fl).unwrap();
    assert_eq!(c.institution_id.as_deref(), Some("FlinksCapital"));

    // The same Flinks login for another client: the same loginId, so a duplicate that
    // names the client it already belongs to; nothing is added.
    let cai = d.client("Cai");
    let start = d
        .links
        .start_connect(cai, LinkFlow::FlinksConnect)
        .await
        .unwrap();
    let redirect = d.web.flinks_connect(&start.url, "Greatday").await;
    let o = d
        .links
        .handle_callback(redirect.as_bytes(), Some(start.session_id), WINDOW)
        .await
        .unwrap();
    match o {
        LinkOutcome::Duplicate { candidates, .. } => {
            assert_eq!(candidates.len(), 1);
            assert_eq!(candidates[0].mapped_to_client_id, Some(bea));
            assert_eq!(candidates[0].mapped_to_client_name.as_deref(), Some("Bea"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(connections::list(&d.store, None).unwrap().len(), 2);
    // The existing connection's token is untouched.
    assert!(d
        .secrets
        .get(
            &connections::get(&d.store, fl)
                .unwrap()
                .secret_key()
                .unwrap()
        )
        .unwrap()
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sca_and_reset_reauthorizations_keep_the_same_token_and_history() {
    let d = desk();
    let ana = d.client("Ana");
    let conn = connect_flanks(&d, ana, "ana").await;
    let token = token_of(&d, conn);
    let history = |d: &Desk| -> i64 {
        d.store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM transactions t JOIN accounts a ON a.id = t.account_id
                     WHERE a.connection_id = ?1",
                    [conn],
                    |r| r.get(0),
                )?)
            })
            .unwrap()
    };
    let before = history(&d);
    assert!(before > 0);

    match d.links.start_reauthorize(conn).await.unwrap() {
        ReauthStart::AlreadyHealthy { status, .. } => assert_eq!(status, ConnectionStatus::Ready),
        other => panic!("{other:?}"),
    }

    // Pending SCA → an SCA-only link (sca_token + bank).
    d.control
        .force(&token, ForcedState::PendingSca)
        .await
        .unwrap();
    let link = match d.links.start_reauthorize(conn).await.unwrap() {
        ReauthStart::Started { link } => link,
        other => panic!("{other:?}"),
    };
    assert_eq!(link.purpose, LinkPurpose::Sca);
    assert!(query_param(&link.url, "sca_token").is_some());
    assert_eq!(query_param(&link.url, "bank").as_deref(), Some("testbank"));
    let (s, _, loc) = d.web.flanks_sca_link(&link.url, "999111").await;
    assert_eq!(s, 302);
    let o = d
        .links
        .handle_callback(loc.unwrap().as_bytes(), Some(link.session_id), WINDOW)
        .await
        .unwrap();
    match o {
        LinkOutcome::Reauthorized {
            connection_id,
            status,
            ..
        } => {
            assert_eq!(connection_id, conn);
            assert_eq!(status, ConnectionStatus::Ready, "re-synced at once");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(token_of(&d, conn), token);
    assert!(history(&d) >= before);

    // Blocked → a reset link (user and password again), same token.
    d.control.force(&token, ForcedState::Blocked).await.unwrap();
    let link = match d.links.start_reauthorize(conn).await.unwrap() {
        ReauthStart::Started { link } => link,
        other => panic!("{other:?}"),
    };
    assert_eq!(link.purpose, LinkPurpose::Reset);
    assert!(query_param(&link.url, "reset_token").is_some());
    let (s, body, loc) = d.web.flanks_link(&link.url, "ana", "new-pass", None).await;
    assert_eq!(s, 302, "{body}");
    let o = d
        .links
        .handle_callback(loc.unwrap().as_bytes(), Some(link.session_id), WINDOW)
        .await
        .unwrap();
    assert!(
        matches!(
            o,
            LinkOutcome::Reauthorized {
                status: ConnectionStatus::Ready,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(token_of(&d, conn), token);
    assert_eq!(connections::list(&d.store, None).unwrap().len(), 1);
    assert!(history(&d) >= before);
    assert_eq!(d.secrets.len(), 1, "no code entries left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flinks_mfa_reauthorization_opens_connect_with_the_request_id() {
    let d = desk();
    let dan = d.client("Dan");
    let start = d
        .links
        .start_connect(dan, LinkFlow::FlinksConnect)
        .await
        .unwrap();
    let redirect = d.web.flinks_connect(&start.url, "Greatday").await;
    let (conn, _) = connected(
        &d.links
            .handle_callback(redirect.as_bytes(), Some(start.session_id), WINDOW)
            .await
            .unwrap(),
    );
    let token = token_of(&d, conn);
    // A live Authorize for an MFA login answers 203.
    let link = match d.links.start_reauthorize(conn).await.unwrap() {
        ReauthStart::Started { link } => link,
        other => panic!("{other:?}"),
    };
    assert_eq!(link.purpose, LinkPurpose::Mfa);
    assert!(
        query_param(&link.url, "requestId").is_some(),
        "{}",
        link.url
    );
    let redirect = d.web.flinks_connect(&link.url, "Greatday").await;
    let o = d
        .links
        .handle_callback(redirect.as_bytes(), Some(link.session_id), WINDOW)
        .await
        .unwrap();
    assert!(
        matches!(o, LinkOutcome::Reauthorized { connection_id, .. } if connection_id == conn),
        "{o:?}"
    );
    assert_eq!(token_of(&d, conn), token);
}

/// "Update now" on a working Flinks connection is a live refresh with the client present:
/// without MFA it refreshes at once and the data moves; past the reconnect window Connect
/// opens at the credential step for the institution and the same login brings it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flinks_update_now_refreshes_live_or_falls_back_to_the_credential_step() {
    let d = desk();
    let eve = d.client("Eve");
    let start = d
        .links
        .start_connect(eve, LinkFlow::FlinksConnect)
        .await
        .unwrap();
    let redirect = d.web.flinks_connect(&start.url, "greatday_nomfa").await;
    let (conn, _) = connected(
        &d.links
            .handle_callback(redirect.as_bytes(), Some(start.session_id), WINDOW)
            .await
            .unwrap(),
    );
    let as_of = |d: &Desk| connections::get(&d.store, conn).unwrap().data_as_of;
    let before = as_of(&d);
    d.control.advance_clock(3 * 86_400).await.unwrap();
    // No MFA at this bank: refreshed live, then synced; the data is newer.
    match d.links.start_reauthorize(conn).await.unwrap() {
        ReauthStart::AlreadyHealthy { .. } => {}
        other => panic!("{other:?}"),
    }
    let after = as_of(&d);
    assert!(after > before, "{before:?} → {after:?}");

    // Four weeks and more without a live connection: the credential step.
    d.control.advance_clock(30 * 86_400).await.unwrap();
    let link = match d.links.start_reauthorize(conn).await.unwrap() {
        ReauthStart::Started { link } => link,
        other => panic!("{other:?}"),
    };
    assert_eq!(link.purpose, LinkPurpose::Reset);
    assert!(
        link.url.contains("/Credential/FlinksCapital?"),
        "{}",
        link.url
    );
    let redirect = d.web.flinks_connect(&link.url, "greatday_nomfa").await;
    let o = d
        .links
        .handle_callback(redirect.as_bytes(), Some(link.session_id), WINDOW)
        .await
        .unwrap();
    assert!(
        matches!(o, LinkOutcome::Reauthorized { connection_id, .. } if connection_id == conn),
        "{o:?}"
    );
    assert!(
        as_of(&d) > after,
        "the new login's live connection moved the data"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_codes_wait_in_the_session_and_connect_or_expire_after_72_hours() {
    let d = desk();
    let eva = d.client("Eva");
    let start = d
        .links
        .start_connect(eva, LinkFlow::FlanksLink)
        .await
        .unwrap();
    let (s, _, loc) = d.web.flanks_link(&start.url, "eva", "DELAYED", None).await;
    assert_eq!(s, 302);
    let loc = loc.unwrap();
    assert_eq!(query_param(&loc, "delayed").as_deref(), Some("true"));
    let o = d
        .links
        .handle_callback(loc.as_bytes(), Some(start.session_id), WINDOW)
        .await
        .unwrap();
    let next = match o {
        LinkOutcome::Waiting { next_check_at, .. } => next_check_at,
        other => panic!("{other:?}"),
    };
    let s = sessions::get(&d.store, start.session_id).unwrap();
    assert!(s.is_open());
    assert_eq!(s.exchange_step.as_deref(), Some("code_saved"));
    assert_eq!(s.next_check_at.as_deref(), Some(next.as_str()));
    let pending = d.links.pending_links().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].state, PendingState::WaitingForProviderChecks);
    // Not due yet: nothing happens, nothing is called.
    let now = advisor_desk_core::time::now();
    assert!(d.links.poll_at(now).await.unwrap().is_empty());
    // Due but still in checks: rescheduled with backoff, still open.
    let later = now + chrono::Duration::minutes(10);
    assert!(d.links.poll_at(later).await.unwrap().is_empty());
    let s2 = sessions::get(&d.store, start.session_id).unwrap();
    assert_eq!(s2.check_attempts, 2);
    assert!(s2.is_open());
    // The provider releases the code: the next due check connects.
    d.control.release_codes(None).await.unwrap();
    let changes = d
        .links
        .poll_at(now + chrono::Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    let (conn, _) = connected(&changes[0]);
    assert_eq!(connections::get(&d.store, conn).unwrap().client_id, eva);

    // Another delayed code that never clears: after 72 h the session ends `expired`.
    let start = d
        .links
        .start_connect(eva, LinkFlow::FlanksLink)
        .await
        .unwrap();
    let (_, _, loc) = d.web.flanks_link(&start.url, "eva2", "DELAYED", None).await;
    d.links
        .handle_callback(loc.unwrap().as_bytes(), Some(start.session_id), WINDOW)
        .await
        .unwrap();
    let changes = d
        .links
        .poll_at(now + chrono::Duration::hours(73))
        .await
        .unwrap();
    assert!(
        matches!(changes.as_slice(), [LinkOutcome::Expired { session_id, .. }] if *session_id == start.session_id),
        "{changes:?}"
    );
    assert_eq!(d.secrets.len(), 1, "the expired code entry is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_completion_of_sent_links_is_found_by_polling() {
    let d = desk();
    let fia = d.client("Fia");
    // Legacy Link sent by e-mail: the client finishes elsewhere; the redirect never comes.
    let sent = d.links.send_link(fia, LinkFlow::FlanksLink).await.unwrap();
    let (s, _, _) = d
        .web
        .flanks_link(&sent.url, "fia", "SCA_SMS", Some("1"))
        .await;
    assert_eq!(s, 302);
    // Connect v2 sent the same way.
    let sent_v2 = d
        .links
        .send_link(fia, LinkFlow::FlanksConnectV2)
        .await
        .unwrap();
    let (s, _, _) = d.web.connect_v2(&sent_v2.url, "fia2", "SCA_SMS").await;
    assert_eq!(s, 302);
    let changes = d.links.poll_open_sessions().await.unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    let conns = connections::list(&d.store, Some(fia)).unwrap();
    assert_eq!(conns.len(), 2);
    assert_eq!(
        outcome_of(&d, sent.session_id).as_deref(),
        Some("connected")
    );
    assert_eq!(
        outcome_of(&d, sent_v2.session_id).as_deref(),
        Some("connected")
    );
    // Nothing left to find.
    assert!(d.links.poll_open_sessions().await.unwrap().is_empty());

    // A reauthorization the client finished elsewhere.
    let conn = conns[0].id;
    let token = token_of(&d, conn);
    d.control
        .force(&token, ForcedState::PendingSca)
        .await
        .unwrap();
    let link = match d.links.start_reauthorize(conn).await.unwrap() {
        ReauthStart::Started { link } => link,
        other => panic!("{other:?}"),
    };
    let (s, _, _) = d.web.flanks_sca_link(&link.url, "77").await;
    assert_eq!(s, 302);
    let changes = d.links.poll_open_sessions().await.unwrap();
    assert!(
        matches!(changes.as_slice(), [LinkOutcome::Reauthorized { connection_id, .. }] if *connection_id == conn),
        "{changes:?}"
    );
    assert_eq!(token_of(&d, conn), token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_end_the_session_with_the_providers_wording_and_a_next_step() {
    let d = desk();
    let gus = d.client("Gus");

    // A `rollback` error redirect (it carries the state as an extra parameter).
    let start = d
        .links
        .start_connect(gus, LinkFlow::FlanksLink)
        .await
        .unwrap();
    let (s, _, loc) = d
        .web
        .flanks_link(&start.url, "gus", "INVALID_CREDENTIALS", None)
        .await;
    assert_eq!(s, 302);
    let loc = loc.unwrap();
    assert!(
        loc.contains("error=INVALID_CREDENTIALS") && loc.contains("state="),
        "{loc}"
    );
    let o = d
        .links
        .handle_callback(loc.as_bytes(), None, OS)
        .await
        .unwrap();
    match &o {
        LinkOutcome::ProviderError { code, wording, .. } => {
            assert_eq!(code, "INVALID_CREDENTIALS");
            assert!(wording.message.contains("rejected"));
            assert!(!wording.next_step.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        outcome_of(&d, start.session_id).as_deref(),
        Some("INVALID_CREDENTIALS")
    );

    // The client cancels on the provider page.
    let start = d
        .links
        .start_connect(gus, LinkFlow::FlanksLink)
        .await
        .unwrap();
    let (_, body, _) = d.web.get(&format!("{}&bank=testbank", start.url)).await;
    let (s, _, loc) = d
        .web
        .post("/link/abort", &[("q", &hidden(&body, "q"))])
        .await;
    assert_eq!(s, 302);
    let o = d
        .links
        .handle_callback(loc.unwrap().as_bytes(), Some(start.session_id), WINDOW)
        .await
        .unwrap();
    assert!(
        matches!(o, LinkOutcome::ProviderError { ref code, .. } if code == "ABORTED_BY_USER"),
        "{o:?}"
    );

    // The advisor closes the window; a late redirect for it is refused.
    let start = d
        .links
        .start_connect(gus, LinkFlow::FlanksLink)
        .await
        .unwrap();
    let (_, _, loc) = d
        .web
        .flanks_link(&start.url, "late", "SCA_SMS", Some("1"))
        .await;
    let o = d.links.window_closed(start.session_id).unwrap();
    assert!(matches!(o, Some(LinkOutcome::Closed { .. })));
    let o = d
        .links
        .handle_callback(loc.unwrap().as_bytes(), Some(start.session_id), WINDOW)
        .await
        .unwrap();
    assert!(matches!(o, LinkOutcome::Refused { .. }), "{o:?}");
    assert!(connections::list(&d.store, None).unwrap().is_empty());

    // A Flinks widget error event seen by the window.
    let start = d
        .links
        .start_connect(gus, LinkFlow::FlinksConnect)
        .await
        .unwrap();
    let o = d
        .links
        .report_provider_event(start.session_id, "DISABLED_LOGIN")
        .await
        .unwrap();
    assert!(
        matches!(o, Some(LinkOutcome::ProviderError { ref code, ref wording, .. }) if code == "DISABLED_LOGIN" && wording.message.contains("disabled")),
        "{o:?}"
    );
    assert!(d
        .links
        .report_provider_event(start.session_id, "bad code!")
        .await
        .is_err());

    // Connect v2 ending in Finished:Error.
    let start = d
        .links
        .start_connect(gus, LinkFlow::FlanksConnectV2)
        .await
        .unwrap();
    let (s, _, loc) = d
        .web
        .connect_v2(&start.url, "gus", "INVALID_CREDENTIALS")
        .await;
    assert_eq!(s, 302);
    let o = d
        .links
        .handle_callback(loc.unwrap().as_bytes(), None, OS)
        .await
        .unwrap();
    assert!(
        matches!(o, LinkOutcome::ProviderError { ref code, .. } if code == "InvalidCredentials"),
        "{o:?}"
    );
}

/// Hashes of the provider's credentials that no connection here holds.
async fn unmapped_hashes(d: &Desk) -> Vec<String> {
    let mut out = Vec::new();
    for c in d.flanks.list_credentials(1).await.unwrap().items {
        let h = advisor_desk_core::sync::connections::token_hash(&c.credentials_token);
        if connections::by_token_hash(&d.store, &h).unwrap().is_none() {
            out.push(h);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_credential_is_offered_to_be_mapped_not_failed() {
    let d = desk();
    let hal = d.client("Hal");
    let ivy = d.client("Ivy");
    connect_flanks(&d, hal, "shared-login").await;

    // Ivy connects the same bank login: CREDENTIALS_ALREADY_EXIST. It belongs to Hal, so it
    // is not among what can be mapped (only unmapped credentials at that bank are).
    let hal_hash = connections::stored_token_hash(
        &d.store,
        connections::list(&d.store, Some(hal)).unwrap()[0].id,
    )
    .unwrap();
    let start = d
        .links
        .start_connect_at_bank(ivy, LinkFlow::FlanksLink, "testbank")
        .await
        .unwrap();
    let (_, _, loc) = d
        .web
        .flanks_link(&start.url, "shared-login", "x", None)
        .await;
    let o = d
        .links
        .handle_callback(loc.unwrap().as_bytes(), Some(start.session_id), WINDOW)
        .await
        .unwrap();
    match &o {
        LinkOutcome::Duplicate {
            candidates,
            wording,
            ..
        } => {
            assert!(candidates.iter().all(|c| c.credential_ref != hal_hash));
            assert!(candidates
                .iter()
                .all(|c| c.bank.as_deref() == Some("testbank")));
            assert!(wording.next_step.contains("Map"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        outcome_of(&d, start.session_id).as_deref(),
        Some("CREDENTIALS_ALREADY_EXIST")
    );
    assert!(connections::list(&d.store, Some(ivy)).unwrap().is_empty());

    // A login connected outside Advisor Desk (no client reference): a duplicate at that
    // bank offers it among the bank's unmapped credentials, and mapping it gives Ivy the
    // connection.
    let unmapped_before = unmapped_hashes(&d).await;
    let (s, _, _) = d
        .web
        .flanks_link(
            &format!(
                "/link?token={}&bank=testbank",
                advisor_desk_sandbox::DEFAULT_LINK_TOKEN
            ),
            "outside",
            "SCA_SMS",
            Some("1"),
        )
        .await;
    assert_eq!(s, 302);
    let outside: Vec<String> = unmapped_hashes(&d)
        .await
        .into_iter()
        .filter(|h| !unmapped_before.contains(h))
        .collect();
    assert_eq!(outside.len(), 1);
    let start = d
        .links
        .start_connect_at_bank(ivy, LinkFlow::FlanksLink, "testbank")
        .await
        .unwrap();
    assert_eq!(query_param(&start.url, "bank").as_deref(), Some("testbank"));
    let (_, _, loc) = d.web.flanks_link(&start.url, "outside", "x", None).await;
    let o = d
        .links
        .handle_callback(loc.unwrap().as_bytes(), Some(start.session_id), WINDOW)
        .await
        .unwrap();
    let candidate = match o {
        LinkOutcome::Duplicate { candidates, .. } => {
            assert!(
                candidates
                    .iter()
                    .all(|c| c.bank.as_deref() == Some("testbank")
                        && c.mapped_to_client_id.is_none()),
                "{candidates:?}"
            );
            let found = candidates.iter().find(|c| c.credential_ref == outside[0]);
            found
                .expect("the outside login is offered")
                .credential_ref
                .clone()
        }
        other => panic!("{other:?}"),
    };
    let o = d
        .links
        .map_existing_credential(start.session_id, &candidate)
        .await
        .unwrap();
    let (conn, _) = connected(&o);
    assert_eq!(connections::get(&d.store, conn).unwrap().client_id, ivy);
    // Not twice.
    assert!(d
        .links
        .map_existing_credential(start.session_id, &candidate)
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removal_deletes_at_the_provider_then_the_keychain_then_the_row() {
    let d = desk();
    let jo = d.client("Jo");
    let a = connect_flanks(&d, jo, "jo-a").await;
    let b = connect_flanks(&d, jo, "jo-b").await;
    let c = connect_flanks(&d, jo, "jo-c").await;
    let token_a = token_of(&d, a);

    // A provider outage leaves everything in place, with a typed error.
    d.control
        .add_fault(&advisor_desk_sandbox::FaultRule {
            status: Some(503),
            ..advisor_desk_sandbox::FaultRule::new(
                "/v0/bank/credentials",
                advisor_desk_sandbox::FaultKind::Status,
            )
        })
        .await
        .unwrap();
    let e = d.links.remove_connection(a).await.unwrap_err();
    assert!(e.code().starts_with("provider_"), "{e}");
    assert!(connections::get(&d.store, a).is_ok());
    assert_eq!(token_of(&d, a), token_a);
    d.control.clear_faults().await.unwrap();

    let r = d.links.remove_connection(a).await.unwrap();
    assert!(r.deleted_at_provider);
    assert!(connections::get(&d.store, a).is_err());
    let remote: Vec<String> = d
        .flanks
        .list_credentials(1)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.credentials_token.expose().to_string())
        .collect();
    assert!(!remote.contains(&token_a));
    assert_eq!(d.secrets.len(), 2);

    // Already deleted at the provider: still removed locally.
    let token_b = advisor_desk_core::secrets::Secret::new(token_of(&d, b));
    d.flanks.delete_credentials(&token_b).await.unwrap();
    let r = d.links.remove_connection(b).await.unwrap();
    assert!(!r.deleted_at_provider);
    assert!(connections::get(&d.store, b).is_err());
    assert_eq!(d.secrets.len(), 1);
    let actions: Vec<String> = d
        .store
        .audit_log(50)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "connection.removed")
        .map(|e| e.detail)
        .collect();
    assert_eq!(actions.len(), 2, "{actions:?}");
    // Removed connections are not re-attached by reconciliation.
    let report = d.links.resume_and_reconcile().await.unwrap();
    assert!(report.recovered_connections.is_empty(), "{report:?}");
    assert_eq!(connections::list(&d.store, None).unwrap().len(), 1);
    assert!(connections::get(&d.store, c).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_code_is_recovered_from_the_credentials_list_for_its_session_only() {
    let d = desk();
    let kim = d.client("Kim");
    let start = d
        .links
        .start_connect(kim, LinkFlow::FlanksLink)
        .await
        .unwrap();
    let (_, _, loc) = d
        .web
        .flanks_link(&start.url, "kim", "SCA_SMS", Some("1"))
        .await;
    let loc = loc.unwrap();
    // The code is spent before we could store the token (what a crash right after the
    // exchange leaves): the callback's own exchange gets "Invalid code".
    let code = advisor_desk_core::secrets::Secret::new(query_param(&loc, "code").unwrap());
    let token = match d.flanks.exchange_code(&code).await.unwrap() {
        advisor_desk_providers::flanks::ExchangeOutcome::Exchanged {
            credentials_token, ..
        } => credentials_token,
        _ => panic!("not exchanged"),
    };
    let o = d
        .links
        .handle_callback(loc.as_bytes(), Some(start.session_id), WINDOW)
        .await
        .unwrap();
    let (conn, _) = connected(&o);
    assert_eq!(connections::get(&d.store, conn).unwrap().client_id, kim);
    assert_eq!(token_of(&d, conn), token.expose());
    assert_eq!(
        sessions::get(&d.store, start.session_id)
            .unwrap()
            .outcome_detail
            .as_deref(),
        Some("recovered from the provider")
    );
    // Never twice.
    let report = d.links.resume_and_reconcile().await.unwrap();
    assert!(report.recovered_connections.is_empty(), "{report:?}");
    assert_eq!(connections::list(&d.store, None).unwrap().len(), 1);

    // Reusing the finished session's reference (the link was forwarded, or forged) attaches
    // nothing, and neither does another installation's reference or a bare client id.
    let reference = query_param(&start.url, "external_id").unwrap();
    for (i, external_id) in [
        reference.clone(),
        format!("ads-ffffffffffffffff-{}", start.session_id),
        format!("{kim}"),
    ]
    .iter()
    .enumerate()
    {
        let (s, _, _) = d
            .web
            .flanks_link(
                &format!(
                    "/link?token={}&bank=testbank&external_id={external_id}",
                    advisor_desk_sandbox::DEFAULT_LINK_TOKEN
                ),
                &format!("intruder-{i}"),
                "SCA_SMS",
                Some("1"),
            )
            .await;
        assert_eq!(s, 302);
    }
    let report = d.links.resume_and_reconcile().await.unwrap();
    assert!(report.recovered_connections.is_empty(), "{report:?}");
    assert_eq!(connections::list(&d.store, None).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_and_the_poller_connect_exactly_once() {
    let d = desk();
    let lea = d.client("Lea");
    // The app may build a service per command: the poller runs on another one.
    let poller = service(&d.base, d.store.clone(), d.secrets.clone());
    for round in 0..3 {
        let start = d
            .links
            .start_connect(lea, LinkFlow::FlanksLink)
            .await
            .unwrap();
        let (_, _, loc) = d
            .web
            .flanks_link(&start.url, &format!("lea-{round}"), "SCA_SMS", Some("1"))
            .await;
        let loc = loc.unwrap();
        // The window and a second delivery of the same redirect race the poller, which
        // finds the same code among the unused ones.
        let (a, b, p) = tokio::join!(
            d.links
                .handle_callback(loc.as_bytes(), Some(start.session_id), WINDOW),
            d.links
                .handle_callback(loc.as_bytes(), Some(start.session_id), WINDOW),
            poller.poll_open_sessions(),
        );
        let mut connected_count = p
            .unwrap()
            .iter()
            .filter(|o| matches!(o, LinkOutcome::Connected { .. }))
            .count();
        for o in [a.unwrap(), b.unwrap()] {
            match o {
                LinkOutcome::Connected { .. } => connected_count += 1,
                LinkOutcome::Refused { reason, .. } => assert_eq!(reason, "replayed"),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(connected_count, 1, "round {round}");
        assert_eq!(
            connections::list(&d.store, Some(lea)).unwrap().len(),
            round + 1,
            "round {round}"
        );
    }
    assert_eq!(d.secrets.len(), 3, "three tokens, no code entries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_the_provider_failed_is_retried_by_the_poller() {
    let d = desk();
    let max = d.client("Max");
    let start = d
        .links
        .start_connect(max, LinkFlow::FlanksLink)
        .await
        .unwrap();
    let (_, _, loc) = d
        .web
        .flanks_link(&start.url, "max", "SCA_SMS", Some("1"))
        .await;
    d.control
        .add_fault(&advisor_desk_sandbox::FaultRule {
            status: Some(503),
            ..advisor_desk_sandbox::FaultRule::new(
                "/v0/platform/link",
                advisor_desk_sandbox::FaultKind::Status,
            )
        })
        .await
        .unwrap();
    let e = d
        .links
        .handle_callback(loc.unwrap().as_bytes(), Some(start.session_id), WINDOW)
        .await
        .unwrap_err();
    assert!(e.code().starts_with("provider_"), "{e}");
    let s = sessions::get(&d.store, start.session_id).unwrap();
    assert_eq!(s.exchange_step.as_deref(), Some("code_saved"));
    assert!(s.next_check_at.is_some());
    // Still down at the next due check: nothing changes, nothing is lost.
    let now = advisor_desk_core::time::now();
    assert!(d
        .links
        .poll_at(now + chrono::Duration::minutes(6))
        .await
        .unwrap()
        .is_empty());
    d.control.clear_faults().await.unwrap();
    let changes = d
        .links
        .poll_at(now + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert!(
        matches!(changes.as_slice(), [LinkOutcome::Connected { client_id, .. }] if *client_id == max),
        "{changes:?}"
    );
    assert_eq!(d.secrets.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_callbacks_leave_nothing_behind_but_an_audit_entry() {
    let d = desk();
    let ned = d.client("Ned");
    let start = d
        .links
        .start_connect(ned, LinkFlow::FlinksConnect)
        .await
        .unwrap();
    let state = query_param(&query_param(&start.url, "redirectUrl").unwrap(), "state").unwrap();
    let other = "ab".repeat(32);
    let long = format!("advisordesk://link/callback?loginId={}", "a".repeat(5000));
    for (url, window, reason) in [
        // Unknown state.
        (
            format!("advisordesk://link/callback?state={other}&loginId=x-1"),
            None,
            "unknown_state",
        ),
        // The right state but another window's session.
        (
            format!("advisordesk://link/callback?state={state}&loginId=x-2"),
            Some(start.session_id + 1),
            "unknown_state",
        ),
        // A Flanks code for a Flinks session.
        (
            format!("advisordesk://link/callback?state={state}&code=c-1"),
            None,
            "malformed",
        ),
        (long, None, "too_long"),
        (
            "advisordesk://settings/delete?loginId=x".to_string(),
            None,
            "wrong_target",
        ),
    ] {
        let o = d
            .links
            .handle_callback(url.as_bytes(), window, OS)
            .await
            .unwrap();
        assert!(
            matches!(o, LinkOutcome::Refused { reason: ref r, .. } if r == reason),
            "{url:.80}: {o:?}"
        );
    }
    // Expired: the loginId is written ahead of the claim, and removed again with the
    // refusal.
    let short = service(&d.base, d.store.clone(), d.secrets.clone()).with_options(
        advisor_desk_core::links::LinkOptions {
            window_ttl: chrono::Duration::seconds(1),
            ..Default::default()
        },
    );
    let brief = short
        .start_connect(ned, LinkFlow::FlinksConnect)
        .await
        .unwrap();
    let brief_state =
        query_param(&query_param(&brief.url, "redirectUrl").unwrap(), "state").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let o = short
        .handle_callback(
            format!("advisordesk://link/callback?state={brief_state}&loginId=x-3").as_bytes(),
            None,
            OS,
        )
        .await
        .unwrap();
    assert!(
        matches!(o, LinkOutcome::Refused { ref reason, .. } if reason == "expired"),
        "{o:?}"
    );
    assert!(d.secrets.is_empty(), "nothing reached the keychain");
    assert!(connections::list(&d.store, None).unwrap().is_empty());
    let s = sessions::get(&d.store, start.session_id).unwrap();
    assert!(s.is_open() && s.exchange_step.is_none(), "{s:?}");
    let refused = d
        .store
        .audit_log(50)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "link.callback.refused")
        .count();
    assert_eq!(refused, 6);
    // The session still works for its real result.
    let redirect = d.web.flinks_connect(&start.url, "Greatday").await;
    let o = d
        .links
        .handle_callback(redirect.as_bytes(), Some(start.session_id), WINDOW)
        .await
        .unwrap();
    connected(&o);
}

//! Links sent to clients who are not in the room, and "Renew now", below the app:
//! `LinkService` with the real provider clients against the sandbox over loopback HTTP and a
//! real SQLite file. The client completes the links "elsewhere" (the link pages walked form by
//! form, the redirect never delivered); the poller finds the result.

mod link_support;

use advisor_desk_core::clients::{self, Language};
use advisor_desk_core::domain::ConnectionStatus;
use advisor_desk_core::links::{CallbackSource, LinkOutcome, LinkPurpose, ReauthStart, SentLinks};
use advisor_desk_core::reads::{health_queue, Outlook};
use advisor_desk_core::sync::connections;
use advisor_desk_core::time;
use advisor_desk_sandbox::ForcedState;
use chrono::Duration;
use link_support::*;

fn no_secret_in(d: &Desk, sent: &SentLinks, connection_ids: &[i64]) {
    let all = serde_json::to_string(sent).unwrap();
    for id in connection_ids {
        let token = token_of(d, *id);
        assert!(!all.contains(&token), "a credentials_token in a message");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_send_makes_one_message_per_client_and_the_poller_finds_each_completion() {
    let d = desk();
    let ana = d.client("Ana Ruiz");
    clients::set_contact(
        &d.store,
        ana,
        &Some("ana@example.com".into()),
        Language::Es,
        "test",
    )
    .unwrap();
    let luc = d.client("Luc Tremblay");
    clients::set_contact(&d.store, luc, &None, Language::Fr, "test").unwrap();
    let eva = d.client("Eva");
    let ana_one = connect_flanks(&d, ana, "ana1").await;
    let ana_two = connect_flanks(&d, ana, "ana2").await;
    let luc_one = connect_flanks(&d, luc, "luc").await;
    let eva_one = connect_flanks(&d, eva, "eva").await;
    for id in [ana_one, ana_two] {
        d.control
            .force(&token_of(&d, id), ForcedState::PendingSca)
            .await
            .unwrap();
    }
    d.control
        .force(&token_of(&d, luc_one), ForcedState::Blocked)
        .await
        .unwrap();

    let before = time::now();
    let sent = d
        .links
        .send_reauthorization_links(&[luc_one, ana_two, ana_one, eva_one, ana_one])
        .await
        .unwrap();
    no_secret_in(&d, &sent, &[ana_one, ana_two, luc_one, eva_one]);
    assert_eq!(sent.messages.len(), 2, "one per client: {sent:?}");
    let to_ana = &sent.messages[0];
    assert_eq!(to_ana.client_id, ana);
    assert_eq!(to_ana.subject, "Vuelva a conectar sus bancos");
    assert_eq!(to_ana.links.len(), 2);
    assert!(to_ana
        .links
        .iter()
        .all(|l| l.purpose == LinkPurpose::Sca && l.url.contains("sca_token=")));
    for l in &to_ana.links {
        assert!(to_ana.body.contains(&l.url));
        // The "Send link" lifetime: 24 hours, not the window's 30 minutes.
        let left = l.expires_at - before;
        assert!(
            left > Duration::hours(23) && left <= Duration::hours(24) + Duration::seconds(1),
            "{left}"
        );
    }
    assert!(to_ana
        .mailto
        .as_deref()
        .unwrap()
        .starts_with("mailto:ana@example.com?subject=Vuelva%20a%20conectar"));
    let to_luc = &sent.messages[1];
    assert_eq!(
        to_luc.subject,
        "Veuillez reconnecter votre banque: testbank"
    );
    assert_eq!(to_luc.links[0].purpose, LinkPurpose::Reset);
    assert!(to_luc.body.contains("reconnectez-vous avec l'identifiant"));
    assert_eq!(to_luc.mailto, None);
    assert_eq!(sent.not_sent.len(), 1);
    assert_eq!(sent.not_sent[0].connection_id, eva_one);
    assert_eq!(sent.not_sent[0].code, "already_healthy");

    // Ana answers her first bank's SCA on her phone; the redirect never reaches the app.
    let (s, _, _) = d.web.flanks_sca_link(&to_ana.links[0].url, "4321").await;
    assert_eq!(s, 302);
    let changes = d.links.poll_open_sessions().await.unwrap();
    assert!(
        matches!(changes.as_slice(), [LinkOutcome::Reauthorized { connection_id, status: ConnectionStatus::Ready, .. }] if *connection_id == to_ana.links[0].connection_id),
        "{changes:?}"
    );
    let renewed = connections::get(&d.store, to_ana.links[0].connection_id).unwrap();
    assert!(renewed.consent_renewed_at.is_some_and(|t| t >= before));

    // Nobody opens the others: a day later they expire and can be sent again.
    let later = time::now() + Duration::hours(25);
    let expired = d.links.poll_at(later).await.unwrap();
    assert_eq!(expired.len(), 2, "{expired:?}");
    assert!(expired
        .iter()
        .all(|o| matches!(o, LinkOutcome::Expired { .. })));
    let again = d
        .links
        .send_reauthorization_links(&[luc_one])
        .await
        .unwrap();
    assert_eq!(again.messages.len(), 1);
    assert_ne!(again.messages[0].links[0].url, to_luc.links[0].url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renew_now_asks_flanks_for_an_sca_token_on_a_healthy_connection() {
    let d = desk();
    let ana = d.client("Ana");
    let conn = connect_flanks(&d, ana, "ana").await;
    let token = token_of(&d, conn);
    assert_eq!(
        connections::get(&d.store, conn).unwrap().consent_renewed_at,
        None
    );
    let link = match d.links.renew_consent(conn).await.unwrap() {
        ReauthStart::Started { link } => link,
        other => panic!("{other:?}"),
    };
    assert_eq!(link.purpose, LinkPurpose::Sca);
    assert!(query_param(&link.url, "sca_token").is_some());
    assert_eq!(query_param(&link.url, "bank").as_deref(), Some("testbank"));
    let (s, _, loc) = d.web.flanks_sca_link(&link.url, "2468").await;
    assert_eq!(s, 302);
    let o = d
        .links
        .handle_callback(
            loc.unwrap().as_bytes(),
            Some(link.session_id),
            CallbackSource::EmbeddedWindow,
        )
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
    let c = connections::get(&d.store, conn).unwrap();
    assert!(c.consent_renewed_at.is_some());
    assert_eq!(c.status, ConnectionStatus::Ready);
    assert_eq!(token_of(&d, conn), token, "the same credential, renewed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_refused_when_empty_or_too_large_and_an_unknown_connection_is_not_found() {
    let d = desk();
    let e = d.links.send_reauthorization_links(&[]).await.unwrap_err();
    assert_eq!(e.code(), "invalid_input");
    let many: Vec<i64> = (1..=501).collect();
    let e = d.links.send_reauthorization_links(&many).await.unwrap_err();
    assert_eq!(e.code(), "invalid_input");
    let e = d.links.send_reauthorization_links(&[99]).await.unwrap_err();
    assert_eq!(e.code(), "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renew_now_on_flinks_is_a_live_connection_with_mfa_through_connect_when_asked() {
    let d = desk();
    let dan = d.client("Dan");
    let mfa = connect_flinks(&d, dan, "Greatday").await;
    let no_mfa = connect_flinks(&d, dan, "greatday_nomfa").await;

    // The bank asks its question: Connect opens on it, and answering renews.
    let link = match d.links.renew_consent(mfa).await.unwrap() {
        ReauthStart::Started { link } => link,
        other => panic!("{other:?}"),
    };
    assert_eq!(link.purpose, LinkPurpose::Mfa);
    let redirect = d.web.flinks_connect(&link.url, "Greatday").await;
    let o = d
        .links
        .handle_callback(
            redirect.as_bytes(),
            Some(link.session_id),
            CallbackSource::EmbeddedWindow,
        )
        .await
        .unwrap();
    assert!(matches!(o, LinkOutcome::Reauthorized { .. }), "{o:?}");
    assert!(connections::get(&d.store, mfa)
        .unwrap()
        .consent_renewed_at
        .is_some());

    // No question asked: the live Authorize itself was the live connection.
    assert!(matches!(
        d.links.renew_consent(no_mfa).await.unwrap(),
        ReauthStart::AlreadyHealthy { .. }
    ));
    assert!(connections::get(&d.store, no_mfa)
        .unwrap()
        .consent_renewed_at
        .is_some());
    let audit = d.store.audit_log(50).unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "connection.consent_renewed" && e.connection_id == Some(no_mfa)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flinks_reconnect_link_finished_elsewhere_is_found_when_the_logins_data_moves() {
    let d = desk();
    let dan = d.client("Dan");
    let conn = connect_flinks(&d, dan, "Greatday").await;
    let sent = d.links.send_reauthorization_links(&[conn]).await.unwrap();
    let link = &sent.messages[0].links[0];
    assert_eq!(link.purpose, LinkPurpose::Mfa);
    no_secret_in(&d, &sent, &[conn]);
    // Nothing happened yet: the poller finds nothing and the link stays open.
    assert!(d.links.poll_open_sessions().await.unwrap().is_empty());
    // The client answers the bank's question on their own computer; the redirect is lost.
    let _lost = d.web.flinks_connect(&link.url, "Greatday").await;
    let changes = d.links.poll_open_sessions().await.unwrap();
    assert!(
        matches!(changes.as_slice(), [LinkOutcome::Reauthorized { connection_id, .. }] if *connection_id == conn),
        "{changes:?}"
    );
    assert!(connections::get(&d.store, conn)
        .unwrap()
        .consent_renewed_at
        .is_some());
}

/// The connection as the client page and the health queue show it.
fn view_of(d: &Desk, id: i64, now: time::Timestamp) -> advisor_desk_core::sync::ConnectionView {
    let outlook = Outlook::of(&d.store, now).unwrap();
    outlook.view(connections::get(&d.store, id).unwrap())
}

/// A Flanks connection of `client` whose bank now asks for SCA, synced so the book knows.
async fn pending_sca_connection(d: &Desk, client: i64) -> i64 {
    let conn = connect_flanks(d, client, "ana").await;
    d.control
        .force(&token_of(d, conn), ForcedState::PendingSca)
        .await
        .unwrap();
    engine(&d.base, d.store.clone(), d.secrets.clone())
        .sync_one(conn, &|_| {})
        .await;
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_sent_link_is_offered_again_and_a_new_link_replaces_it() {
    let d = desk();
    let ana = d.client("Ana");
    let conn = pending_sca_connection(&d, ana).await;
    assert_eq!(
        connections::get(&d.store, conn).unwrap().status,
        ConnectionStatus::PendingSca
    );
    assert_eq!(view_of(&d, conn, time::now()).sent_link, None);

    let first = d.links.send_reauthorization_links(&[conn]).await.unwrap();
    let first_link = first.messages[0].links[0].clone();
    // Waiting for the client, on the card and in the health queue alike.
    let waiting = view_of(&d, conn, time::now()).sent_link.unwrap();
    assert!(!waiting.expired);
    assert_eq!(waiting.expires_at, first_link.expires_at);
    let queue = health_queue(&d.store, time::now()).unwrap();
    assert_eq!(queue.client[0].connection.sent_link, Some(waiting.clone()));

    // Nobody opens it. Past its lifetime it is shown expired even before the poller ends it…
    let later = time::now() + Duration::hours(25);
    let overdue = view_of(&d, conn, later).sent_link.unwrap();
    assert!(overdue.expired);
    assert_eq!(overdue.session_id, waiting.session_id);
    // …and once the poller ended it.
    let ended = d.links.poll_at(later).await.unwrap();
    assert!(
        matches!(ended.as_slice(), [LinkOutcome::Expired { .. }]),
        "{ended:?}"
    );
    let expired = view_of(&d, conn, time::now()).sent_link.unwrap();
    assert!(expired.expired, "{expired:?}");
    let queue = health_queue(&d.store, time::now()).unwrap();
    assert_eq!(queue.client[0].connection.sent_link, Some(expired.clone()));

    // "Send again": a new link session with a new one-time state and a fresh 24 h.
    let again = d.links.send_reauthorization_links(&[conn]).await.unwrap();
    let again_link = &again.messages[0].links[0];
    assert_ne!(again_link.url, first_link.url);
    assert_ne!(
        query_param(&again_link.url, "sca_token"),
        None,
        "{}",
        again_link.url
    );
    let resent = view_of(&d, conn, time::now()).sent_link.unwrap();
    assert!(!resent.expired);
    assert_ne!(resent.session_id, expired.session_id);
    assert!(resent.expires_at > expired.expires_at);

    // The old session stays refused: its callback is not claimed, whatever carries it.
    let old = advisor_desk_core::links::sessions::get(&d.store, expired.session_id).unwrap();
    assert_eq!(old.outcome.as_deref(), Some("expired"));
    let old_state = query_param(&first_link.url, "state").expect("the link carries its state");
    let forged = format!("advisordesk://link/callback?code=old-code&state={old_state}");
    let refused = d
        .links
        .handle_callback(forged.as_bytes(), None, CallbackSource::DeepLink)
        .await;
    // Its state is known, but the session ended: refused as a replay, never claimed.
    assert!(
        matches!(&refused, Ok(LinkOutcome::Refused { reason, .. }) if reason == "replayed"),
        "{refused:?}"
    );

    // The client answers the new link elsewhere; the poller finds it and the link is gone.
    let (s, _, _) = d.web.flanks_sca_link(&again_link.url, "4321").await;
    assert_eq!(s, 302);
    let found = d.links.poll_open_sessions().await.unwrap();
    assert!(
        matches!(
            found.as_slice(),
            [LinkOutcome::Reauthorized {
                status: ConnectionStatus::Ready,
                ..
            }]
        ),
        "{found:?}"
    );
    let healthy = view_of(&d, conn, time::now());
    assert_eq!(healthy.sent_link, None);
    assert_eq!(healthy.consent.as_ref().unwrap().days_since, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_sent_twice_ends_once_and_the_older_one_is_superseded() {
    let d = desk();
    let ana = d.client("Ana");
    let conn = pending_sca_connection(&d, ana).await;
    // The advisor sends the link, then sends it again before the client opened the first.
    let first = d.links.send_reauthorization_links(&[conn]).await.unwrap();
    let second = d.links.send_reauthorization_links(&[conn]).await.unwrap();
    // The two sessions were made one after the other: the newest and the one before it.
    let newest = view_of(&d, conn, time::now()).sent_link.unwrap().session_id;
    assert_ne!(
        first.messages[0].links[0].url,
        second.messages[0].links[0].url
    );

    // The client answers the newer one; both sessions see the credential move, but the
    // advisor hears about it once.
    let (s, _, _) = d
        .web
        .flanks_sca_link(&second.messages[0].links[0].url, "4321")
        .await;
    assert_eq!(s, 302);
    let found = d.links.poll_open_sessions().await.unwrap();
    assert!(
        matches!(
            found.as_slice(),
            [LinkOutcome::Reauthorized {
                status: ConnectionStatus::Ready,
                ..
            }]
        ),
        "{found:?}"
    );
    let open = advisor_desk_core::links::sessions::list_open(&d.store).unwrap();
    assert!(open.is_empty(), "{open:?}");
    let endings: Vec<Option<String>> = [newest - 1, newest]
        .iter()
        .map(|id| {
            advisor_desk_core::links::sessions::get(&d.store, *id)
                .unwrap()
                .outcome
        })
        .collect();
    assert!(
        endings.contains(&Some("superseded".into()))
            && endings.contains(&Some("reauthorized".into())),
        "{endings:?}"
    );
    assert_eq!(view_of(&d, conn, time::now()).sent_link, None);
    // Nothing left for a later pass either.
    assert!(d.links.poll_open_sessions().await.unwrap().is_empty());
}

//! The app's link flow on a firm's book (`links::FirmLinkFlow`, what the desktop's link
//! commands call in firm mode), end to end on real parts: a real PostgreSQL server, the
//! sandbox's Flanks link page walked over HTTP for a real one-use code, the providers' real
//! clients exchanging it, and the real Secret Service holding the firm key and the ledger.
//!
//! - connect → callback → exchange → the connection mapped to the client in the firm's book,
//!   its credentials sealed (and opening to the token the provider gave);
//! - the server stopped between the exchange and the delivery: the outcome says the result is
//!   kept, the keychain holds it, and once the server is back it is applied once (not again on
//!   a second reconnect);
//! - replayed, forged and malformed callbacks refused with the solo codes, each audited.
//!
//! Needs a Secret Service: `KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test -p
//! advisor-desk-firm --test link_flow -- --include-ignored`.

mod link_desktop;
mod links_common;
mod refresh_support;

use std::sync::Arc;

use advisor_desk_core::credentials::token_hash;
use advisor_desk_core::domain::ConnectionStatus;
use advisor_desk_core::firm::PendingLinks;
use advisor_desk_core::links::{CallbackSource, LinkFlow, LinkOutcome, LinkProviderApi};
use advisor_desk_firm::links::{apply_pending, Mapped};
use advisor_desk_firm::test_server::TestServer;
use link_desktop::*;
use links_common::*;

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn connecting_a_firm_client_maps_the_connection_with_its_credentials_sealed() {
    let desktop = Desktop::new("connect", TestServer::shared());
    let (firm, keychain) = (&desktop.firm, &desktop.keychain);
    let providers = sandbox_providers(&desktop.base);
    let flow = desktop.flow(&providers);

    let (start, callback) = desktop.connect(&flow);
    // The link names the firm's session and client (form-encoded), never anything secret.
    let external_id = format!(
        "ads-{}-{}-c{ALICES_CLIENT}-Client+1",
        firm.id, start.session_id
    );
    assert!(start.url.contains(&external_id), "{}", start.url);

    let outcome = flow
        .handle_callback(callback.as_bytes(), Some(start.session_id), WINDOW)
        .unwrap();
    let LinkOutcome::Connected {
        session_id,
        client_id,
        connection_id,
        status,
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        (session_id, client_id, status),
        (start.session_id, ALICES_CLIENT, ConnectionStatus::Pending)
    );
    // The connection is Alice's client's, in the firm's book, its token sealed.
    let (owner, provider): (i64, String) = {
        let row = firm
            .book
            .superuser()
            .query_one(
                "SELECT client_id, provider FROM connections WHERE id = $1",
                &[&connection_id],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!((owner, provider.as_str()), (ALICES_CLIENT, "flanks"));
    let token = firm.open_credentials(keychain, connection_id);
    assert!(token.expose().starts_with("sbx-cred-"));
    assert_eq!(firm.connections_with(&token_hash(&token)), (1, 1));
    // Nothing waits in the keychain once the firm database took it.
    assert!(PendingLinks::new(keychain, &firm.id)
        .list()
        .unwrap()
        .is_empty());
    let audit: Vec<String> = firm.audit().into_iter().map(|(a, _)| a).collect();
    for action in [
        "link.started",
        "link.callback.accepted",
        "connection.added",
        "link.finished",
    ] {
        assert!(audit.iter().any(|a| a == action), "{action}: {audit:?}");
    }
    // Bob cannot start a link for Alice's client.
    let bobs = firm.store_for(&firm.bob);
    let refused = as_member(&flow, &bobs, "bob")
        .start_connect(ALICES_CLIENT, LinkFlow::FlanksLink)
        .unwrap_err();
    assert_eq!(refused.code(), "invalid_input");
    forget_firm_key(keychain, firm);
}

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn a_result_exchanged_while_the_server_goes_away_is_kept_then_applied_once() {
    let server = Arc::new(TestServer::start().unwrap());
    let desktop = Desktop::new("down", &server);
    let (firm, keychain) = (&desktop.firm, &desktop.keychain);
    let flanks = sandbox_providers(&desktop.base).remove(0);
    let providers: Vec<Arc<dyn LinkProviderApi>> = vec![Arc::new(ServerStopsAfterExchange {
        inner: flanks,
        server: server.clone(),
    })];
    let flow = desktop.flow(&providers);

    let (start, callback) = desktop.connect(&flow);
    let outcome = flow
        .handle_callback(callback.as_bytes(), Some(start.session_id), WINDOW)
        .unwrap();
    assert!(
        matches!(
            outcome,
            LinkOutcome::KeptForFirm { session_id, client_id }
                if session_id == start.session_id && client_id == ALICES_CLIENT
        ),
        "{outcome:?}"
    );
    let json = serde_json::to_string(&outcome).unwrap();
    assert!(json.contains("\"outcome\":\"kept_for_firm\""), "{json}");
    // The token is in the real keychain, and only there.
    let ledger = PendingLinks::new(keychain, &firm.id);
    let kept = ledger.list().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].session_id, start.session_id);
    let token = kept[0].token.clone();
    assert!(token.expose().starts_with("sbx-cred-"));
    assert!(!json.contains(token.expose()));

    // Back: the app's reconnect applies it, once; a second reconnect finds nothing to do.
    server.start_again().unwrap();
    let applied = wait_applied(firm, keychain);
    assert!(
        matches!(applied.mapped[..], [(id, Mapped::Created { .. })] if id == start.session_id),
        "{applied:?}"
    );
    let again = apply_pending(&firm.store, keychain, &firm.id, "alice").unwrap();
    assert!(again.mapped.is_empty() && again.waiting.is_empty() && again.refused.is_empty());
    assert_eq!(firm.connections_with(&token_hash(&token)), (1, 1));
    assert_eq!(firm.audited("connection.added"), 1);
    assert!(ledger.list().unwrap().is_empty());
    forget_firm_key(keychain, firm);
}

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn replayed_forged_and_malformed_callbacks_are_refused_with_the_solo_codes() {
    let desktop = Desktop::new("refused", TestServer::shared());
    let (firm, keychain) = (&desktop.firm, &desktop.keychain);
    let providers = sandbox_providers(&desktop.base);
    let flow = desktop.flow(&providers);
    let reason = |o: LinkOutcome| match o {
        LinkOutcome::Refused { reason, message } => {
            assert!(!message.contains("code="), "{message}");
            reason
        }
        other => panic!("{other:?}"),
    };

    let (start, callback) = desktop.connect(&flow);
    // From the OS, a state-less code names no session.
    let from_os = flow
        .handle_callback(callback.as_bytes(), None, CallbackSource::DeepLink)
        .unwrap();
    assert_eq!(reason(from_os), "no_open_session");
    // Another window's session cannot take it.
    let elsewhere = flow
        .handle_callback(callback.as_bytes(), Some(start.session_id + 1000), WINDOW)
        .unwrap();
    assert_eq!(reason(elsewhere), "unknown_state");
    let connected = flow
        .handle_callback(callback.as_bytes(), Some(start.session_id), WINDOW)
        .unwrap();
    assert!(
        matches!(connected, LinkOutcome::Connected { .. }),
        "{connected:?}"
    );
    // The same redirect again: replayed.
    let replay = flow
        .handle_callback(callback.as_bytes(), Some(start.session_id), WINDOW)
        .unwrap();
    assert_eq!(reason(replay), "replayed");
    // A state this firm never issued.
    let forged = format!(
        "advisordesk://link/callback?state={}&code=forged-code",
        "0".repeat(64)
    );
    let forged = flow
        .handle_callback(forged.as_bytes(), None, CallbackSource::DeepLink)
        .unwrap();
    assert_eq!(reason(forged), "unknown_state");
    // Not a callback at all.
    let malformed = flow
        .handle_callback(
            b"advisordesk://link/callback",
            None,
            CallbackSource::DeepLink,
        )
        .unwrap();
    assert_eq!(reason(malformed), "no_result");
    // Closing the window after its result changes nothing.
    assert!(flow.window_closed(start.session_id).unwrap().is_none());

    assert_eq!(firm.audited("link.callback.refused"), 5);
    let refused: Vec<String> = firm
        .audit()
        .into_iter()
        .filter(|(a, _)| a == "link.callback.refused")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(
        refused,
        [
            "no_open_session",
            "unknown_state",
            "replayed",
            "unknown_state",
            "no_result"
        ]
    );
    // One connection, however many deliveries.
    assert_eq!(firm.audited("connection.added"), 1);
    forget_firm_key(keychain, firm);
}

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn a_window_closed_before_the_result_ends_the_session_and_its_late_redirect_is_replayed() {
    let desktop = Desktop::new("closed", TestServer::shared());
    let (firm, keychain) = (&desktop.firm, &desktop.keychain);
    let providers = sandbox_providers(&desktop.base);
    let flow = desktop.flow(&providers);

    let (start, callback) = desktop.connect(&flow);
    let closed = flow.window_closed(start.session_id).unwrap();
    assert!(
        matches!(closed, Some(LinkOutcome::Closed { session_id }) if session_id == start.session_id)
    );
    let late = flow
        .handle_callback(callback.as_bytes(), Some(start.session_id), WINDOW)
        .unwrap();
    assert!(matches!(late, LinkOutcome::Refused { ref reason, .. } if reason == "replayed"));
    // A widget's error event on an ended session: nothing more.
    assert!(flow
        .report_provider_event(start.session_id, "DISABLED_LOGIN")
        .unwrap()
        .is_none());
    assert_eq!(firm.audited("connection.added"), 0);
    forget_firm_key(keychain, firm);
}

//! Repairing and managing connections on a firm's book (`FirmLinkFlow`, what the desktop's
//! link commands call in firm mode), end to end on real parts: a real PostgreSQL server, the
//! sandbox's Flanks pages walked over HTTP, the providers' real clients, the real Secret
//! Service holding the firm key and the ledger, and Bob's desktop listening (`live`) on a
//! client Alice shares with him.
//!
//! - "Reauthorize" of a connection needing SCA: the SCA link, the client's answer, the same
//!   connection row with its credentials sealed again and its consent renewed — and Bob hears
//!   it; "Renew now" on a healthy one; a second link for the same connection superseded;
//! - a reauthorization exchanged while the server goes away: kept in the keychain, applied to
//!   the connection once the server is back;
//! - removing a connection: a provider outage leaves everything; then the credential deleted at
//!   the provider, the row and its sealed credentials gone, audited — and Bob hears it;
//! - the holder check's answers (confirm, "not this client") and deleting a client.
//!
//! Needs a Secret Service: `KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test -p
//! advisor-desk-firm --test link_actions -- --include-ignored`.

mod link_desktop;
mod links_common;
mod refresh_support;

use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

use advisor_desk_core::credentials::token_hash;
use advisor_desk_core::firm::PendingLinks;
use advisor_desk_core::links::{LinkOutcome, LinkProviderApi, LinkPurpose, Reauth, ReauthStart};
use advisor_desk_core::secrets::Secret;
use advisor_desk_firm::links::{apply_pending, confirm_holder, Mapped};
use advisor_desk_firm::live::{Change, Listener, ListenerConfig, LiveEvent, Operation};
use advisor_desk_firm::test_firm::TestMember;
use advisor_desk_firm::test_server::TestServer;
use advisor_desk_firm::FirmDbConfig;
use advisor_desk_sandbox::{FaultKind, FaultRule, ForcedState, SandboxControl};
use link_desktop::*;
use links_common::*;

/// The "within seconds": how soon Bob's desktop must hear Alice's change.
const WITHIN: Duration = Duration::from_secs(2);

/// Bob serves Alice's client too (covering for her), and listens to the firm's changes.
fn bob_listening(firm: &LinkFirm) -> (Listener, Receiver<LiveEvent>) {
    firm.book
        .owner()
        .execute(
            "INSERT INTO client_assignments (client_id, advisor_role, kind)
             VALUES ($1, $2, 'shared')",
            &[&ALICES_CLIENT, &firm.bob.role],
        )
        .unwrap();
    listen(firm, &firm.bob)
}

fn listen(firm: &LinkFirm, member: &TestMember) -> (Listener, Receiver<LiveEvent>) {
    let (events, received) = channel();
    let config = ListenerConfig {
        tick: Duration::from_millis(50),
        ..ListenerConfig::default()
    };
    let url = FirmDbConfig::new(firm.book.url_for(member));
    let listener = Listener::for_firm(config, url, move |event| {
        let _ = events.send(event);
    })
    .unwrap();
    let first = received.recv_timeout(Duration::from_secs(15)).unwrap();
    assert_eq!(first, LiveEvent::Listening);
    (listener, received)
}

/// Waits for `table`'s row `id` to be `operation`ed (passing the other changes of the same
/// action by: the link session's, the assignment's), within [`WITHIN`] of `since`.
fn heard(received: &Receiver<LiveEvent>, table: &str, id: i64, operation: Operation) {
    let since = Instant::now();
    let wanted = LiveEvent::Change(Change {
        table: table.into(),
        id: id.to_string(),
        operation,
    });
    loop {
        let left = WITHIN.saturating_sub(since.elapsed());
        match received.recv_timeout(left) {
            Ok(event) if event == wanted => return,
            Ok(_) => continue,
            Err(_) => panic!("Bob never heard {wanted:?} within {WITHIN:?}"),
        }
    }
}

fn forget_pending(received: &Receiver<LiveEvent>) {
    while received.try_recv().is_ok() {}
}

fn control(desktop: &Desktop) -> SandboxControl {
    SandboxControl::new(desktop.base.clone())
}

/// The sandbox's Flanks credentials API answers 503 (`on`), or is back.
fn provider_outage(desktop: &Desktop, on: bool) {
    let sandbox = control(desktop);
    let changed = if on {
        let outage = FaultRule {
            status: Some(503),
            ..FaultRule::new("/v0/bank/credentials", FaultKind::Status)
        };
        desktop.runtime.block_on(sandbox.add_fault(&outage))
    } else {
        desktop.runtime.block_on(sandbox.clear_faults())
    };
    changed.unwrap();
}

/// The sandbox's bank asks the credential for SCA again.
fn bank_asks_for_sca(desktop: &Desktop, token: &Secret) {
    desktop
        .runtime
        .block_on(control(desktop).force(token.expose(), ForcedState::PendingSca))
        .unwrap();
}

fn started(start: ReauthStart) -> advisor_desk_core::links::LinkStart {
    match start {
        ReauthStart::Started { link } => link,
        other => panic!("{other:?}"),
    }
}

/// The client answers the bank's challenge on the reauthorization's page: the callback URL.
fn client_answers(desktop: &Desktop, link: &advisor_desk_core::links::LinkStart) -> String {
    let callback = desktop
        .runtime
        .block_on(flanks_sca_redirect(&desktop.base, &link.url));
    assert!(callback.starts_with("advisordesk://link/callback?code="));
    callback
}

/// (consent renewed?, when its credentials were last sealed) as stored.
fn connection_marks(firm: &LinkFirm, connection_id: i64) -> (bool, chrono::DateTime<chrono::Utc>) {
    let row = firm
        .book
        .superuser()
        .query_one(
            "SELECT c.consent_renewed_at IS NOT NULL, s.sealed_at
               FROM connections c JOIN sealed_secrets s ON s.connection_id = c.id
              WHERE c.id = $1",
            &[&connection_id],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

fn session_outcome(firm: &LinkFirm, session_id: i64) -> Option<String> {
    firm.book
        .superuser()
        .query_one(
            "SELECT outcome FROM link_sessions WHERE id = $1",
            &[&session_id],
        )
        .unwrap()
        .get(0)
}

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn reauthorizing_keeps_the_connection_seals_its_credentials_again_and_bob_hears_it() {
    let desktop = Desktop::new("reauthorize", TestServer::shared());
    let (firm, keychain) = (&desktop.firm, &desktop.keychain);
    let providers = sandbox_providers(&desktop.base);
    let flow = desktop.flow(&providers);
    let (_listener, bob) = bob_listening(firm);
    let connection_id = desktop.connected(&flow, "ana");
    let token = firm.open_credentials(keychain, connection_id);

    // While the provider's first extraction runs there is nothing to do; then it is healthy:
    // nothing for the client to do either.
    let mut healthy = flow
        .start_reauthorize(connection_id, Reauth::AsNeeded)
        .unwrap();
    for _ in 0..50 {
        if !matches!(healthy, ReauthStart::ProviderStillWorking { .. }) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        healthy = flow
            .start_reauthorize(connection_id, Reauth::AsNeeded)
            .unwrap();
    }
    assert!(
        matches!(healthy, ReauthStart::AlreadyHealthy { connection_id: c, .. } if c == connection_id),
        "{healthy:?}"
    );

    // The bank asks for SCA: "Reauthorize" opens the SCA-only link at the connection's bank.
    bank_asks_for_sca(&desktop, &token);
    let (_, sealed_before) = connection_marks(firm, connection_id);
    forget_pending(&bob);
    let link = started(
        flow.start_reauthorize(connection_id, Reauth::AsNeeded)
            .unwrap(),
    );
    assert_eq!(link.purpose, LinkPurpose::Sca);
    assert!(link.url.contains("sca_token=") && link.url.contains("bank=testbank"));
    let callback = client_answers(&desktop, &link);
    let outcome = flow
        .handle_callback(callback.as_bytes(), Some(link.session_id), WINDOW)
        .unwrap();
    assert!(
        matches!(
            outcome,
            LinkOutcome::Reauthorized { session_id, client_id, connection_id: c, .. }
                if session_id == link.session_id && client_id == ALICES_CLIENT && c == connection_id
        ),
        "{outcome:?}"
    );
    heard(&bob, "connections", connection_id, Operation::Update);
    // The same row and token, sealed again; the consent counts as renewed; audited.
    assert_eq!(firm.connections_with(&token_hash(&token)), (1, 1));
    assert_eq!(
        firm.open_credentials(keychain, connection_id).expose(),
        token.expose()
    );
    let (renewed, sealed_after) = connection_marks(firm, connection_id);
    assert!(renewed && sealed_after > sealed_before);
    assert_eq!(
        session_outcome(firm, link.session_id).as_deref(),
        Some("reauthorized")
    );
    assert!(firm
        .audit()
        .contains(&("link.finished".into(), "reauthorized".into())));
    // The same redirect again: replayed, nothing changes.
    let replay = flow
        .handle_callback(callback.as_bytes(), Some(link.session_id), WINDOW)
        .unwrap();
    assert!(matches!(replay, LinkOutcome::Refused { ref reason, .. } if reason == "replayed"));

    // "Renew now" on the healthy connection asks for a fresh SCA; of two links opened for it,
    // the one the client completes supersedes the other.
    let first = started(
        flow.start_reauthorize(connection_id, Reauth::Renew)
            .unwrap(),
    );
    let second = started(
        flow.start_reauthorize(connection_id, Reauth::Renew)
            .unwrap(),
    );
    assert_eq!(
        (first.purpose, second.purpose),
        (LinkPurpose::Sca, LinkPurpose::Sca)
    );
    let callback = client_answers(&desktop, &second);
    let outcome = flow
        .handle_callback(callback.as_bytes(), Some(second.session_id), WINDOW)
        .unwrap();
    assert!(
        matches!(outcome, LinkOutcome::Reauthorized { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        session_outcome(firm, first.session_id).as_deref(),
        Some("superseded")
    );
    assert!(firm
        .audit()
        .contains(&("link.finished".into(), "superseded".into())));

    // Bob cannot reauthorize a connection of a client he does not serve.
    firm.book
        .owner()
        .execute(
            "DELETE FROM client_assignments WHERE advisor_role = $1 AND client_id = $2",
            &[&firm.bob.role, &ALICES_CLIENT],
        )
        .unwrap();
    let bobs = firm.store_for(&firm.bob);
    let refused = as_member(&flow, &bobs, "bob")
        .start_reauthorize(connection_id, Reauth::AsNeeded)
        .unwrap_err();
    assert_eq!(refused.code(), "not_found");
    forget_firm_key(keychain, firm);
}

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn a_reauthorization_exchanged_while_the_server_goes_away_is_kept_then_applied_once() {
    let server = Arc::new(TestServer::start().unwrap());
    let desktop = Desktop::new("reauthorize-down", &server);
    let (firm, keychain) = (&desktop.firm, &desktop.keychain);
    let providers = sandbox_providers(&desktop.base);
    let flow = desktop.flow(&providers);
    let connection_id = desktop.connected(&flow, "ana");
    let token = firm.open_credentials(keychain, connection_id);
    bank_asks_for_sca(&desktop, &token);
    let link = started(
        flow.start_reauthorize(connection_id, Reauth::AsNeeded)
            .unwrap(),
    );
    let callback = client_answers(&desktop, &link);

    // The server stops right after the provider exchanged the client's code.
    let stopping: Vec<Arc<dyn LinkProviderApi>> = vec![Arc::new(ServerStopsAfterExchange {
        inner: providers[0].clone(),
        server: server.clone(),
    })];
    let outcome = desktop
        .flow(&stopping)
        .handle_callback(callback.as_bytes(), Some(link.session_id), WINDOW)
        .unwrap();
    assert!(
        matches!(outcome, LinkOutcome::KeptForFirm { session_id, .. } if session_id == link.session_id),
        "{outcome:?}"
    );
    let ledger = PendingLinks::new(keychain, &firm.id);
    let kept = ledger.list().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].token.expose(), token.expose());

    // Back: applied to the connection, once.
    server.start_again().unwrap();
    let applied = wait_applied(firm, keychain);
    assert_eq!(
        applied.mapped,
        [(link.session_id, Mapped::Reauthorized { connection_id })]
    );
    let again = apply_pending(&firm.store, keychain, &firm.id, "alice").unwrap();
    assert!(again.mapped.is_empty() && again.waiting.is_empty() && again.refused.is_empty());
    assert!(ledger.list().unwrap().is_empty());
    assert_eq!(firm.connections_with(&token_hash(&token)), (1, 1));
    assert!(connection_marks(firm, connection_id).0, "consent renewed");
    let reauthorized = firm
        .audit()
        .iter()
        .filter(|(a, d)| a == "link.finished" && d == "reauthorized")
        .count();
    assert_eq!(reauthorized, 1);
    forget_firm_key(keychain, firm);
}

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn removing_a_connection_deletes_it_at_the_provider_then_in_the_book_and_bob_hears_it() {
    let desktop = Desktop::new("remove", TestServer::shared());
    let (firm, keychain) = (&desktop.firm, &desktop.keychain);
    let providers = sandbox_providers(&desktop.base);
    let flow = desktop.flow(&providers);
    let (_listener, bob) = bob_listening(firm);
    let connection_id = desktop.connected(&flow, "ana");
    let token = firm.open_credentials(keychain, connection_id);
    let hash = token_hash(&token);

    // A provider outage: a typed error, and everything stays.
    provider_outage(&desktop, true);
    let refused = flow.remove_connection(connection_id).unwrap_err();
    assert_eq!(refused.code(), "provider_failure", "{refused}");
    assert_eq!(firm.connections_with(&hash), (1, 1));
    provider_outage(&desktop, false);

    forget_pending(&bob);
    let removal = flow.remove_connection(connection_id).unwrap();
    assert!(removal.deleted_at_provider);
    heard(&bob, "connections", connection_id, Operation::Delete);
    // Gone from the book with its sealed credentials, and from the provider.
    assert_eq!(firm.connections_with(&hash), (0, 0));
    let sealed: i64 = firm
        .book
        .superuser()
        .query_one(
            "SELECT count(*) FROM sealed_secrets WHERE bound_table = 'connections'
                AND bound_row = $1",
            &[&connection_id.to_string()],
        )
        .unwrap()
        .get(0);
    assert_eq!(sealed, 0);
    let remote = desktop
        .runtime
        .block_on(providers[0].credentials())
        .unwrap();
    assert!(remote.iter().all(|c| c.token.expose() != token.expose()));
    assert!(firm.audit().contains(&(
        "connection.removed".into(),
        "flanks: deleted at the provider".into()
    )));
    assert_eq!(
        flow.remove_connection(connection_id).unwrap_err().code(),
        "not_found"
    );
    forget_firm_key(keychain, firm);
}

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn the_holder_check_is_answered_and_a_client_deleted_on_the_firm_book() {
    let desktop = Desktop::new("holder", TestServer::shared());
    let (firm, keychain) = (&desktop.firm, &desktop.keychain);
    let providers = sandbox_providers(&desktop.base);
    let flow = desktop.flow(&providers);
    let confirmed = desktop.connected(&flow, "ana");
    let rejected = desktop.connected(&flow, "leo");
    let kept = desktop.connected(&flow, "eva");
    // The refresh's holder check held both back (its first snapshot named someone else).
    firm.book
        .superuser()
        .execute(
            "UPDATE connections SET holder_check = 'pending' WHERE id = ANY($1)",
            &[&vec![confirmed, rejected]],
        )
        .unwrap();

    // Only a connection waiting for the answer takes it.
    let not_waiting = confirm_holder(&firm.store, kept, "alice").unwrap_err();
    assert_eq!(not_waiting.code(), "invalid_input");
    assert_eq!(
        flow.reject_holder(kept).unwrap_err().code(),
        "invalid_input"
    );
    let answered = confirm_holder(&firm.store, confirmed, "alice").unwrap();
    assert_eq!(answered.holder_check.as_str(), "confirmed");
    assert_eq!(firm.audited("connection.holder_confirmed"), 1);
    // Bob does not see Alice's client's connections at all.
    let bobs = firm.store_for(&firm.bob);
    assert_eq!(
        confirm_holder(&bobs, rejected, "bob").unwrap_err().code(),
        "not_found"
    );
    let removal = flow.reject_holder(rejected).unwrap();
    assert!(removal.deleted_at_provider);
    assert!(firm.audit().contains(&(
        "connection.removed".into(),
        "flanks: deleted at the provider; not this client (the account holder check)".into()
    )));

    // Deleting the client: a provider outage stops it with nothing deleted ...
    provider_outage(&desktop, true);
    let stopped = flow.delete_client(ALICES_CLIENT, false).unwrap_err();
    assert_eq!(stopped.code(), "deletion_stopped", "{stopped}");
    let left = |firm: &LinkFirm| -> (i64, i64) {
        let row = firm
            .book
            .superuser()
            .query_one(
                "SELECT (SELECT count(*) FROM clients WHERE id = $1),
                        (SELECT count(*) FROM connections WHERE client_id = $1)",
                &[&ALICES_CLIENT],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(left(firm), (1, 2));
    provider_outage(&desktop, false);
    // ... and then deletes every credential at the provider, then the client's rows.
    let deletion = flow.delete_client(ALICES_CLIENT, false).unwrap();
    assert_eq!(
        (
            deletion.connections_removed,
            deletion.deleted_at_provider,
            deletion.kept_at_provider
        ),
        (2, 2, 0)
    );
    assert_eq!(left(firm), (0, 0));
    assert_eq!(firm.audited("client.deleted"), 1);
    let gone = flow.delete_client(ALICES_CLIENT, false).unwrap_err();
    assert_eq!(gone.code(), "not_found");
    forget_firm_key(keychain, firm);
}

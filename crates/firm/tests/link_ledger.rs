//! "Server gone": a link result obtained while the firm database is down is never lost. The
//! code is exchanged for a real credentials token at the sandbox over HTTP, the result goes
//! through the real Secret Service (the keychain ledger) and a private PostgreSQL server that
//! the tests stop and restart:
//!
//! - the server stopped before the mapping: the result waits in the keychain, and once the
//!   server is back it is applied once — a connection and its sealed credentials — and the
//!   ledger is empty; the server's files and a `pg_dump` hold neither the token nor the code;
//! - the server restarted in the middle of the mapping transaction: retried, one connection.
//!
//! Needs a Secret Service: `KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test -p
//! advisor-desk-firm --test link_ledger -- --include-ignored`.

mod links_common;
mod refresh_support;
#[allow(dead_code)] // the e2e suite's scanner; this test uses part of it
#[path = "../../../tests/e2e/src/secret_scan.rs"]
mod secret_scan;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use advisor_desk_core::credentials::token_hash;
use advisor_desk_core::firm::keychain::key_entry;
use advisor_desk_core::firm::PendingLinks;
use advisor_desk_core::links::LinkSession;
use advisor_desk_core::secrets::{KeyringStore, Secret, SecretStore};
use advisor_desk_core::sync::CallBuffer;
use advisor_desk_firm::links::{apply_pending, deliver, Delivered, Mapped};
use advisor_desk_firm::test_server::TestServer;
use advisor_desk_providers::flanks::ExchangeOutcome;
use advisor_desk_providers::{FlanksClient, FlanksConfig};
use advisor_desk_sandbox::{FLANKS_CLIENT_ID, FLANKS_CLIENT_SECRET};
use links_common::*;
use refresh_support::start_sandbox;

fn keychain(test: &str) -> KeyringStore {
    KeyringStore::new(format!(
        "app.advisordesk.test.firm-links.{test}.{}",
        std::process::id()
    ))
}

/// A one-use code from the sandbox's Flanks link page (the form the client fills in, then the
/// final 302 to the app) and the credentials token the exchange gives for it.
async fn code_and_token(base: &str) -> (String, Secret) {
    let mut config = FlanksConfig::new(
        Secret::new(FLANKS_CLIENT_ID),
        Secret::new(FLANKS_CLIENT_SECRET),
    )
    .with_base_url(base);
    config.http.max_attempts = 1;
    let flanks = FlanksClient::new(config, Arc::new(CallBuffer::new())).unwrap();
    let link = flanks
        .create_link(advisor_desk_core::links::CALLBACK_URL, Some("firm"))
        .await
        .unwrap();
    let location = flanks_link_redirect(
        base,
        &format!("{base}/link?token={}&bank=testbank", link.token),
        "ana",
    )
    .await;
    let code = location
        .split_once("code=")
        .map(|(_, rest)| rest.split('&').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no code in {location}"));
    match flanks
        .exchange_code(&Secret::new(code.clone()))
        .await
        .unwrap()
    {
        ExchangeOutcome::Exchanged {
            credentials_token, ..
        } => (code, credentials_token),
        ExchangeOutcome::Delayed => panic!("the sandbox delayed the code"),
    }
}

/// Alice starts a link, the client completes it at the sandbox, the redirect is claimed and
/// the code exchanged: the session (at step `claimed`), the code and the token.
fn claimed_and_exchanged(firm: &LinkFirm) -> (LinkSession, String, Secret) {
    let (runtime, sandbox) = start_sandbox(1);
    let started = firm.start_link();
    let (code, token) = runtime.block_on(code_and_token(&sandbox.base_url()));
    assert!(token.expose().starts_with("sbx-cred-"));
    let session = firm.claim(&firm.store, &started.state, &code).unwrap();
    (session, code, token)
}

/// The tests' keychain services are their own; the firm key is taken out at the end.
fn forget_firm_key(keychain: &dyn SecretStore, firm: &LinkFirm) {
    keychain.delete(&key_entry(&firm.id, 1).unwrap()).unwrap();
}

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn a_result_obtained_while_the_server_is_down_waits_in_the_keychain_and_is_applied_once() {
    let server = TestServer::start().unwrap();
    let keychain = keychain("down");
    let firm = LinkFirm::new(&server, &keychain);
    let (session, code, token) = claimed_and_exchanged(&firm);

    // The server goes away between the exchange and the mapping.
    server.stop().unwrap();
    let result = result_of(&session, token.expose());
    let delivered = deliver(&firm.store, &keychain, &firm.id, result.clone(), "alice").unwrap();
    assert!(
        matches!(delivered, Delivered::Waiting { .. }),
        "{delivered:?}"
    );
    // In the real keychain, under its own name, and nowhere else.
    let ledger = PendingLinks::new(&keychain, &firm.id);
    assert_eq!(ledger.list().unwrap(), vec![result.clone()]);
    let entry = ledger.entry_name(session.id).unwrap();
    assert_eq!(
        entry.as_str(),
        format!("firm/{}/pending-link/{}", firm.id, session.id)
    );
    // Applying while the server is still down changes nothing.
    let applied = apply_pending(&firm.store, &keychain, &firm.id, "alice").unwrap();
    assert_eq!(applied.waiting, vec![session.id]);
    assert_eq!(ledger.list().unwrap().len(), 1);

    // The server is back: applied once, then nothing is left to apply.
    server.start_again().unwrap();
    let applied = apply_pending(&firm.store, &keychain, &firm.id, "alice").unwrap();
    let [(applied_session, Mapped::Created { connection_id })] = applied.mapped[..] else {
        panic!("{applied:?}")
    };
    assert_eq!(applied_session, session.id);
    assert!(applied.refused.is_empty() && applied.waiting.is_empty());
    assert!(ledger.list().unwrap().is_empty());
    assert_eq!(keychain.get(&entry).unwrap(), None);
    let again = apply_pending(&firm.store, &keychain, &firm.id, "alice").unwrap();
    assert!(again.mapped.is_empty());
    assert_eq!(firm.connections_with(&token_hash(&token)), (1, 1));
    assert_eq!(firm.open_credentials(&keychain, connection_id), token);

    // The same result delivered again (a replayed exchange): harmless, still one connection.
    let replayed = deliver(&firm.store, &keychain, &firm.id, result, "alice").unwrap();
    assert_eq!(
        replayed,
        Delivered::Mapped(Mapped::AlreadyMapped {
            connection_id: Some(connection_id)
        })
    );
    assert_eq!(firm.connections_with(&token_hash(&token)), (1, 1));
    assert!(ledger.list().unwrap().is_empty());

    assert_no_secret_in_clear(
        &server,
        &firm,
        &[("token", token.expose()), ("code", &code)],
    );
    forget_firm_key(&keychain, &firm);
}

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn a_server_restarted_in_the_middle_of_the_mapping_is_retried_into_one_connection() {
    let server = TestServer::start().unwrap();
    let keychain = keychain("restart");
    let firm = LinkFirm::new(&server, &keychain);
    let (session, _code, token) = claimed_and_exchanged(&firm);
    let result = result_of(&session, token.expose());

    // A rotation-like lock on the sealed secrets holds the mapping after it inserted the
    // connection row, inside its transaction.
    let mut owner = firm.book.owner();
    let mut holder = owner.transaction().unwrap();
    holder
        .batch_execute("LOCK TABLE sealed_secrets IN EXCLUSIVE MODE")
        .unwrap();
    let delivered = std::thread::scope(|scope| {
        let mapping =
            scope.spawn(|| deliver(&firm.store, &keychain, &firm.id, result.clone(), "alice"));
        wait_for_a_blocked_insert(&firm);
        server.restart().unwrap();
        mapping.join().unwrap()
    })
    .unwrap();
    drop(holder);
    assert!(
        matches!(delivered, Delivered::Waiting { .. }),
        "{delivered:?}"
    );
    assert_eq!(firm.connections_with(&token_hash(&token)), (0, 0));

    let applied = apply_pending(&firm.store, &keychain, &firm.id, "alice").unwrap();
    assert!(
        matches!(applied.mapped[..], [(id, Mapped::Created { .. })] if id == session.id),
        "{applied:?}"
    );
    let applied = apply_pending(&firm.store, &keychain, &firm.id, "alice").unwrap();
    assert!(applied.mapped.is_empty());
    assert_eq!(firm.connections_with(&token_hash(&token)), (1, 1));
    assert_eq!(firm.audited("connection.added"), 1);
    forget_firm_key(&keychain, &firm);
}

/// Waits until a session is waiting for a lock on `sealed_secrets` (the mapping's sealed
/// credentials insert, after its connection insert).
fn wait_for_a_blocked_insert(firm: &LinkFirm) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut su = firm.book.superuser();
    loop {
        let waiting: i64 = su
            .query_one(
                "SELECT count(*) FROM pg_locks
                  WHERE NOT granted AND relation = 'sealed_secrets'::regclass",
                &[],
            )
            .unwrap()
            .get(0);
        if waiting > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the mapping never reached the lock"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

const CANARY: &str = "canary-in-clear-link-ledger-5d2e";

/// The server's whole folder (after a CHECKPOINT) and a `pg_dump` of the firm database hold
/// none of `secrets` in clear; a canary written in clear is found, so the scan can fail.
fn assert_no_secret_in_clear(server: &TestServer, firm: &LinkFirm, secrets: &[(&str, &str)]) {
    let mut su = firm.book.superuser();
    su.execute(
        "INSERT INTO firm_settings (key, value) VALUES ('audit_canary', $1)",
        &[&CANARY],
    )
    .unwrap();
    su.batch_execute("CHECKPOINT").unwrap();
    let mut needles = vec![secret_scan::Secret::new("canary", CANARY)];
    needles.extend(
        secrets
            .iter()
            .map(|(label, value)| secret_scan::Secret::new(*label, *value)),
    );
    let scanner = secret_scan::Scanner::new(needles);
    let dumps = tempfile::tempdir().unwrap();
    let dump = dumps.path().join("firm.sql");
    pg_dump(server, &firm.book.database.superuser_url, &dump);
    for (what, report) in [
        (
            "the server's folder",
            scanner.scan_tree(server.folder_path()),
        ),
        ("pg_dump", scanner.scan_file(&dump).unwrap()),
    ] {
        let labels: Vec<&str> = report.hits.iter().map(|h| h.label.as_str()).collect();
        assert!(
            labels.contains(&"canary"),
            "{what}: the canary was not found"
        );
        assert!(
            labels.iter().all(|l| *l == "canary"),
            "{what}: secrets in clear: {labels:?}"
        );
    }
}

fn pg_dump(server: &TestServer, superuser_url: &str, out: &Path) {
    let output = Command::new(server.bindir().join("pg_dump"))
        .arg("--dbname")
        .arg(superuser_url)
        .arg("--format=plain")
        .arg("--file")
        .arg(out)
        .output()
        .expect("run pg_dump");
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

//! The first end-to-end journey: add a client in the real window, find it in the SQLite
//! file, restart the app and find it listed again.

use std::path::PathBuf;
use std::time::Duration;

use advisor_desk_e2e::inspect::{all_connections, keychain_lookup};
use advisor_desk_e2e::{artifacts_dir, listed_names, AppHome, RunningApp, ACTION};
use advisor_desk_testkit::webdriver::wait_until;
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};

const NAME: &str = "Beatriz Ruiz-Álvarez";
const EMAIL: &str = "beatriz@example.es";

fn database(home: &AppHome) -> Connection {
    Connection::open_with_flags(home.database(), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("the app created its database in ADVISOR_DESK_DATA_DIR")
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn a_client_added_in_the_window_is_stored_and_listed_after_a_restart() {
    let home = AppHome::new();

    // First run: an empty book, then add a household through the form.
    let app = RunningApp::start(&home, "add-client-run1");
    let s = &app.session;
    let url = s.current_url().unwrap();
    assert!(
        url.starts_with("tauri://") || url.starts_with("http://tauri.localhost"),
        "the UI must be the embedded build, not a dev server: {url}"
    );
    s.wait_for_css("[data-testid=client-list-empty]", ACTION)
        .unwrap_or_else(|e| app.fail("add-client-run1", &format!("empty state: {e}")));

    s.send_keys(&s.find("[data-testid=client-name-input]").unwrap(), NAME)
        .unwrap();
    s.click(&s.find("[data-testid=client-kind-household]").unwrap())
        .unwrap();
    s.send_keys(&s.find("[data-testid=client-email-input]").unwrap(), EMAIL)
        .unwrap();
    s.send_keys(
        &s.find("[data-testid=client-notes-input]").unwrap(),
        "Met at the Madrid office",
    )
    .unwrap();
    s.click(&s.find("[data-testid=add-client-submit]").unwrap())
        .unwrap();

    let notice = s
        .wait_for_text("[data-testid=add-client-success]", ACTION, |t| {
            !t.is_empty()
        })
        .unwrap_or_else(|e| app.fail("add-client-run1", &format!("success notice: {e}")));
    assert!(notice.contains(NAME), "{notice}");
    wait_until("the new client in the list", ACTION, || {
        Ok((listed_names(s) == [NAME]).then_some(()))
    })
    .unwrap_or_else(|e| app.fail("add-client-run1", &e.to_string()));
    s.screenshot(&artifacts_dir().join("add-client-run1.png"))
        .unwrap();
    app.quit();

    // The row is in the file, exactly as typed, with its audit entry.
    let db = database(&home);
    let rows: Vec<(String, String, Option<String>, String)> = db
        .prepare("SELECT kind, name, email, notes FROM clients")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![(
            "household".to_string(),
            NAME.to_string(),
            Some(EMAIL.to_string()),
            "Met at the Madrid office".to_string()
        )]
    );
    let audit: (String, String) = db
        .query_row("SELECT actor, action FROM audit_log", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(audit, ("advisor".to_string(), "client.added".to_string()));
    drop(db);

    // Second run on the same folder: the client is listed straight away.
    let app = RunningApp::start(&home, "add-client-run2");
    let s = &app.session;
    s.wait_for_css("[data-testid=client-row]", ACTION)
        .unwrap_or_else(|e| app.fail("add-client-run2", &format!("client row: {e}")));
    assert_eq!(listed_names(s), [NAME]);
    let kind = s
        .find("[data-testid=client-row] [data-testid=client-kind]")
        .unwrap();
    assert_eq!(s.text(&kind).unwrap(), "Household");
    let count = s.find("[data-testid=client-count]").unwrap();
    assert!(s.text(&count).unwrap().starts_with("1 client"));
    s.screenshot(&artifacts_dir().join("add-client-run2.png"))
        .unwrap();
    app.quit();
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn the_cores_validation_message_reaches_the_form_and_nothing_is_stored() {
    let home = AppHome::new();
    let app = RunningApp::start(&home, "invalid-email");
    let s = &app.session;
    s.send_keys(&s.find("[data-testid=client-name-input]").unwrap(), "Carla")
        .unwrap();
    s.send_keys(
        &s.find("[data-testid=client-email-input]").unwrap(),
        "carla-at-example",
    )
    .unwrap();
    s.click(&s.find("[data-testid=add-client-submit]").unwrap())
        .unwrap();
    let message = s
        .wait_for_text("[data-testid=add-client-error-message]", ACTION, |t| {
            !t.is_empty()
        })
        .unwrap_or_else(|e| app.fail("invalid-email", &format!("error message: {e}")));
    assert_eq!(message, "\"carla-at-example\" is not an e-mail address");
    let code = s
        .find("[data-testid=add-client-error]")
        .and_then(|el| s.attribute(&el, "data-error-code"))
        .unwrap();
    assert_eq!(code.as_deref(), Some("invalid_input"));
    assert!(listed_names(s).is_empty());
    app.quit();

    let count: i64 = database(&home)
        .query_row("SELECT COUNT(*) FROM clients", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 0);
}

/// The demo book's first sync on a busy machine.
const SYNCED: Duration = Duration::from_secs(180);

fn sandbox_get(base: &str, path: &str) -> Value {
    ureq::get(&format!("{base}{path}"))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap()
}

fn count(db: &Connection, sql: &str, id: i64) -> i64 {
    db.query_row(sql, [id], |r| r.get(0)).unwrap()
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn deleting_a_connected_client_removes_it_at_the_provider_in_the_keychain_and_in_sqlite() {
    const NAME: &str = "delete-client";
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, NAME, "[data-testid=demo-book-offer]");
    let s = &app.session;
    let base = std::fs::read_to_string(home.data_dir().join("sandbox-url.txt"))
        .unwrap()
        .trim()
        .to_string();
    s.click(&s.find("[data-testid=load-demo-book]").unwrap())
        .unwrap();
    wait_until("the demo book's first sync", SYNCED, || {
        let conns = all_connections(s);
        Ok((!conns.is_empty() && conns.iter().all(|c| c["status"] != "pending")).then_some(()))
    })
    .unwrap_or_else(|e| app.fail(NAME, &e.to_string()));

    // A client whose connections are all Flanks credentials, with transactions.
    let db =
        Connection::open_with_flags(home.database(), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let (client, name): (i64, String) = db
        .query_row(
            "SELECT k.id, k.name FROM clients k
             WHERE EXISTS (SELECT 1 FROM connections c JOIN transactions t ON t.connection_id = c.id
                           WHERE c.client_id = k.id)
               AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.client_id = k.id AND c.provider <> 'flanks')
             ORDER BY k.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a demo client with Flanks connections and transactions");
    let refs: Vec<String> = db
        .prepare("SELECT secret_ref FROM connections WHERE client_id = ?1 ORDER BY id")
        .unwrap()
        .query_map([client], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let tokens: Vec<String> = refs
        .iter()
        .map(|r| keychain_lookup(&home.keyring_service(), r).expect("the token in the keychain"))
        .collect();
    let in_sandbox = |t: &str| {
        sandbox_get(&base, "/_sandbox/book")
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["token"] == t)
    };
    assert!(tokens.iter().all(|t| in_sandbox(t)));
    let others_connections = count(
        &db,
        "SELECT count(*) FROM connections WHERE client_id <> ?1",
        client,
    );
    let deletes_before = sandbox_get(&base, "/_sandbox/stats")["calls"]
        ["DELETE /v0/bank/credentials"]
        .as_u64()
        .unwrap_or(0);

    // Through the window: the client page, Delete, the dialog names the connections, the
    // name typed out, confirm; back on the book without the client.
    s.execute(&format!("location.hash = '#/client/{client}'"), vec![])
        .unwrap();
    s.wait_for_text("[data-testid=client-name]", ACTION, |t| t == name)
        .unwrap_or_else(|e| app.fail(NAME, &format!("client page: {e}")));
    s.click(&s.find("[data-testid=delete-client]").unwrap())
        .unwrap();
    let named = s
        .wait_for_text("[data-testid=delete-client-connections]", ACTION, |t| {
            !t.is_empty()
        })
        .unwrap_or_else(|e| app.fail(NAME, &format!("dialog: {e}")));
    assert!(
        named.starts_with(&format!("{} connection", refs.len())),
        "{named}"
    );
    s.send_keys(&s.find("[data-testid=delete-client-name]").unwrap(), &name)
        .unwrap();
    // The dialog as the advisor sees it (the whole screen, once the last render reached it).
    std::thread::sleep(Duration::from_millis(600));
    let shot = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/screenshots/app-delete-client.png");
    let grabbed = std::process::Command::new("import")
        .args(["-window", "root"])
        .arg(&shot)
        .status()
        .is_ok_and(|st| st.success());
    if !grabbed {
        s.screenshot(&shot).unwrap();
    }
    s.click(&s.find("[data-testid=delete-client-confirm]").unwrap())
        .unwrap();
    wait_until("back on the book without the client", SYNCED, || {
        let hash = s.execute("return location.hash", vec![]).unwrap();
        let names: Vec<String> = s
            .find_all("[data-testid=book-name]")
            .unwrap()
            .iter()
            .map(|el| s.text(el).unwrap())
            .collect();
        Ok((hash == json!("#/") && !names.is_empty() && !names.contains(&name)).then_some(()))
    })
    .unwrap_or_else(|e| app.fail(NAME, &e.to_string()));
    s.screenshot(&artifacts_dir().join("delete-client-book.png"))
        .unwrap();

    // The provider deleted every credential (its book and its call counts say so); the
    // sandbox lives inside the app, so it is asked before the app quits.
    for t in &tokens {
        assert!(!in_sandbox(t), "still at the provider");
    }
    let deletes_after = sandbox_get(&base, "/_sandbox/stats")["calls"]
        ["DELETE /v0/bank/credentials"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(deletes_after - deletes_before, tokens.len() as u64);
    app.quit();

    // The keychain entries are gone.
    for r in &refs {
        assert_eq!(keychain_lookup(&home.keyring_service(), r), None, "{r}");
    }
    // The rows are gone; other clients keep theirs; the trail stays, without secrets.
    for sql in [
        "SELECT count(*) FROM clients WHERE id = ?1",
        "SELECT count(*) FROM connections WHERE client_id = ?1",
        "SELECT count(*) FROM link_sessions WHERE client_id = ?1",
    ] {
        assert_eq!(count(&db, sql, client), 0, "{sql}");
    }
    for table in [
        "accounts",
        "holdings",
        "transactions",
        "liabilities",
        "cards",
        "sync_runs",
    ] {
        let orphans = count(
            &db,
            &format!(
                "SELECT count(*) FROM {table} WHERE ?1 > 0 AND connection_id NOT IN (SELECT id FROM connections)"
            ),
            1,
        );
        assert_eq!(orphans, 0, "{table}");
    }
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM connections WHERE client_id <> ?1",
            client
        ),
        others_connections
    );
    let trail: Vec<(String, String)> = db
        .prepare("SELECT action, detail FROM audit_log WHERE client_id = ?1 ORDER BY id")
        .unwrap()
        .query_map([client], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(trail.last().unwrap().0, "client.deleted", "{trail:?}");
    assert_eq!(
        trail
            .iter()
            .filter(|(a, _)| a == "connection.removed")
            .count(),
        refs.len()
    );
    for (_, detail) in &trail {
        assert!(
            tokens.iter().all(|t| !detail.contains(t.as_str())),
            "{detail}"
        );
    }
    for (action, detail) in trail.iter().rev().take(refs.len() + 1) {
        assert!(!detail.contains(&name), "{action}: {detail}");
    }
}

//! Syncing from the app: the demo book's first sync, progress events to the main window,
//! and Cancel (with the sandbox slowed down through its control plane so there is something
//! to cancel).

use std::time::{Duration, Instant};

use advisor_desk_e2e::inspect::{all_connections, invoke, keychain_lookup};
use advisor_desk_e2e::{AppHome, RunningApp, ACTION};
use serde_json::{json, Value};

const SYNCED: Duration = Duration::from_secs(120);

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn sync_all_reports_progress_and_can_be_cancelled() {
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, "links-sync", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let base = std::fs::read_to_string(home.data_dir().join("sandbox-url.txt"))
        .unwrap()
        .trim()
        .to_string();

    let book = invoke(s, "load_demo_book", json!({}));
    let n = book["connection_ids"].as_array().unwrap().len();
    assert!(n >= 2, "{book}");
    wait_until("the demo book's first sync", SYNCED, || {
        let all = all_connections(s);
        all.len() == n && all.iter().all(|c| c["status"] == "ready")
    });

    // Listen as the UI does (the main window holds core:event:allow-listen).
    s.execute(
        "window.__progress = []; window.__finished = [];
         const T = window.__TAURI_INTERNALS__;
         for (const [event, sink] of [['sync://progress', window.__progress], ['sync://finished', window.__finished]]) {
           T.invoke('plugin:event|listen', { event, target: { kind: 'Any' },
             handler: T.transformCallback((e) => sink.push(e.payload)) });
         }",
        vec![],
    )
    .unwrap();

    // Every provider call now takes 1.5 s: the sync is still running when Cancel arrives.
    ureq::post(&format!("{base}/_sandbox/faults"))
        .send_json(json!({ "endpoint": "*", "kind": "latency", "latency_ms": 1500 }))
        .unwrap();
    s.execute(
        "window.__sync = null;
         window.__TAURI_INTERNALS__.invoke('sync_now', { scope: { kind: 'all' } })
           .then((ok) => (window.__sync = { ok }), (err) => (window.__sync = { err }));",
        vec![],
    )
    .unwrap();
    wait_until("a progress event", ACTION, || {
        s.execute("return window.__progress.length", vec![])
            .unwrap()
            != json!(0)
    });
    // A second request while one runs joins it: it answers with the same run's summary.
    s.execute(
        "window.__second = null;
         window.__TAURI_INTERNALS__.invoke('sync_now', { scope: { kind: 'all' } })
           .then((ok) => (window.__second = { ok }), (err) => (window.__second = { err }));",
        vec![],
    )
    .unwrap();
    assert_eq!(invoke(s, "cancel_sync", json!({})), json!(true));
    wait_until("the cancelled sync to return", SYNCED, || {
        s.execute("return window.__sync && window.__second", vec![])
            .unwrap()
            != Value::Null
    });
    let summary = s.execute("return window.__sync", vec![]).unwrap()["ok"].clone();
    let joined = s.execute("return window.__second", vec![]).unwrap()["ok"].clone();
    assert_eq!(joined["total"], summary["total"], "{joined}");
    assert_eq!(joined["cancelled"], summary["cancelled"], "{joined}");
    assert_eq!(summary["total"].as_u64(), Some(n as u64), "{summary}");
    assert!(summary["cancelled"].as_u64().unwrap() >= 1, "{summary}");
    let progress = s.execute("return window.__progress", vec![]).unwrap();
    let progress = progress.as_array().unwrap();
    assert!(progress.iter().all(|p| p["total"] == n), "{progress:?}");
    assert!(
        progress.iter().any(|p| p["step"] == "cancelled"),
        "{progress:?}"
    );
    wait_until("the finished event", ACTION, || {
        s.execute("return window.__finished.length", vec![])
            .unwrap()
            == json!(1)
    });
    // Nothing is left running: cancelling again finds no sync, and a new one completes.
    assert_eq!(invoke(s, "cancel_sync", json!({})), json!(false));
    ureq::delete(&format!("{base}/_sandbox/faults"))
        .call()
        .unwrap();
    let again = invoke(s, "sync_now", json!({ "scope": { "kind": "all" } }));
    assert_eq!(again["synced"].as_u64(), Some(n as u64), "{again}");
    app.quit();
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn removing_a_connection_deletes_it_at_the_provider_and_in_the_keychain() {
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, "links-remove", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let base = std::fs::read_to_string(home.data_dir().join("sandbox-url.txt"))
        .unwrap()
        .trim()
        .to_string();
    let book = invoke(s, "load_demo_book", json!({}));
    let id = book["connection_ids"][0].as_i64().unwrap();
    let db = rusqlite::Connection::open_with_flags(
        home.database(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let secret_ref: String = db
        .query_row(
            "SELECT secret_ref FROM connections WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    // The token is in the real Secret Service (and nowhere in SQLite).
    let token =
        keychain_lookup(&home.keyring_service(), &secret_ref).expect("the token in the keychain");
    let in_sandbox = |t: &str| {
        let v: Value = ureq::get(&format!("{base}/_sandbox/book"))
            .call()
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap();
        v.as_array().unwrap().iter().any(|e| e["token"] == t)
    };
    assert!(in_sandbox(&token));
    // Let the demo book's first sync finish: a credential being processed can be busy.
    wait_until("the first sync", SYNCED, || {
        all_connections(s).iter().all(|c| c["status"] != "pending")
    });

    let removed = invoke(s, "remove_connection", json!({ "connectionId": id }));
    assert_eq!(removed["deleted_at_provider"], true, "{removed}");
    assert!(!in_sandbox(&token), "still at the provider");
    assert_eq!(
        keychain_lookup(&home.keyring_service(), &secret_ref),
        None,
        "still in the keychain"
    );
    let gone: i64 = db
        .query_row(
            "SELECT count(*) FROM connections WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(gone, 0);
    let audited: i64 = db
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'connection.removed' AND connection_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 1);
    app.quit();
}

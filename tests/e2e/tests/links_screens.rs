//! The connections and settings screens through the real UI on the embedded sandbox: the demo
//! book loaded from Settings, a client's connections panel, Pending SCA repaired with the
//! panel's own Reauthorize button. Saves the screenshots in docs/screenshots/.

use std::time::{Duration, Instant};

use advisor_desk_e2e::demo::sandbox_book;
use advisor_desk_e2e::inspect::invoke;
use advisor_desk_e2e::pages::{click, click_and_leave, doc_screenshot as screenshot};
use advisor_desk_e2e::{AppHome, RunningApp, ACTION};
use advisor_desk_testkit::webdriver::Session;
use serde_json::{json, Value};

const SYNCED: Duration = Duration::from_secs(120);

fn scroll_to(s: &Session, css: &str) {
    s.execute(
        &format!("document.querySelector('{css}')?.scrollIntoView({{block: 'start'}})"),
        vec![],
    )
    .unwrap();
}

fn go(s: &Session, hash: &str) {
    s.execute(&format!("location.hash = '{hash}'"), vec![])
        .unwrap();
}

fn handles(driver: &str, session: &str) -> Vec<String> {
    let v: Value = ureq::get(&format!("{driver}/session/{session}/window/handles"))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    v["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_string())
        .collect()
}

fn switch(driver: &str, session: &str, handle: &str) {
    ureq::post(&format!("{driver}/session/{session}/window"))
        .send_json(json!({ "handle": handle }))
        .unwrap();
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn demo_book_then_reauthorize_from_the_connections_panel() {
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, "links-screens", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let (driver, session) = (app.driver_url().to_string(), s.id().to_string());
    let main = handles(&driver, &session)[0].clone();
    let base = std::fs::read_to_string(home.data_dir().join("sandbox-url.txt"))
        .unwrap()
        .trim()
        .to_string();

    // Settings: the sandbox is on, its address shown, the demo book offered on an empty book.
    go(s, "#/settings");
    s.wait_for_css("[data-testid=sandbox-url]", ACTION)
        .unwrap_or_else(|e| app.fail("links-screens", &format!("settings: {e}")));
    s.wait_for_css("[data-testid=load-demo-book]", ACTION)
        .unwrap_or_else(|e| app.fail("links-screens", &format!("demo offer: {e}")));
    // The first paint of a fresh window takes a moment to reach the X screen.
    std::thread::sleep(Duration::from_secs(3));
    screenshot(s, "settings");
    // Test connection against the sandbox's token endpoint: the classified result.
    click(s, "[data-testid=test-flanks]");
    s.wait_for_text("[data-testid=probe-flanks]", ACTION, |t| {
        t.contains("accepted")
    })
    .unwrap_or_else(|e| app.fail("links-screens", &format!("probe: {e}")));
    scroll_to(s, "[data-testid=provider-flanks]");
    screenshot(s, "settings-keys");
    scroll_to(s, "[data-testid=settings-screen]");
    click(s, "[data-testid=load-demo-book]");
    s.wait_for_css("[data-testid=demo-book-loaded]", ACTION)
        .unwrap_or_else(|e| app.fail("links-screens", &format!("demo loaded: {e}")));
    let clients = invoke(s, "list_clients", json!({}));
    let clients = clients.as_array().unwrap();
    let book = sandbox_book(&base);
    // One client per holder name (the joint credential's two holders included).
    let mut holders: Vec<&str> = book
        .iter()
        .flat_map(|e| e["holders"].as_array().unwrap())
        .map(|h| h.as_str().unwrap())
        .collect();
    holders.sort();
    holders.dedup();
    assert_eq!(clients.len(), holders.len(), "{clients:?}");

    // The first sync of the demo book finishes; every connection works.
    let first = clients
        .iter()
        .find(|c| c["name"] == book[0]["holders"][0])
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    wait_until("the demo book's first sync", SYNCED, || {
        let all: Vec<Value> = clients
            .iter()
            .flat_map(|c| {
                invoke(s, "list_connections", json!({ "clientId": c["id"] }))
                    .as_array()
                    .unwrap()
                    .clone()
            })
            .collect();
        all.len() == book.len() && all.iter().all(|c| c["status"] == "ready")
    });

    // The client's page shows the connections panel with a working connection.
    go(s, &format!("#/client/{first}"));
    s.wait_for_text("[data-testid=connection-status]", ACTION, |t| {
        t == "Working"
    })
    .unwrap_or_else(|e| app.fail("links-screens", &format!("panel: {e}")));
    scroll_to(s, "[data-testid=connections-panel]");
    screenshot(s, "connections");

    // Pending SCA at the provider; the panel offers Reauthorize.
    ureq::post(&format!("{base}/_sandbox/credentials/force"))
        .send_json(json!({ "credentials_token": book[0]["token"], "state": "pending_sca" }))
        .unwrap();
    click(s, "[data-testid=sync-connection]");
    s.wait_for_css("[data-testid=reauthorize]", SYNCED)
        .unwrap_or_else(|e| app.fail("links-screens", &format!("reauthorize button: {e}")));
    let status = s.find("[data-testid=connection-status]").unwrap();
    assert!(s.text(&status).unwrap().contains("SCA"));
    scroll_to(s, "[data-testid=connections-panel]");
    screenshot(s, "connections-sca");

    // Reauthorize → the link window asks only the SCA → the card is healthy again.
    click(s, "[data-testid=reauthorize]");
    wait_until("the link window", ACTION, || {
        handles(&driver, &session).len() == 2
    });
    let link = handles(&driver, &session)
        .into_iter()
        .find(|h| *h != main)
        .unwrap();
    switch(&driver, &session, &link);
    let answer = s.wait_for_css("#sca-answer", ACTION).unwrap();
    s.send_keys(&answer, "654321").unwrap();
    click_and_leave(s, "#sca-submit");
    wait_until("the link window to close", ACTION, || {
        handles(&driver, &session).len() == 1
    });
    switch(&driver, &session, &main);
    s.wait_for_css("[data-testid=connection-notice]", SYNCED)
        .unwrap_or_else(|e| app.fail("links-screens", &format!("notice: {e}")));
    s.wait_for_text("[data-testid=connection-status]", SYNCED, |t| {
        t == "Working"
    })
    .unwrap_or_else(|e| app.fail("links-screens", &format!("healthy again: {e}")));
    let notice = s.find("[data-testid=connection-notice]").unwrap();
    assert!(
        s.text(&notice).unwrap().contains("Reauthorized"),
        "{}",
        s.text(&notice).unwrap()
    );
    scroll_to(s, "[data-testid=connections-panel]");
    screenshot(s, "connections-reauthorized");
    app.quit();
}

//! Flinks refresh with the client present, in the real window on the embedded sandbox: a
//! Flinks connection whose data stopped moving (the sandbox's control plane backdates the
//! client's last live connection) is frozen — never shown as fresh, queued for the client —
//! and "Update now" refreshes it live: the bank asks MFA, the link window shows only the
//! challenge, the connection ends healthy with newer data. Past the four-week reconnect
//! window the link window opens Connect's credential step instead. Saves the screenshots in
//! docs/screenshots/ (English and Spanish).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use advisor_desk_e2e::inspect::{connections, invoke, sandbox_url};
use advisor_desk_e2e::{AppHome, RunningApp, ACTION};
use advisor_desk_testkit::webdriver::Session;
use serde_json::{json, Value};

/// A live refresh, its MFA and the sync after it.
const REFRESHED: Duration = Duration::from_secs(90);

struct Window<'a> {
    app: &'a RunningApp,
    main: String,
}

impl Window<'_> {
    fn handles(&self) -> Vec<String> {
        let url = format!(
            "{}/session/{}/window/handles",
            self.app.driver_url(),
            self.app.session.id()
        );
        let v: Value = ureq::get(&url)
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

    fn switch(&self, handle: &str) {
        let url = format!(
            "{}/session/{}/window",
            self.app.driver_url(),
            self.app.session.id()
        );
        ureq::post(&url)
            .send_json(json!({ "handle": handle }))
            .unwrap();
    }

    /// Waits for the link window and switches to it.
    fn to_link_window(&self) {
        let deadline = Instant::now() + ACTION;
        loop {
            if let Some(h) = self.handles().into_iter().find(|h| *h != self.main) {
                self.switch(&h);
                return;
            }
            assert!(Instant::now() < deadline, "no link window appeared");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits for the link window to close and switches back to the main window.
    fn back_to_main(&self) {
        let deadline = Instant::now() + REFRESHED;
        while self.handles().len() > 1 {
            assert!(Instant::now() < deadline, "the link window stayed open");
            std::thread::sleep(Duration::from_millis(200));
        }
        self.switch(&self.main);
    }
}

/// The whole X screen (the app window as a person sees it), else the webview's own capture.
fn screenshot(s: &Session, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("app-{name}.png"));
    std::thread::sleep(Duration::from_millis(600));
    let grabbed = std::process::Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .status()
        .is_ok_and(|st| st.success());
    if !grabbed {
        s.screenshot(&path).unwrap();
    }
}

fn go(s: &Session, hash: &str) {
    s.execute(&format!("location.hash = '{hash}'"), vec![])
        .unwrap();
}

fn fill(s: &Session, css: &str, text: &str) {
    let el = s.wait_for_css(css, ACTION).expect(css);
    s.send_keys(&el, text).expect("type");
}

fn click(s: &Session, css: &str) {
    let el = s.wait_for_css(css, ACTION).expect(css);
    s.click(&el).expect("click");
}

/// A click on a page button that leaves the page (see links.rs): dispatched from the page.
fn click_and_leave(s: &Session, css: &str) {
    s.wait_for_css(css, ACTION).expect(css);
    let selector = serde_json::to_string(css).unwrap();
    s.execute(
        &format!("setTimeout(() => document.querySelector({selector}).click(), 0); return true"),
        vec![],
    )
    .expect("click");
}

fn mfa_answer(prompt: &str) -> &'static str {
    match prompt {
        "What city were you born in?" => "Montreal",
        "What is the best country on earth?" => "Canada",
        "What shape do people like most?" => "Triangle",
        other => panic!("unexpected prompt {other}"),
    }
}

/// In the link window: answers Flinks Capital's security question.
fn answer_the_challenge(s: &Session) {
    let prompt = s
        .wait_for_css("#mfa-prompt", ACTION)
        .and_then(|el| s.text(&el))
        .expect("the security question");
    fill(s, "#mfa-answer", mfa_answer(prompt.trim()));
    click_and_leave(s, "#mfa-submit");
}

/// In the link window: logs in to Flinks Capital as Greatday (consent and the institution
/// first when the widget starts there), then answers the challenge.
fn log_in_as_greatday(s: &Session) {
    let first = advisor_desk_testkit::webdriver::wait_until("the widget", ACTION, || {
        Ok(s.execute(
            "return document.querySelector('#consent-accept') ? 'consent'
             : document.querySelector('#institution-flinkscapital') ? 'institutions'
             : document.querySelector('#username') ? 'credentials' : null",
            vec![],
        )?
        .as_str()
        .map(str::to_string))
    })
    .expect("the widget's first screen");
    if first == "consent" {
        click(s, "#consent-accept");
    }
    if first != "credentials" {
        click(s, "#institution-flinkscapital");
    }
    fill(s, "#username", "Greatday");
    fill(s, "#password", "Everyday");
    click_and_leave(s, "#submit");
    answer_the_challenge(s);
}

fn control(base: &str, path: &str, body: Value) {
    ureq::post(&format!("{base}/_sandbox/{path}"))
        .send_json(body)
        .unwrap();
}

fn the_connection(s: &Session, client: i64) -> Value {
    connections(s, client).remove(0)
}

/// Waits until the client's connection satisfies `ok`.
fn wait_connection(s: &Session, client: i64, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + REFRESHED;
    loop {
        let list = connections(s, client);
        if let Some(c) = list.first().filter(|c| ok(c)) {
            return c.clone();
        }
        assert!(Instant::now() < deadline, "{what}: {list:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The client last connected `days` ago at the sandbox; the app's daily cached read runs.
fn let_the_data_freeze(s: &Session, base: &str, client: i64, id: i64, days: i64) {
    control(base, "flinks/backdate", json!({ "days": days }));
    invoke(
        s,
        "sync_now",
        json!({ "scope": { "kind": "connection", "id": id } }),
    );
    let c = wait_connection(s, client, "frozen after the cached read", |c| {
        c["frozen"] == true
    });
    assert_eq!(c["status"], "ready", "the cached read itself works: {c}");
    assert_eq!(c["stale"], true, "frozen is never fresh: {c}");
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn flinks_refresh_with_the_client_present_mfa_and_the_reconnect_window() {
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, "flinks-refresh", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let w = Window {
        app: &app,
        main: String::new(),
    };
    let w = Window {
        main: w.handles()[0].clone(),
        ..w
    };
    let base = sandbox_url(&home);
    let client = invoke(
        s,
        "add_client",
        json!({ "client": { "name": "Hugo Tremblay" } }),
    )["id"]
        .as_i64()
        .unwrap();

    // Connect Flinks Capital as Greatday (MFA) in the link window.
    invoke(
        s,
        "start_connect",
        json!({ "clientId": client, "flow": "flinks_connect" }),
    );
    w.to_link_window();
    log_in_as_greatday(s);
    w.back_to_main();
    let c = wait_connection(s, client, "connected", |c| c["status"] == "ready");
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["frozen"], false, "{c}");

    // Ten days without the client: the cached read works, the data is frozen.
    let_the_data_freeze(s, &base, client, id, 10);
    let frozen_as_of = the_connection(s, client)["data_as_of"]
        .as_str()
        .unwrap()
        .to_string();
    let queue = invoke(s, "health_queue", json!({}));
    let queued = queue["client"].as_array().unwrap();
    assert!(
        queued
            .iter()
            .any(|i| i["connection"]["id"] == id && i["connection"]["frozen"] == true),
        "{queue}"
    );
    go(s, "#/health");
    s.wait_for_text("[data-testid=queue-frozen]", ACTION, |t| {
        t.contains("client present")
    })
    .unwrap_or_else(|e| app.fail("flinks-refresh", &format!("queue: {e}")));
    screenshot(s, "flinks-frozen-queue");
    go(s, &format!("#/client/{client}"));
    s.wait_for_css("[data-testid=connection-frozen]", ACTION)
        .unwrap_or_else(|e| app.fail("flinks-refresh", &format!("card: {e}")));
    s.execute(
        "document.querySelector('[data-testid=connections-panel]')?.scrollIntoView({block: 'start'})",
        vec![],
    )
    .unwrap();
    screenshot(s, "flinks-frozen-card");

    // "Update now": a live refresh; the bank asks MFA, the link window asks only that.
    click(s, "[data-testid=refresh-live]");
    w.to_link_window();
    s.wait_for_css("#mfa-prompt", ACTION)
        .unwrap_or_else(|e| app.fail("flinks-refresh", &format!("challenge: {e}")));
    assert!(
        s.find("#username").is_err(),
        "only the challenge, no credential step"
    );
    answer_the_challenge(s);
    w.back_to_main();
    let c = wait_connection(s, client, "healthy and fresh", |c| {
        c["status"] == "ready" && c["frozen"] == false && c["stale"] == false
    });
    let fresh_as_of = c["data_as_of"].as_str().unwrap().to_string();
    assert!(fresh_as_of > frozen_as_of, "{frozen_as_of} → {fresh_as_of}");
    s.wait_for_text("[data-testid=connection-status]", ACTION, |t| {
        t == "Working"
    })
    .unwrap_or_else(|e| app.fail("flinks-refresh", &format!("working: {e}")));
    assert!(s.find("[data-testid=connection-frozen]").is_err());
    screenshot(s, "flinks-refreshed");

    // Five weeks without the client: past the reconnect window even the cached read asks
    // the client (a 203), and the repair is Connect's credential step, not the challenge.
    control(&base, "flinks/backdate", json!({ "days": 35 }));
    invoke(
        s,
        "sync_now",
        json!({ "scope": { "kind": "connection", "id": id } }),
    );
    wait_connection(s, client, "the client must act", |c| {
        c["status"] == "mfa_required" && c["action_by"] == "client"
    });
    go(s, &format!("#/client/{client}"));
    click(s, "[data-testid=reauthorize]");
    w.to_link_window();
    s.wait_for_css("#username", ACTION)
        .unwrap_or_else(|e| app.fail("flinks-refresh", &format!("credential step: {e}")));
    screenshot(s, "flinks-credential-step");
    log_in_as_greatday(s);
    w.back_to_main();
    let c = wait_connection(s, client, "healthy again", |c| {
        c["status"] == "ready" && c["frozen"] == false
    });
    assert!(c["data_as_of"].as_str().unwrap() > frozen_as_of.as_str());

    // Spanish: the frozen connection in the queue and on its card.
    let_the_data_freeze(s, &base, client, id, 10);
    click(s, "[data-testid=language-switcher] option[value=es]");
    go(s, "#/health");
    s.wait_for_text("[data-testid=queue-frozen]", ACTION, |t| {
        t.contains("cliente presente")
    })
    .unwrap_or_else(|e| app.fail("flinks-refresh", &format!("queue es: {e}")));
    screenshot(s, "flinks-frozen-queue-es");
    go(s, &format!("#/client/{client}"));
    s.wait_for_text("[data-testid=refresh-live]", ACTION, |t| {
        t.contains("Actualizar ahora")
    })
    .unwrap_or_else(|e| app.fail("flinks-refresh", &format!("card es: {e}")));
    s.execute(
        "document.querySelector('[data-testid=connections-panel]')?.scrollIntoView({block: 'start'})",
        vec![],
    )
    .unwrap();
    screenshot(s, "flinks-frozen-card-es");
    app.quit();
}

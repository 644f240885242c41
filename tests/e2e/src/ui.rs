//! Small steps on the app's window shared by the screen journeys: run a script, click, read
//! a text, wait for a condition, and take a documentation screenshot.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use advisor_desk_testkit::webdriver::Session;
use serde_json::{json, Value};

use crate::{RunningApp, ACTION};

/// Every book row with a connection is healthy and shows its totals, and no sync is running:
/// returns the number of rows (null until then).
pub const BOOK_SYNCED: &str = "const rows = [...document.querySelectorAll('[data-testid=book-row]')];
    if (rows.length === 0 || document.querySelector('[data-testid=sync-progress]')) return null;
    const connected = rows.filter(r => r.querySelectorAll('td')[2].textContent.trim() !== '0');
    if (connected.length === 0) return null;
    const done = connected.every(r => r.querySelector('[data-testid=health-badge]')?.dataset.health === 'good'
        && r.querySelector('[data-testid=book-value] [data-currency]'));
    return done ? rows.length : null;";

pub fn js(s: &Session, script: &str) -> Value {
    s.execute(script, vec![]).unwrap()
}

pub fn click(app: &RunningApp, name: &str, css: &str) {
    let s = &app.session;
    let el = s
        .wait_for_css(css, ACTION)
        .unwrap_or_else(|e| app.fail(name, &format!("{css}: {e}")));
    s.click(&el)
        .unwrap_or_else(|e| app.fail(name, &format!("click {css}: {e}")));
}

pub fn text(app: &RunningApp, name: &str, css: &str) -> String {
    let s = &app.session;
    let el = s
        .wait_for_css(css, ACTION)
        .unwrap_or_else(|e| app.fail(name, &format!("{css}: {e}")));
    s.text(&el).unwrap()
}

/// Polls `script` until it returns something other than null/false.
pub fn wait_js(app: &RunningApp, name: &str, what: &str, script: &str, timeout: Duration) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let v = js(&app.session, script);
        if !v.is_null() && v != json!(false) {
            return v;
        }
        if Instant::now() > deadline {
            app.fail(name, &format!("timed out waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Polls `f` until it holds; past `timeout` the test fails saying `what`.
pub fn wait_until(
    app: &RunningApp,
    name: &str,
    what: &str,
    timeout: Duration,
    mut f: impl FnMut() -> bool,
) {
    let deadline = Instant::now() + timeout;
    while !f() {
        if Instant::now() > deadline {
            app.fail(name, &format!("timed out: {what}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Moves the mouse to the window's top-left corner, so no link under it shows its hover
/// underline in a screenshot. Best effort: a driver without pointer actions leaves it be.
pub fn park_pointer(app: &RunningApp) {
    let url = format!("{}/session/{}/actions", app.driver_url(), app.session.id());
    let _ = ureq::post(&url).send_json(json!({ "actions": [{
        "type": "pointer", "id": "mouse", "parameters": { "pointerType": "mouse" },
        "actions": [{ "type": "pointerMove", "duration": 0, "x": 1, "y": 1, "origin": "viewport" }]
    }]}));
}

/// `docs/screenshots/app-{name}.png`, the webview's own capture.
pub fn doc_shot(s: &Session, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("app-{name}.png"));
    // Let the webview paint what the DOM already holds (its snapshot can lag a frame).
    std::thread::sleep(Duration::from_millis(600));
    s.screenshot(&path).unwrap();
    path
}

/// Switches the interface language with the shell's switcher and waits until the Households
/// entry reads `households` (the language's catalogue in use); the switcher is left closed.
pub fn switch_language(app: &RunningApp, name: &str, code: &str, households: &str) {
    click(app, name, "[data-testid=language-switcher]");
    click(
        app,
        name,
        &format!("[data-testid=language-switcher] option[value={code}]"),
    );
    app.session
        .wait_for_text("[data-testid=nav-households]", ACTION, |t| {
            t.contains(households)
        })
        .unwrap_or_else(|e| app.fail(name, &format!("language {code}: {e}")));
    js(&app.session, "document.activeElement?.blur(); return 1");
}

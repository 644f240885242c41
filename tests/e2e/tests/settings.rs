//! The Settings screen through the real UI: API keys go to the real Secret Service and never
//! come back to the window, the switch to production asks first and drops the Sandbox badge,
//! and "Test connection" shows the provider's classified answer (here: a local provider URL
//! with wrong keys → 403).

use std::time::Duration;

use advisor_desk_e2e::{AppHome, RunningApp, ACTION};
use advisor_desk_testkit::webdriver::Session;
use serde_json::json;

fn go(s: &Session, hash: &str) {
    s.execute(&format!("location.hash = '{hash}'"), vec![])
        .unwrap();
}

fn click(s: &Session, css: &str) {
    let el = s.wait_for_css(css, ACTION).expect(css);
    s.click(&el).expect("click");
}

fn fill(s: &Session, css: &str, text: &str) {
    let el = s.wait_for_css(css, ACTION).expect(css);
    s.send_keys(&el, text).expect("type");
}

fn keychain(service: &str, field: &str) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            service,
            "username",
            &format!("provider/flanks/{field}"),
        ])
        .output()
        .expect("run secret-tool");
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !v.is_empty()).then_some(v)
}

fn page_contains(s: &Session, text: &str) -> bool {
    s.execute(
        "return document.documentElement.outerHTML.includes(arguments[0])",
        vec![json!(text)],
    )
    .unwrap()
        == json!(true)
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn keys_go_to_the_keychain_and_production_is_a_deliberate_switch() {
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, "settings", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let sandbox = std::fs::read_to_string(home.data_dir().join("sandbox-url.txt"))
        .unwrap()
        .trim()
        .to_string();
    go(s, "#/settings");
    s.wait_for_css("[data-testid=settings-screen]", ACTION)
        .unwrap_or_else(|e| app.fail("settings", &format!("settings screen: {e}")));

    // Type both Flanks keys (deliberately wrong ones) into the screen.
    for (field, value) in [
        ("client_id", "e2e-wrong-client-id"),
        ("client_secret", "e2e-wrong-secret-value"),
    ] {
        let row = format!("[data-testid=key-flanks-{field}]");
        click(s, &format!("{row} [data-testid=key-edit]"));
        fill(s, &format!("{row} [data-testid=key-input]"), value);
        click(s, &format!("{row} button[type=submit]"));
        s.wait_for_text(&format!("{row} [data-testid=key-state]"), ACTION, |t| {
            t == "Set"
        })
        .unwrap_or_else(|e| app.fail("settings", &format!("{field} set: {e}")));
        assert_eq!(
            keychain(&home.keyring_service(), field).as_deref(),
            Some(value),
            "{field} in the keychain"
        );
        assert!(!page_contains(s, value), "{field} came back to the window");
    }

    // The real service's base URL, here a local one (the sandbox, with the wrong keys).
    fill(s, "[data-testid=url-flanks]", &sandbox);
    click(
        s,
        "[data-testid=provider-flanks] form.url button[type=submit]",
    );

    // Production asks first; then the badge is gone after the chrome reloads.
    click(s, "[data-testid=env-production]");
    s.wait_for_css("[data-testid=confirm-production]", ACTION)
        .unwrap_or_else(|e| app.fail("settings", &format!("confirmation: {e}")));
    click(s, "[data-testid=confirm-production]");
    s.wait_for_css("[data-testid=env-production]:checked", ACTION)
        .unwrap_or_else(|e| app.fail("settings", &format!("production on: {e}")));
    // The switch has returned once the sandbox's address is no longer shown.
    let deadline = std::time::Instant::now() + ACTION;
    while !s.find_all("[data-testid=sandbox-url]").unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the switch did not finish"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let env = s
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke('provider_settings', {}).then(done, (e) => done(e));",
            vec![],
        )
        .unwrap();
    assert_eq!(env["environment"], "production", "{env}");
    assert_eq!(
        env["flanks_base_url"].as_str(),
        Some(sandbox.as_str()),
        "{env}"
    );
    click(s, "[data-testid=test-flanks]");
    let probe = s
        .wait_for_text("[data-testid=probe-flanks]", ACTION, |t| !t.is_empty())
        .unwrap();
    assert!(
        probe.contains("unauthorized") && probe.contains("403"),
        "{probe}"
    );
    s.execute("location.reload()", vec![]).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    s.wait_for_css("[data-testid=settings-screen]", ACTION)
        .unwrap();
    assert!(
        s.find_all("[data-testid=sandbox-badge]")
            .unwrap()
            .is_empty(),
        "the Sandbox badge is still shown in production"
    );

    // Remove a key: gone from the keychain, shown as not set.
    click(
        s,
        "[data-testid=key-flanks-client_secret] [data-testid=key-remove]",
    );
    s.wait_for_text(
        "[data-testid=key-flanks-client_secret] [data-testid=key-state]",
        ACTION,
        |t| t == "Not set",
    )
    .unwrap();
    assert_eq!(keychain(&home.keyring_service(), "client_secret"), None);

    // Back to the sandbox: the badge returns.
    click(s, "[data-testid=env-sandbox]");
    s.wait_for_css("[data-testid=sandbox-url]", ACTION).unwrap();
    s.execute("location.reload()", vec![]).unwrap();
    s.wait_for_css("[data-testid=sandbox-badge]", ACTION)
        .unwrap_or_else(|e| app.fail("settings", &format!("badge back: {e}")));
    app.quit();
}

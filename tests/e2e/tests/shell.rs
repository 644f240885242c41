//! The window itself: locked down (CSP, no global Tauri object, only granted commands) and
//! speaking the advisor's language across a restart.

use advisor_desk_e2e::{AppHome, RunningApp, ACTION};
use advisor_desk_testkit::webdriver::wait_until;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::{json, Value};

/// Calls a command through Tauri's internal bridge and reports `{ok}` or `{err}`.
const INVOKE: &str = "
    const [cmd, args, done] = arguments;
    window.__TAURI_INTERNALS__.invoke(cmd, args).then(
        (ok) => done({ ok }),
        (err) => done({ err: typeof err === 'string' ? err : JSON.stringify(err) }),
    );";

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn the_window_runs_under_a_strict_csp_and_only_its_granted_commands() {
    let home = AppHome::new();
    let app = RunningApp::start(&home, "lockdown");
    let s = &app.session;

    // withGlobalTauri is off: no `window.__TAURI__` for injected code to find.
    assert_eq!(
        s.execute("return typeof window.__TAURI__", vec![]).unwrap(),
        json!("undefined")
    );

    // script-src 'self': an inline script does not run and the CSP reports it.
    let ran = s
        .execute(
            "window.__violations = [];
             document.addEventListener('securitypolicyviolation',
                 (e) => window.__violations.push(e.effectiveDirective || e.violatedDirective));
             const el = document.createElement('script');
             el.textContent = 'window.__inlineRan = true';
             document.head.appendChild(el);
             return window.__inlineRan === true;",
            vec![],
        )
        .unwrap();
    assert_eq!(ran, json!(false), "an inline script ran despite the CSP");
    let violations = wait_until("a CSP violation report", ACTION, || {
        let v = s.execute("return window.__violations", vec![])?;
        Ok(v.as_array().filter(|a| !a.is_empty()).cloned())
    })
    .unwrap();
    assert!(
        violations
            .iter()
            .any(|d| d.as_str().is_some_and(|d| d.starts_with("script-src"))),
        "{violations:?}"
    );

    // A granted app command works; a core command the capability does not grant is refused.
    let listed = s
        .execute_async(INVOKE, vec![json!("list_clients"), json!({})])
        .unwrap();
    assert_eq!(listed, json!({ "ok": [] }));
    let refused = s
        .execute_async(
            INVOKE,
            vec![
                json!("plugin:window|set_title"),
                json!({ "label": "main", "value": "pwned" }),
            ],
        )
        .unwrap();
    let err = refused["err"].as_str().unwrap_or_default();
    assert!(
        err.contains("not allowed"),
        "expected a refusal, got {refused}"
    );
    assert_eq!(s.title().unwrap(), "Advisor Desk");

    // Errors from the core cross the bridge as {code, message}.
    let invalid = s
        .execute_async(
            INVOKE,
            vec![json!("add_client"), json!({ "client": { "name": " " } })],
        )
        .unwrap();
    let body: Value = serde_json::from_str(invalid["err"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({ "code": "invalid_input", "message": "a client needs a name" })
    );

    // So do bad arguments, whatever the page sends: a missing, mistyped or impossible id, a
    // missing flag, an unknown enum; and an id that names nothing is not_found.
    for (cmd, args, code) in [
        ("client_overview", json!({}), "invalid_input"),
        (
            "client_overview",
            json!({ "clientId": "1" }),
            "invalid_input",
        ),
        (
            "client_overview",
            json!({ "clientId": -4 }),
            "invalid_input",
        ),
        (
            "client_overview",
            json!({ "clientId": 1.5 }),
            "invalid_input",
        ),
        ("delete_client", json!({ "clientId": 9 }), "invalid_input"),
        (
            "start_connect",
            json!({ "clientId": 1, "flow": "telnet" }),
            "invalid_input",
        ),
        (
            "remove_connection",
            json!({ "connectionId": [1] }),
            "invalid_input",
        ),
        (
            "client_overview",
            json!({ "clientId": 999_999 }),
            "not_found",
        ),
    ] {
        let r = s
            .execute_async(INVOKE, vec![json!(cmd), args.clone()])
            .unwrap();
        let err = r["err"].as_str().unwrap_or_default();
        let body: Value = serde_json::from_str(err)
            .unwrap_or_else(|_| panic!("{cmd}({args}): not {{code, message}}: {r}"));
        assert_eq!(body["code"], code, "{cmd}({args}): {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
    app.quit();
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn the_language_choice_applies_at_once_and_survives_a_restart() {
    let home = AppHome::new();
    let app = RunningApp::start(&home, "language-run1");
    let s = &app.session;
    let switcher = s.find("[data-testid=language-switcher]").unwrap();
    // Selecting an option by clicking it is what an advisor does with the select.
    s.click(&switcher).unwrap();
    s.click(
        &s.find("[data-testid=language-switcher] option[value=es]")
            .unwrap(),
    )
    .unwrap();
    s.wait_for_text("[data-testid=add-client-submit]", ACTION, |t| {
        t == "Añadir cliente"
    })
    .unwrap_or_else(|e| app.fail("language-run1", &e.to_string()));
    assert_eq!(
        s.execute("return document.documentElement.lang", vec![])
            .unwrap(),
        json!("es")
    );
    // The choice is saved in the advisor's database, not only in webview storage.
    wait_until("ui.locale = es in the database", ACTION, || {
        let db = Connection::open_with_flags(home.database(), OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the app's database");
        let saved: Option<String> = db
            .query_row(
                "SELECT value FROM settings WHERE key = 'ui.locale'",
                [],
                |r| r.get(0),
            )
            .optional()
            .expect("read settings");
        Ok((saved.as_deref() == Some("es")).then_some(()))
    })
    .unwrap_or_else(|e| app.fail("language-run1", &e.to_string()));
    app.quit();

    let app = RunningApp::start(&home, "language-run2");
    let s = &app.session;
    let empty = s
        .wait_for_text("[data-testid=client-list-empty]", ACTION, |t| !t.is_empty())
        .unwrap_or_else(|e| app.fail("language-run2", &e.to_string()));
    assert!(empty.contains("Todavía no hay clientes"), "{empty}");
    app.quit();
}

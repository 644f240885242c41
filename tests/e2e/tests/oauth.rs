//! Real banks' sign-in in the real app window (issue 13): a Flinks OAuth bank through its
//! pop-up (a child link window on the bank's origin that reports to its opener and closes)
//! and through `oauthWindowRedirect=true` (redirects in the link window); a bank page's
//! `target="_blank"` help link, which goes to the system browser (a fake `xdg-open` on PATH
//! records it) while the link window stays; a Flanks PSD2 connector through its redirects.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use advisor_desk_e2e::inspect::{connections, invoke, sandbox_url};
use advisor_desk_e2e::pages::{click, click_and_leave, doc_screenshot, fill};
use advisor_desk_e2e::{artifacts_dir, AppHome, RunningApp, ACTION};
use advisor_desk_testkit::webdriver::{wait_until, Session};
use serde_json::{json, Value};

/// The exchange, the first sync and the sandbox's 5 s pending delay fit in this.
const LINKED: Duration = Duration::from_secs(90);

fn shot(s: &Session, name: &str) {
    let _ = s.screenshot(&artifacts_dir().join(format!("{name}.png")));
}

/// Calls a harmless command from the current window's page, as a hostile page would.
fn command_from_page(s: &Session) -> Value {
    s.execute_async(
        "const done = arguments[arguments.length - 1];
         const t = window.__TAURI_INTERNALS__;
         if (!t) { done({ none: true }); return; }
         setTimeout(() => done({ no_answer: true }), 3000);
         t.invoke('list_clients', {}).then((ok) => done({ ok }), (err) => done({ err: String(err) }));",
        vec![],
    )
    .unwrap()
}

/// Waits for a window not in `known` and switches to it.
fn switch_to_new(s: &Session, known: &[String]) -> String {
    let handle = wait_until("a new window", ACTION, || {
        Ok(s.window_handles()?.into_iter().find(|h| !known.contains(h)))
    })
    .expect("a new window");
    s.switch_to_window(&handle).unwrap();
    handle
}

/// Waits until only `main` is left, and switches back to it.
fn wait_only(s: &Session, main: &str) {
    let deadline = Instant::now() + ACTION;
    while s.window_handles().unwrap().iter().any(|h| h != main) {
        assert!(Instant::now() < deadline, "a link window stayed open");
        std::thread::sleep(Duration::from_millis(200));
    }
    s.switch_to_window(main).unwrap();
}

fn wait_status(s: &Session, client: i64, status: &str) -> Value {
    wait_until(&format!("a {status} connection"), LINKED, || {
        Ok(connections(s, client)
            .into_iter()
            .find(|c| c["status"] == status))
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", connections(s, client)))
}

/// Signs in as `user` on the bank's page and approves; waits for the flow's windows to close
/// and the client's connection to work.
fn approve_at_bank(s: &Session, main: &str, client: i64, user: &str) -> Value {
    fill(s, "#bank-username", user);
    fill(s, "#bank-password", "pw");
    click_and_leave(s, "#bank-approve");
    wait_only(s, main);
    wait_status(s, client, "ready")
}

fn add_client(s: &Session, name: &str) -> i64 {
    invoke(s, "add_client", json!({ "client": { "name": name } }))["id"]
        .as_i64()
        .unwrap()
}

/// A directory with an `xdg-open` that records its argument in `opened.txt` beside it.
fn fake_browser() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("opened.txt");
    let script = dir.path().join("xdg-open");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, log)
}

fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Starts Flinks Connect for `client` and chooses RBC (an OAuth bank) in the link window.
/// Returns the link window's handle.
fn choose_rbc(s: &Session, main: &str, client: i64) -> String {
    invoke(
        s,
        "start_connect",
        json!({ "clientId": client, "flow": "flinks_connect" }),
    );
    let link = switch_to_new(s, &[main.to_string()]);
    let consent = wait_until("the widget's first screen", ACTION, || {
        Ok(s.execute(
            "return document.querySelector('#consent-accept') ? 'consent'
             : document.querySelector('#institution-rbc') ? 'institutions' : null",
            vec![],
        )?
        .as_str()
        .map(|screen| screen == "consent"))
    })
    .unwrap();
    if consent {
        click(s, "#consent-accept");
    }
    click(s, "#institution-rbc");
    s.wait_for_css("#oauth-continue", ACTION).unwrap();
    link
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn an_oauth_bank_signs_in_through_its_popup_and_its_help_link_goes_to_the_browser() {
    let home = AppHome::new();
    let (bin, opened) = fake_browser();
    let path = path_with(bin.path());
    let app = RunningApp::start_with_env(
        &home,
        "oauth-popup",
        "[data-testid=sandbox-badge]",
        &[
            ("ADVISOR_DESK_FLINKS_OAUTH_WINDOW_REDIRECT", "false"),
            ("PATH", &path),
        ],
    );
    let s = &app.session;
    let main = s.current_window().unwrap();
    let client = add_client(s, "Olivia OAuth");
    let link = choose_rbc(s, &main, client);
    let provider = s.current_url().unwrap();
    shot(s, "oauth-popup-continue");

    // A real click (a user gesture): Connect opens the bank's page with window.open.
    click(s, "#oauth-continue");
    let popup = switch_to_new(s, &[main.clone(), link.clone()]);
    s.wait_for_css("#bank-username", ACTION)
        .unwrap_or_else(|e| app.fail("oauth-popup", &format!("bank page in the pop-up: {e}")));
    let bank_url = s.current_url().unwrap();
    let origin = |u: &str| u.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    assert_ne!(
        origin(&bank_url),
        origin(&provider),
        "the bank is on another origin"
    );
    // The pop-up is related to its opener, and has no way into the app either.
    let probe = s
        .execute("return { opener: !!window.opener }", vec![])
        .unwrap();
    assert_eq!(
        probe["opener"], true,
        "window.opener in the pop-up: {probe}"
    );
    let from_popup = command_from_page(s);
    assert!(
        from_popup["err"]
            .as_str()
            .is_some_and(|e| e.contains("not allowed")),
        "the pop-up could call a command: {from_popup}"
    );
    shot(s, "oauth-popup-bank");

    // The help link is for reading: the system browser gets it, no window opens.
    click(s, "#bank-help");
    let recorded = wait_until("the fake browser to be called", ACTION, || {
        Ok(std::fs::read_to_string(&opened)
            .ok()
            .filter(|t| !t.is_empty()))
    })
    .unwrap();
    assert!(
        recorded
            .trim()
            .starts_with(&format!("{}/bank/help?", origin(&bank_url))),
        "{recorded}"
    );
    let handles = s.window_handles().unwrap();
    assert_eq!(handles.len(), 3, "no window for the help page: {handles:?}");
    assert_eq!(s.current_url().unwrap(), bank_url, "the bank page stayed");

    // Approve: the pop-up reports to Connect and closes; Connect finishes; the app connects.
    fill(s, "#bank-username", "olivia");
    fill(s, "#bank-password", "pw");
    click_and_leave(s, "#bank-approve");
    wait_until("the pop-up to close", ACTION, || {
        Ok((!s.window_handles()?.contains(&popup)).then_some(()))
    })
    .unwrap_or_else(|e| app.fail("oauth-popup", &format!("pop-up: {e}")));
    wait_only(s, &main);
    let c = wait_status(s, client, "ready");
    assert_eq!(c["provider"], "flinks", "{c}");
    app.quit();
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn with_oauth_window_redirect_the_bank_signs_in_inside_the_link_window() {
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, "oauth-redirect", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let main = s.current_window().unwrap();
    let client = add_client(s, "Rafael Redirect");
    choose_rbc(s, &main, client);
    assert!(
        s.current_url()
            .unwrap()
            .contains("oauthWindowRedirect=true"),
        "the app's default for Flinks"
    );
    click_and_leave(s, "#oauth-continue");
    s.wait_for_css("#bank-username", ACTION)
        .unwrap_or_else(|e| app.fail("oauth-redirect", &format!("bank page: {e}")));
    assert_eq!(s.window_handles().unwrap().len(), 2, "no pop-up");
    shot(s, "oauth-redirect-bank");
    let c = approve_at_bank(s, &main, client, "rafael");
    assert_eq!(c["provider"], "flinks", "{c}");
    app.quit();
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn a_flanks_psd2_connector_signs_in_on_the_banks_page_through_redirects() {
    let home = AppHome::new();
    let (bin, opened) = fake_browser();
    let path = path_with(bin.path());
    let app = RunningApp::start_with_env(
        &home,
        "oauth-psd2",
        "[data-testid=sandbox-badge]",
        &[("PATH", &path)],
    );
    let s = &app.session;
    let main = s.current_window().unwrap();
    let client = add_client(s, "Pilar PSD2");
    invoke(
        s,
        "start_connect",
        json!({ "clientId": client, "flow": "flanks_connect_v2" }),
    );
    switch_to_new(s, std::slice::from_ref(&main));
    click(s, "#connector-santander");
    s.wait_for_css("#psd2-continue", ACTION)
        .unwrap_or_else(|e| app.fail("oauth-psd2", &format!("PSD2 page: {e}")));
    shot(s, "oauth-psd2-leave");
    click_and_leave(s, "#psd2-continue");
    s.wait_for_css("#bank-username", ACTION).unwrap();
    let bank_page = s.current_url().unwrap();
    assert!(bank_page.contains("/bank/authorize?"));
    // The bank's help link, from the link window itself: the system browser, the window stays.
    click(s, "#bank-help");
    let recorded = wait_until("the fake browser to be called", ACTION, || {
        Ok(std::fs::read_to_string(&opened)
            .ok()
            .filter(|t| !t.is_empty()))
    })
    .unwrap();
    assert!(recorded.contains("/bank/help?bank=Banco"), "{recorded}");
    assert_eq!(
        s.window_handles().unwrap().len(),
        2,
        "no window for the help page"
    );
    assert_eq!(
        s.current_url().unwrap(),
        bank_page,
        "the link window stayed"
    );
    shot(s, "oauth-psd2-bank");
    let c = approve_at_bank(s, &main, client, "pilar");
    assert_eq!(c["provider"], "flanks", "{c}");
    assert_eq!(c["institution_name"], "santander", "{c}");
    app.quit();
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn a_blocked_bank_popup_is_reported_to_the_advisor_with_the_next_step() {
    let home = AppHome::new();
    let app = RunningApp::start_with_env(
        &home,
        "oauth-blocked",
        "[data-testid=sandbox-badge]",
        &[("ADVISOR_DESK_FLINKS_OAUTH_WINDOW_REDIRECT", "false")],
    );
    let s = &app.session;
    let main = s.current_window().unwrap();
    let client = add_client(s, "Bruno Blocked");
    // From the client's connections panel, as the advisor does it.
    s.execute(&format!("location.hash = '#/client/{client}'"), vec![])
        .unwrap();
    click(s, "[data-testid=connect-region] option[value=canada]");
    click(s, "[data-testid=connect-here]");
    switch_to_new(s, std::slice::from_ref(&main));
    if s.wait_for_css("#consent-accept", ACTION).is_ok() {
        click(s, "#consent-accept");
    }
    click(s, "#institution-td");
    s.wait_for_css("#oauth-continue", ACTION).unwrap();
    // This webview refuses the window (as a browser with pop-ups blocked does): Connect
    // posts POPUP_BLOCKED, which ends the flow.
    s.execute(
        "window.open = function () { return null }; return true",
        vec![],
    )
    .unwrap();
    click_and_leave(s, "#oauth-continue");
    wait_only(s, &main);
    let notice = s
        .wait_for_text("[data-testid=connection-notice]", ACTION, |t| {
            t.contains("could not be opened")
        })
        .unwrap_or_else(|e| app.fail("oauth-blocked", &format!("notice: {e}")));
    assert!(
        notice.contains("press the button"),
        "the next step: {notice}"
    );
    s.execute(
        "document.querySelector('[data-testid=connection-notice]').scrollIntoView({block: 'center'})",
        vec![],
    )
    .unwrap();
    doc_screenshot(s, "connections-popup-blocked");
    let db = rusqlite::Connection::open_with_flags(
        home.database(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let outcome: String = db
        .query_row(
            "SELECT coalesce(outcome, '') || ' ' || coalesce(outcome_detail, '')
             FROM link_sessions WHERE client_id = ?1",
            [client],
            |r| r.get(0),
        )
        .unwrap();
    assert!(outcome.contains("POPUP_BLOCKED"), "{outcome}");
    assert!(connections(s, client).is_empty());
    app.quit();
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn a_flinks_redirect_event_alone_connects_in_either_documented_form() {
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, "oauth-event", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let main = s.current_window().unwrap();
    let base = sandbox_url(&home);
    // The widget only posts REDIRECT and stays on its page (as with jsRedirect=true): the
    // app must take the connection from the event itself.
    for (form, user) in [
        ("fields", "greatday_nomfa"),
        ("url", "sbx_client_e2e_older"),
    ] {
        ureq::post(&format!("{base}/_sandbox/flinks/redirect-event"))
            .send_json(json!({ "form": form, "navigate": false }))
            .expect("set the REDIRECT event's form");
        let client = add_client(s, &format!("Event {form}"));
        invoke(
            s,
            "start_connect",
            json!({ "clientId": client, "flow": "flinks_connect" }),
        );
        switch_to_new(s, std::slice::from_ref(&main));
        if s.wait_for_css("#consent-accept", ACTION).is_ok() {
            click(s, "#consent-accept");
        }
        click(s, "#institution-flinkscapital");
        fill(s, "#username", user);
        fill(s, "#password", "Everyday");
        click_and_leave(s, "#submit");
        wait_only(s, &main);
        let c = wait_status(s, client, "ready");
        assert_eq!(c["provider"], "flinks", "{form}: {c}");
    }
    app.quit();
}

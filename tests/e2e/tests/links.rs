//! Connecting and reauthorizing through the real app on its embedded sandbox: the provider's
//! page in the app's link window (driven by WebDriver), Pending SCA forced through the
//! sandbox's control plane, and callbacks delivered by the OS (`gio open advisordesk://…`).
//!
//! Commands are called from the main window the way the UI's adapter calls them
//! (`__TAURI_INTERNALS__.invoke`), so these tests do not depend on where the workspace puts
//! the connections panel; the provider pages are driven as a person would.

use std::path::Path;
use std::time::{Duration, Instant};

use advisor_desk_e2e::inspect::{
    audit_log, connections, gio_open, invoke, sandbox_book, sandbox_url,
};
use advisor_desk_e2e::link_window::LinkWindows;
use advisor_desk_e2e::pages::{click, click_and_leave, fill};
use advisor_desk_e2e::{artifacts_dir, AppHome, RunningApp, ACTION};
use advisor_desk_testkit::webdriver::Session;
use serde_json::{json, Value};

/// The bank exchange, the first sync and the sandbox's 5 s pending delay fit in this.
const LINKED: Duration = Duration::from_secs(90);

fn add_client(s: &Session, name: &str) -> i64 {
    invoke(s, "add_client", json!({ "client": { "name": name } }))["id"]
        .as_i64()
        .unwrap()
}

/// Waits until the client has one connection in `status`.
fn wait_status(s: &Session, client: i64, status: &str) -> Value {
    let deadline = Instant::now() + LINKED;
    loop {
        let list = connections(s, client);
        if let Some(c) = list.iter().find(|c| c["status"] == status) {
            return c.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no {status} connection for client {client}: {list:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn shot(s: &Session, name: &str) {
    let _ = s.screenshot(&artifacts_dir().join(format!("{name}.png")));
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn connect_in_the_link_window_then_reauthorize_only_the_sca() {
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, "links-window", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let base = sandbox_url(&home);
    let w = LinkWindows::of(&app);
    let client = add_client(s, "Lucía Window");

    // Connect account → Flanks legacy Link in the app's own window.
    let opened = invoke(
        s,
        "start_connect",
        json!({ "clientId": client, "flow": "flanks_link" }),
    );
    assert_eq!(opened["window"], format!("link-{}", opened["session_id"]));
    w.to_link_window();
    // The provider's page has no way into the app: the window is in no capability, so even
    // the most harmless command is refused (and nothing is listed).
    let from_link_window = s
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const t = window.__TAURI_INTERNALS__;
             if (!t) { done({ none: true }); return; }
             setTimeout(() => done({ no_answer: true }), 3000);
             t.invoke('list_clients', {}).then((ok) => done({ ok }), (err) => done({ err: String(err) }));",
            vec![],
        )
        .unwrap();
    click(s, "#bank-testbank");
    shot(s, "links-window-login");
    fill(s, "#username", "e2e.window.user");
    fill(s, "#password", "SCA_SMS");
    click_and_leave(s, "#submit");
    fill(s, "#sca-answer", "482913");
    click_and_leave(s, "#sca-submit");
    // The redirect to advisordesk://link/callback is caught: the app closes the window.
    w.back_when_closed();
    let c = wait_status(s, client, "ready");
    assert_eq!(c["institution_name"], "testbank", "{c}");
    assert!(
        c["last_success_at"].is_string(),
        "the data was fetched: {c}"
    );
    let conn_id = c["id"].as_i64().unwrap();

    // Pending SCA, forced at the provider; the next sync sees it.
    let token = sandbox_book(&base)
        .into_iter()
        .find(|e| e["username"] == "e2e.window.user")
        .expect("the new credential in the sandbox")["token"]
        .as_str()
        .unwrap()
        .to_string();
    ureq::post(&format!("{base}/_sandbox/credentials/force"))
        .send_json(json!({ "credentials_token": token, "state": "pending_sca" }))
        .expect("force pending SCA");
    invoke(
        s,
        "sync_now",
        json!({ "scope": { "kind": "connection", "id": conn_id } }),
    );
    wait_status(s, client, "pending_sca");

    // Reauthorize: the window asks only the SCA (no user/password), same connection.
    let r = invoke(s, "start_reauthorize", json!({ "connectionId": conn_id }));
    assert_eq!(r["kind"], "opened", "{r}");
    w.to_link_window();
    s.wait_for_css("#sca-answer", ACTION)
        .unwrap_or_else(|e| app.fail("links-window", &format!("SCA page: {e}")));
    assert!(
        s.find_all("#username").unwrap().is_empty(),
        "a reauthorization for Pending SCA must not ask for the login again"
    );
    shot(s, "links-window-sca");
    fill(s, "#sca-answer", "123456");
    click_and_leave(s, "#sca-submit");
    w.back_when_closed();
    let c = wait_status(s, client, "ready");
    assert_eq!(c["id"].as_i64(), Some(conn_id), "the same connection: {c}");
    assert_eq!(connections(s, client).len(), 1);
    eprintln!("a command called from the link window: {from_link_window}");
    assert!(
        from_link_window["err"]
            .as_str()
            .is_some_and(|e| e.contains("not allowed")),
        "the link window could call a command: {from_link_window}"
    );

    let actions: Vec<_> = audit_log(&home.database())
        .into_iter()
        .map(|(_, a, _)| a)
        .collect();
    assert!(
        actions
            .iter()
            .filter(|a| *a == "link.callback.accepted")
            .count()
            == 2,
        "{actions:?}"
    );
    app.quit();
}

/// Starts a Flinks Connect for `client`, and in the link window logs in to Flinks Capital as
/// `username` (consent first when the widget asks). Returns the link session's id.
fn log_in_to_flinks_in_the_link_window(
    s: &Session,
    w: &LinkWindows,
    client: i64,
    username: &str,
) -> i64 {
    let opened = invoke(
        s,
        "start_connect",
        json!({ "clientId": client, "flow": "flinks_connect" }),
    );
    let session_id = opened["session_id"].as_i64().unwrap();
    w.to_link_window();
    // The widget opens on its consent screen or straight on the institution list: wait for
    // one of them before deciding (a page still loading has neither).
    let consent =
        advisor_desk_testkit::webdriver::wait_until("the widget's first screen", ACTION, || {
            Ok(s.execute(
                "return document.querySelector('#consent-accept') ? 'consent'
                 : document.querySelector('#institution-flinkscapital') ? 'institutions' : null",
                vec![],
            )?
            .as_str()
            .map(|screen| screen == "consent"))
        })
        .expect("the widget's first screen");
    if consent {
        click(s, "#consent-accept");
    }
    click(s, "#institution-flinkscapital");
    fill(s, "#username", username);
    fill(s, "#password", "Everyday");
    click_and_leave(s, "#submit");
    session_id
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn a_flinks_error_event_in_the_link_window_ends_the_session_with_its_wording() {
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, "links-event", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let w = LinkWindows::of(&app);
    let client = add_client(s, "Disabled Login");
    let session_id = log_in_to_flinks_in_the_link_window(s, &w, client, "test_disabled_account");
    // DISABLED_LOGIN is posted by the widget; the app ends the session and closes the window.
    w.back_when_closed();
    let db = rusqlite::Connection::open_with_flags(
        home.database(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let (outcome, completed): (Option<String>, Option<String>) = db
        .query_row(
            "SELECT outcome, completed_at FROM link_sessions WHERE id = ?1",
            [session_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(outcome.as_deref(), Some("DISABLED_LOGIN"));
    assert!(completed.is_some());
    assert!(connections(s, client).is_empty());
    app.quit();
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn flinks_connect_in_the_link_window_connects_despite_its_close_session_event() {
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, "links-flinks", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let w = LinkWindows::of(&app);
    let client = add_client(s, "Flinks In Window");
    // The success screen posts COMPONENT_CLOSE_SESSION, then REDIRECT, then redirects with the
    // loginId: the app must take the redirect, not the close event.
    let session_id = log_in_to_flinks_in_the_link_window(s, &w, client, "greatday_nomfa");
    w.back_when_closed();
    let c = wait_status(s, client, "ready");
    assert_eq!(c["provider"], "flinks", "{c}");
    let db = rusqlite::Connection::open_with_flags(
        home.database(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let outcome: Option<String> = db
        .query_row(
            "SELECT outcome FROM link_sessions WHERE id = ?1",
            [session_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_ne!(outcome.as_deref(), Some("COMPONENT_CLOSE_SESSION"));
    app.quit();
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn os_deep_links_reach_the_handler_forged_refused_valid_accepted() {
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, "links-deep", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let base = sandbox_url(&home);
    // register_all() wrote the handler into the app's own XDG data folder.
    let xdg_data = home
        .xdg_env()
        .into_iter()
        .find(|(k, _)| *k == "XDG_DATA_HOME")
        .unwrap()
        .1;
    let handler = Path::new(&xdg_data).join("applications/advisor-desk-handler.desktop");
    let entry =
        std::fs::read_to_string(&handler).unwrap_or_else(|e| panic!("{}: {e}", handler.display()));
    assert!(entry.contains("%u") && entry.contains("x-scheme-handler/advisordesk"));

    let client = add_client(s, "Olivia Deep");
    // "Send link": the client is elsewhere; the core built the provider URL with the state.
    let link = invoke(
        s,
        "send_link",
        json!({ "clientId": client, "flow": "flinks_connect" }),
    );
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with(&base), "{url}");
    let redirect = query_param(url, "redirectUrl").expect("redirectUrl in the Flinks link");
    assert!(
        redirect.starts_with("advisordesk://link/callback?state="),
        "{redirect}"
    );

    // A forged link (a state no session has) is refused and audited, nothing connected.
    gio_open(
        &home,
        &format!(
            "advisordesk://link/callback?state={}&loginId=1c25f529-a551-4755-84a1-5a4db0d62fb4&institution=FlinksCapital",
            "ab".repeat(32)
        ),
    );
    let deadline = Instant::now() + ACTION;
    loop {
        let refused = audit_log(&home.database())
            .into_iter()
            .any(|(actor, a, d)| {
                actor == "deep_link" && a == "link.callback.refused" && d.contains("unknown_state")
            });
        if refused {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no refusal audited: {:?}",
            audit_log(&home.database())
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(connections(s, client).is_empty());

    // The genuine result for the open session, as the provider's redirect would deliver it.
    let login = sandbox_book(&base)
        .into_iter()
        .find(|e| e["provider"] == "flinks")
        .expect("a seeded Flinks login")["token"]
        .as_str()
        .unwrap()
        .to_string();
    gio_open(
        &home,
        &format!("{redirect}&loginId={login}&institution=FlinksCapital"),
    );
    let c = wait_status(s, client, "ready");
    assert_eq!(c["provider"], "flinks", "{c}");
    let audit = audit_log(&home.database());
    assert!(
        audit
            .iter()
            .any(|(actor, a, _)| actor == "deep_link" && a == "link.callback.accepted"),
        "{audit:?}"
    );
    // The one-use values never reach the audit log.
    assert!(audit.iter().all(|(_, _, d)| !d.contains(&login)));
    // Still one app: the second process handed the URL over and exited.
    assert!(w_handles_single(&app));
    app.quit();
}

fn w_handles_single(app: &RunningApp) -> bool {
    let w = LinkWindows::of(app);
    w.handles().len() == 1
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn a_deep_link_that_starts_the_app_is_handled_once_the_app_is_up() {
    let home = AppHome::new();
    // First run: a link is sent to the client; the advisor closes the app.
    let app = RunningApp::start_until(&home, "links-cold-1", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let client = add_client(s, "Cold Start");
    let link = invoke(
        s,
        "send_link",
        json!({ "clientId": client, "flow": "flinks_connect" }),
    );
    let redirect = query_param(link["url"].as_str().unwrap(), "redirectUrl").unwrap();
    app.quit();

    // The client finishes; the OS starts the app with the redirect as its only argument.
    // The sandbox is a new one after a restart, but seeded the same way.
    let login = "1c25f529-a551-4755-84a1-5a4db0d62fb4";
    let url = format!("{redirect}&loginId={login}&institution=FlinksCapital");
    let app = RunningApp::start_with_args(
        &home,
        "links-cold-2",
        "[data-testid=sandbox-badge]",
        &[url.as_str()],
    );
    let s = &app.session;
    let c = wait_status(s, client, "ready");
    assert_eq!(c["provider"], "flinks", "{c}");
    assert!(audit_log(&home.database())
        .iter()
        .any(|(actor, a, _)| actor == "deep_link" && a == "link.callback.accepted"));
    app.quit();
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn a_login_already_at_the_provider_is_offered_for_mapping_instead_of_failing() {
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, "links-duplicate", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let base = sandbox_url(&home);
    let w = LinkWindows::of(&app);
    // Listen for link results as the UI does, and say so (held results come back here).
    s.execute(
        "window.__links = [];
         const T = window.__TAURI_INTERNALS__;
         T.invoke('plugin:event|listen', { event: 'link://outcome', target: { kind: 'Any' },
           handler: T.transformCallback((e) => window.__links.push(e.payload)) });",
        vec![],
    )
    .unwrap();
    invoke(s, "link_inbox_ready", json!({}));
    let client = add_client(s, "Beatriz Duplicate");
    // A login the provider already holds for this company (seeded in the sandbox), unknown
    // to this app.
    let seeded = sandbox_book(&base)
        .into_iter()
        .find(|e| e["provider"] == "flanks" && e["bank"] == "testbank")
        .expect("a seeded TestBank login");
    let opened = invoke(
        s,
        "start_connect",
        json!({ "clientId": client, "flow": "flanks_link" }),
    );
    let session_id = opened["session_id"].as_i64().unwrap();
    w.to_link_window();
    click(s, "#bank-testbank");
    fill(s, "#username", seeded["username"].as_str().unwrap());
    fill(s, "#password", "any-password");
    click_and_leave(s, "#submit");
    w.back_when_closed();
    let deadline = Instant::now() + LINKED;
    let duplicate = loop {
        let events = s.execute("return window.__links", vec![]).unwrap();
        if let Some(d) = events
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["outcome"]["outcome"] == "duplicate")
        {
            break d["outcome"].clone();
        }
        assert!(Instant::now() < deadline, "no duplicate offer: {events}");
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(duplicate["session_id"].as_i64(), Some(session_id));
    assert!(
        duplicate["message"]
            .as_str()
            .unwrap()
            .contains("already connected"),
        "{duplicate}"
    );
    let candidate = duplicate["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["mapped_to_client_id"].is_null())
        .unwrap_or_else(|| panic!("no mappable candidate: {duplicate}"))
        .clone();
    assert!(connections(s, client).is_empty());
    let mapped = invoke(
        s,
        "map_existing_credential",
        json!({ "sessionId": session_id, "credentialRef": candidate["credential_ref"] }),
    );
    assert_eq!(mapped["outcome"], "connected", "{mapped}");
    let c = wait_status(s, client, "ready");
    assert_eq!(c["provider"], "flanks");
    app.quit();
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn a_sent_link_completed_elsewhere_is_found_by_the_app_itself() {
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, "links-poll", "[data-testid=sandbox-badge]");
    let s = &app.session;
    let base = sandbox_url(&home);
    let client = add_client(s, "Javier Elsewhere");
    let link = invoke(
        s,
        "send_link",
        json!({ "clientId": client, "flow": "flanks_link" }),
    );
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{base}/link?")), "{url}");
    // The client opens the link on their phone; its redirect never reaches this machine.
    let query = url.split_once('?').unwrap().1;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .build()
        .into();
    let response = agent
        .post(&format!("{base}/link/login"))
        .send_form([
            ("q", format!("{query}&bank=testbank").as_str()),
            ("username", "e2e.phone.user"),
            ("password", "any-password"),
        ])
        .expect("log in on the provider's page");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        location.starts_with("advisordesk://link/callback") && location.contains("code="),
        "{} {location}",
        response.status()
    );
    assert!(connections(s, client).is_empty());
    // The app looks for unused codes itself (on a timer and at start-up; here, at once).
    let found = invoke(s, "poll_links", json!({}));
    assert!(found.as_u64().unwrap() >= 1, "{found}");
    let c = wait_status(s, client, "ready");
    assert_eq!(c["institution_name"], "testbank", "{c}");
    let audit = audit_log(&home.database());
    assert!(
        audit
            .iter()
            .any(|(actor, a, _)| actor == "poller" && a == "link.callback.accepted")
            || audit
                .iter()
                .any(|(_, a, _)| a == "connection.added" || a == "link.finished"),
        "{audit:?}"
    );
    app.quit();
}

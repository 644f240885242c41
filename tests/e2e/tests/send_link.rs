//! Links sent to clients who are not in the room, in the real window on the sandbox's demo
//! book: a scheduled update finds two connections newly in Pending SCA and the desktop
//! notification, clicked (the test notification server emits `ActionInvoked`), opens the health
//! queue; a batch send for the two clients composes one message per client in each client's
//! language; "Send link" on a connection card gives a link that a separate headless Chromium
//! opens and answers the SCA in, and the app finds the completion by itself (the poller) and
//! shows the connection healthy; "Renew now" on a healthy connection due within 14 days moves
//! its consent date and resets its forecast. Screenshots (en, es) go to docs/screenshots/.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use advisor_desk_e2e::demo::{app_with_synced_demo_book, make_scheduled_update_due};
use advisor_desk_e2e::inspect::{connections, invoke};
use advisor_desk_e2e::notifications::NotificationServer;
use advisor_desk_e2e::ui::{self, click, doc_shot, js, park_pointer, wait_js};
use advisor_desk_e2e::{artifacts_dir, AppHome, RunningApp, ACTION};
use advisor_desk_testkit::webdriver::{DriverProcess, Session};
use serde_json::{json, Value};

const NAME: &str = "send-link";
/// The demo book's first sync, or a scheduled update, on a busy machine.
const SYNCED: Duration = Duration::from_secs(240);
/// The app's poller looks at open link sessions every 60 s; then the connection re-syncs.
const FOUND: Duration = Duration::from_secs(240);
/// Days since the last SCA that put a connection within 14 days of the next one (90-day period).
const RENEWED_DAYS_AGO: i64 = 80;

/// A demo-book connection the test acts on: the app's ids and the sandbox's token.
#[derive(Debug, Clone)]
struct Picked {
    client_id: i64,
    client_name: String,
    connection_id: i64,
    bank: String,
    token: String,
}

/// `count` Flanks connections of `count` different clients who have only that connection.
fn pick_flanks(s: &Session, book: &[Value], count: usize) -> Vec<Picked> {
    let clients = invoke(s, "list_clients", json!({}));
    let by_name: BTreeMap<String, i64> = clients
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["id"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut picked: Vec<Picked> = Vec::new();
    for e in book.iter().filter(|e| e["provider"] == "flanks") {
        let name = e["holders"][0].as_str().unwrap().to_string();
        let Some(&client_id) = by_name.get(&name) else {
            continue;
        };
        let conns = connections(s, client_id);
        if conns.len() != 1 || picked.iter().any(|p| p.client_id == client_id) {
            continue;
        }
        picked.push(Picked {
            client_id,
            client_name: name,
            connection_id: conns[0]["id"].as_i64().unwrap(),
            // As the app names the bank (its messages and cards).
            bank: conns[0]["institution_name"]
                .as_str()
                .or(conns[0]["institution_id"].as_str())
                .unwrap()
                .to_string(),
            token: e["token"].as_str().unwrap().to_string(),
        });
        if picked.len() == count {
            return picked;
        }
    }
    panic!("not {count} single-connection Flanks clients in the demo book: {picked:?}");
}

fn connection(s: &Session, p: &Picked) -> Value {
    connections(s, p.client_id)
        .into_iter()
        .find(|c| c["id"].as_i64() == Some(p.connection_id))
        .expect("the connection is listed")
}

/// Polls `f` until it holds (see [`ui::wait_until`]).
fn wait_until(app: &RunningApp, what: &str, timeout: Duration, f: impl FnMut() -> bool) {
    ui::wait_until(app, NAME, what, timeout, f);
}

/// Writes to the app's database beside the running app (WAL; it waits for the app's writer).
fn db_write(home: &AppHome, sql: &str) {
    let db = rusqlite::Connection::open(home.database()).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db.execute_batch(sql).unwrap();
}

/// The messages of the sent-links panel: (client id, subject, body, expiry lines).
fn sent_messages(app: &RunningApp, expected: usize) -> Vec<Value> {
    let script = format!(
        "const m = [...document.querySelectorAll('[data-testid=sent-message]')];
         if (m.length !== {expected}) return null;
         return m.map(e => ({{
           client: Number(e.dataset.client),
           subject: e.querySelector('[data-testid=sent-subject]').value,
           body: e.querySelector('[data-testid=sent-body]').value,
           expiry: [...e.querySelectorAll('[data-testid=sent-expiry]')].map(l => l.textContent),
         }}));"
    );
    wait_js(app, NAME, "the sent messages", &script, ACTION)
        .as_array()
        .unwrap()
        .clone()
}

/// The one link a message's body carries, on the sandbox at `base`.
fn link_in(body: &str, base: &str) -> String {
    let mut links: Vec<&str> = body
        .split_whitespace()
        .filter(|w| w.starts_with(base))
        .collect();
    links.dedup();
    assert_eq!(links.len(), 1, "one link in the message: {body}");
    links[0].to_string()
}

fn item(p: &Picked) -> String {
    format!(
        "[data-testid=queue-item][data-connection-id='{}']",
        p.connection_id
    )
}

fn card(p: &Picked) -> String {
    format!(
        "[data-testid=connection-card][data-connection-id='{}']",
        p.connection_id
    )
}

/// The health queue with both Pending SCA rows and the due-soon row.
fn open_health_queue(app: &RunningApp, pending: &[&Picked], due: &Picked) {
    js(&app.session, "location.hash = '#/health'; return 1");
    let script = format!(
        "return !!(document.querySelector(\"[data-testid=queue-group-client] {}\")
            && document.querySelector(\"[data-testid=queue-group-client] {}\")
            && document.querySelector(\"[data-testid=queue-group-due-soon] {}\"));",
        item(pending[0]),
        item(pending[1]),
        item(due)
    );
    wait_js(app, NAME, "the health queue's rows", &script, SYNCED);
}

/// Selects both rows, sends one batch, and checks one message per client in each client's
/// language, each listing that client's bank with its link; shot as `shot`.
fn batch_send(app: &RunningApp, base: &str, es: &Picked, fr: &Picked, shot: &str) {
    for p in [es, fr] {
        click(
            app,
            NAME,
            &format!("{} [data-testid=queue-select]", item(p)),
        );
    }
    click(app, NAME, "[data-testid=queue-send-selected]");
    let messages = sent_messages(app, 2);
    let of = |p: &Picked| {
        messages
            .iter()
            .find(|m| m["client"].as_i64() == Some(p.client_id))
            .unwrap_or_else(|| panic!("no message for {}: {messages:?}", p.client_name))
            .clone()
    };
    let (to_es, to_fr) = (of(es), of(fr));
    assert_eq!(
        to_es["subject"],
        format!("Vuelva a conectar su banco: {}", es.bank),
        "{to_es}"
    );
    assert_eq!(
        to_fr["subject"],
        format!("Veuillez reconnecter votre banque: {}", fr.bank),
        "{to_fr}"
    );
    for (m, p, hello) in [(&to_es, es, "Hola"), (&to_fr, fr, "Bonjour")] {
        let body = m["body"].as_str().unwrap();
        assert!(
            body.starts_with(&format!("{hello} {}", p.client_name)),
            "{body}"
        );
        assert!(body.contains(&p.bank), "names the bank: {body}");
        let link = link_in(body, base);
        assert!(link.contains("sca_token="), "an SCA link: {link}");
        assert!(!body.contains(&p.token), "never the credentials_token");
        assert_eq!(m["expiry"].as_array().unwrap().len(), 1, "{m}");
    }
    park_pointer(app);
    doc_shot(&app.session, shot);
    click(app, NAME, "[data-testid=sent-close]");
}

/// "Send link" on the client page's card: the dialog, shot as `shot`; returns the link.
fn send_from_card(app: &RunningApp, base: &str, p: &Picked, shot: &str) -> String {
    js(
        &app.session,
        &format!("location.hash = '#/client/{}'; return 1", p.client_id),
    );
    click(
        app,
        NAME,
        &format!("{} [data-testid=send-reauthorization-link]", card(p)),
    );
    let messages = sent_messages(app, 1);
    let link = link_in(messages[0]["body"].as_str().unwrap(), base);
    // The card now shows the link as sent, beside its consent forecast.
    wait_js(
        app,
        NAME,
        "the card's sent link",
        &format!(
            "return document.querySelector(\"{} [data-testid=connection-sent-link]\")?.dataset.expired === 'false'",
            card(p)
        ),
        ACTION,
    );
    park_pointer(app);
    doc_shot(&app.session, shot);
    link
}

/// A separate browser, as the client's own: headless Chromium through chromedriver.
fn client_browser() -> (DriverProcess, Session, tempfile::TempDir) {
    let profile = tempfile::tempdir().unwrap();
    let driver = DriverProcess::chromedriver("/usr/bin/chromedriver").expect("chromedriver starts");
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=900,860",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let caps = json!({"browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}});
    let session = Session::new(driver.url(), caps).expect("browser session");
    (driver, session, profile)
}

/// The client answers the SCA of `link` in their own browser; the redirect to the app's
/// scheme goes nowhere (the app never receives it).
fn answer_sca_elsewhere(link: &str) {
    let (mut driver, b, _profile) = client_browser();
    b.navigate(link).unwrap();
    let answer = b.wait_for_css("#sca-answer", ACTION).expect("the SCA page");
    assert!(
        b.find_all("#password").unwrap().is_empty(),
        "a reauthorization link asks only the SCA"
    );
    b.send_keys(&answer, "482913").unwrap();
    let _ = b.screenshot(&artifacts_dir().join(format!("{NAME}-client-browser-sca.png")));
    b.execute(
        "setTimeout(() => document.querySelector('#sca-submit').click(), 0); return true",
        vec![],
    )
    .unwrap();
    // Let the form post reach the sandbox before the browser goes away.
    let _ = b.wait_for_css("#never-there", Duration::from_secs(3));
    let _ = b.delete();
    driver.stop();
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn a_sent_link_completed_elsewhere_renew_now_a_batch_send_and_the_notification_click() {
    let server = NotificationServer::start(NAME);
    let home = AppHome::new();
    let (app, base, book) = app_with_synced_demo_book(&home, NAME, SYNCED);
    let s = &app.session;
    let picked = pick_flanks(s, &book, 3);
    let (es, fr, due) = (&picked[0], &picked[1], &picked[2]);
    invoke(
        s,
        "set_client_contact",
        json!({ "clientId": es.client_id, "email": "cliente@example.com", "language": "es" }),
    );
    invoke(
        s,
        "set_client_contact",
        json!({ "clientId": fr.client_id, "email": null, "language": "fr" }),
    );
    // `due` last completed SCA 80 days ago: the next is due within 14 days.
    db_write(
        &home,
        &format!(
            "UPDATE connections SET consent_renewed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-{RENEWED_DAYS_AGO} days') WHERE id = {}",
            due.connection_id
        ),
    );

    // (d) The banks ask two clients for SCA; a scheduled update finds it and notifies.
    for p in [es, fr] {
        ureq::post(&format!("{base}/_sandbox/credentials/force"))
            .send_json(json!({ "credentials_token": p.token, "state": "pending_sca" }))
            .unwrap();
    }
    make_scheduled_update_due(&home.database());
    wait_until(&app, "the notification", SYNCED, || {
        !server.received().is_empty()
    });
    let notification = server.received()[0].clone();
    assert_eq!(
        notification["summary"], "2 connections need attention",
        "{notification}"
    );
    assert!(
        notification["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("default")),
        "the app asked to hear of a click: {notification}"
    );
    // The advisor is elsewhere in the app; a click on the notification opens the health queue.
    js(s, "location.hash = '#/settings'; return 1");
    s.wait_for_css("[data-testid=connection-settings]", ACTION)
        .unwrap_or_else(|e| app.fail(NAME, &format!("settings: {e}")));
    server.click(notification["id"].as_u64().unwrap(), "default");
    wait_js(
        &app,
        NAME,
        "the health queue after the click",
        "return location.hash === '#/health' && !!document.querySelector('[data-testid=queue-count]')",
        ACTION,
    );

    // The health queue: both in "needs the client", `due` within 14 days (English shots).
    open_health_queue(&app, &[es, fr], due);
    let forecast = js(
        s,
        &format!(
            "return document.querySelector(\"{} [data-testid=queue-consent]\").textContent",
            item(due)
        ),
    );
    assert!(
        forecast
            .as_str()
            .unwrap()
            .starts_with("Next SCA in 10 days"),
        "{forecast}"
    );
    park_pointer(&app);
    doc_shot(s, "health-due-soon");

    // (c) One batch for the two clients: one message each, in each client's language.
    batch_send(&app, &base, es, fr, "batch-send");
    for p in [es, fr] {
        let row = js(
            s,
            &format!(
                "return document.querySelector(\"{} [data-testid=queue-sent-link]\")?.dataset.expired ?? null",
                item(p)
            ),
        );
        assert_eq!(row, json!("false"), "the row shows its link as sent");
    }

    // (a) "Send link" on the card (English shots of the dialog and of the card with its link).
    send_from_card(&app, &base, es, "send-link");
    // No "next SCA in N days" while the bank is asking for it now.
    let card_forecast = js(
        s,
        &format!(
            "return document.querySelector(\"{} [data-testid=connection-consent]\")?.textContent ?? null",
            card(es)
        ),
    );
    assert_eq!(
        card_forecast,
        json!(null),
        "a Pending SCA card shows no forecast"
    );
    click(&app, NAME, "[data-testid=sent-close]");
    doc_shot(s, "connection-sent-link");

    // The same screens in Spanish.
    invoke(s, "set_ui_locale", json!({ "locale": "es" }));
    js(s, "location.hash = '#/'; location.reload(); return 1");
    s.wait_for_text("[data-testid=update-all]", SYNCED, |t| {
        t == "Actualizar todo"
    })
    .unwrap_or_else(|e| app.fail(NAME, &format!("Spanish: {e}")));
    open_health_queue(&app, &[es, fr], due);
    park_pointer(&app);
    doc_shot(s, "health-due-soon-es");
    batch_send(&app, &base, es, fr, "batch-send-es");
    let link = send_from_card(&app, &base, es, "send-link-es");
    click(&app, NAME, "[data-testid=sent-close]");
    doc_shot(s, "connection-sent-link-es");

    // (a) The client opens the newest link in their own browser and answers the SCA there.
    let before = connection(s, es);
    assert_eq!(before["status"], "pending_sca", "{before}");
    answer_sca_elsewhere(&link);
    // The app finds it by itself (no callback ever reached it), re-syncs, and the card is healthy.
    wait_until(
        &app,
        "the sent link's completion found by the poller",
        FOUND,
        || connection(s, es)["status"] == "ready",
    );
    let after = connection(s, es);
    assert!(after["consent_renewed_at"].is_string(), "{after}");
    assert!(
        after["sent_link"].is_null(),
        "no link waits any more: {after}"
    );
    wait_js(
        &app,
        NAME,
        "the card healthy",
        &format!(
            "const c = document.querySelector(\"{}\");
             return c?.dataset.status === 'ready' && !c.querySelector('[data-testid=connection-sent-link]');",
            card(es)
        ),
        SYNCED,
    );
    // Healthy again: the forecast starts from this SCA (the Spanish shot of a card's forecast).
    let card_forecast = js(
        s,
        &format!(
            "return document.querySelector(\"{} [data-testid=connection-consent]\")?.textContent.trim() ?? null",
            card(es)
        ),
    );
    assert!(
        card_forecast
            .as_str()
            .is_some_and(|t| t.starts_with("Próxima SCA en 90 días")),
        "the card's forecast: {card_forecast}"
    );
    park_pointer(&app);
    doc_shot(s, "connection-forecast-es");

    // (b) "Renew now" on the healthy connection due within 14 days: the SCA in the link window.
    let renewed_before = connection(s, due)["consent_renewed_at"].clone();
    assert_eq!(connection(s, due)["consent"]["days_left"], 10);
    open_health_queue_due_only(&app, due);
    let main = s.current_window().unwrap();
    click(
        &app,
        NAME,
        &format!("{} [data-testid=queue-renew]", item(due)),
    );
    let window = wait_for_other_window(&app, &main);
    s.switch_to_window(&window).unwrap();
    let answer = s
        .wait_for_css("#sca-answer", ACTION)
        .unwrap_or_else(|e| app.fail(NAME, &format!("the renewal's SCA page: {e}")));
    s.send_keys(&answer, "482913").unwrap();
    js(
        s,
        "setTimeout(() => document.querySelector('#sca-submit').click(), 0); return true",
    );
    wait_until(&app, "the link window closed", ACTION, || {
        !s.window_handles().unwrap().contains(&window)
    });
    s.switch_to_window(&main).unwrap();
    wait_until(&app, "the consent renewed", SYNCED, || {
        connection(s, due)["consent_renewed_at"] != renewed_before
    });
    let renewed = connection(s, due);
    assert_eq!(renewed["status"], "ready", "{renewed}");
    assert_eq!(renewed["consent"]["days_since"], 0, "{renewed}");
    assert!(
        renewed["consent"]["days_left"].as_i64().unwrap() >= 89,
        "the forecast starts again: {renewed}"
    );
    let queue = invoke(s, "health_queue", json!({}));
    assert!(
        queue["due_soon"]
            .as_array()
            .unwrap()
            .iter()
            .all(|it| it["connection"]["id"].as_i64() != Some(due.connection_id)),
        "no longer due soon: {queue}"
    );

    // The English shot of a card's forecast: the repaired connection, healthy.
    invoke(s, "set_ui_locale", json!({ "locale": "en" }));
    js(
        s,
        &format!(
            "location.hash = '#/client/{}'; location.reload(); return 1",
            es.client_id
        ),
    );
    wait_js(
        &app,
        NAME,
        "the card's forecast in English",
        &format!(
            "return document.querySelector(\"{} [data-testid=connection-consent]\")?.textContent.trim().startsWith('Next SCA in 90 days') === true",
            card(es)
        ),
        SYNCED,
    );
    js(
        s,
        &format!(
            "document.querySelector(\"{}\").scrollIntoView({{ block: 'center' }}); return 1",
            card(es)
        ),
    );
    park_pointer(&app);
    doc_shot(s, "connection-forecast");
    app.quit();
}

/// The health queue with `due` in its due-soon group.
fn open_health_queue_due_only(app: &RunningApp, due: &Picked) {
    js(&app.session, "location.hash = '#/health'; return 1");
    wait_js(
        app,
        NAME,
        "the due-soon row",
        &format!(
            "return !!document.querySelector(\"[data-testid=queue-group-due-soon] {}\")",
            item(due)
        ),
        SYNCED,
    );
}

/// The window that is not `main` (the link window "Renew now" opened).
fn wait_for_other_window(app: &RunningApp, main: &str) -> String {
    let deadline = Instant::now() + ACTION;
    loop {
        let handles = app.session.window_handles().unwrap();
        if let Some(h) = handles.into_iter().find(|h| h != main) {
            return h;
        }
        if Instant::now() > deadline {
            app.fail(NAME, "no link window opened");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

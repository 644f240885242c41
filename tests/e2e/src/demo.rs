//! The app on the sandbox's demo book, for the tests of repairing the whole book: loaded,
//! synced once, and with its daily refresh looked at every 2 s, so a test makes a scheduled
//! update run by marking the last one old (`make_scheduled_update_due`).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::inspect::{all_connections, sandbox_url};
use crate::ui::click;
use crate::{AppHome, RunningApp};

/// The app started on `home` with the demo book loaded and every connection `ready`; returns
/// it with the sandbox's base URL and its book (`GET /_sandbox/book`: provider, token,
/// holders, bank, username of each seeded credential).
pub fn app_with_synced_demo_book(
    home: &AppHome,
    name: &str,
    timeout: Duration,
) -> (RunningApp, String, Vec<Value>) {
    let app = RunningApp::start_with_env(
        home,
        name,
        "[data-testid=demo-book-offer]",
        &[
            ("ADVISOR_DESK_FIRST_REFRESH_SECS", "2"),
            ("ADVISOR_DESK_REFRESH_EVERY_SECS", "2"),
        ],
    );
    let base = sandbox_url(home);
    click(&app, name, "[data-testid=load-demo-book]");
    let book = sandbox_book(&base);
    let mut last = Vec::new();
    let deadline = Instant::now() + timeout;
    loop {
        let all = all_connections(&app.session);
        if all.len() == book.len() && all.iter().all(|c| c["status"] == "ready") {
            break;
        }
        let states: Vec<String> = all
            .iter()
            .map(|c| format!("{} {} {}", c["id"], c["status"], c["provider_code"]))
            .collect();
        if states != last {
            eprintln!("connections: {states:?}");
            last = states;
        }
        if Instant::now() > deadline {
            app.fail(name, "timed out: the demo book's first sync");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    (app, base, book)
}

/// The sandbox's seeded credentials.
pub fn sandbox_book(base: &str) -> Vec<Value> {
    let book: Value = ureq::get(&format!("{base}/_sandbox/book"))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    book.as_array().expect("the sandbox's book").clone()
}

/// The daily refresh ran this morning (at start): mark it old so the app's next look runs it.
pub fn make_scheduled_update_due(database: &Path) {
    let db = rusqlite::Connection::open(database).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db.execute(
        "UPDATE settings SET value = '2000-01-01T00:00:00+00:00' WHERE key = 'sync.last_scheduled_at'",
        [],
    )
    .unwrap();
}

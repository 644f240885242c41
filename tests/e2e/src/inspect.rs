//! What the end-to-end tests read besides the screen: the app's own commands (called from the
//! page, as the UI calls them), its database, the keychain (real Secret Service) and the
//! embedded sandbox's address.

use std::path::Path;
use std::time::{Duration, Instant};

use advisor_desk_testkit::webdriver::Session;
use serde_json::{json, Value};

use crate::{AppHome, STARTUP};

/// Calls a command from the page: `{ok}` or `{err}` comes back.
pub const INVOKE: &str = "const [cmd, args, done] = arguments;
    window.__TAURI_INTERNALS__.invoke(cmd, args).then(
        (ok) => done({ ok }),
        (err) => done({ err }),
    );";

/// A command's result; a refusal fails the test with the command, its arguments and the error.
pub fn invoke(s: &Session, cmd: &str, args: Value) -> Value {
    let r = s
        .execute_async(INVOKE, vec![json!(cmd), args.clone()])
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    match r.get("ok") {
        Some(v) => v.clone(),
        None => panic!("{cmd}({args}) failed: {r}"),
    }
}

/// One client's connections, as the connections panel lists them.
pub fn connections(s: &Session, client: i64) -> Vec<Value> {
    let list = invoke(s, "list_connections", json!({ "clientId": client }));
    list.as_array().expect("a list of connections").clone()
}

/// Every client's connections.
pub fn all_connections(s: &Session) -> Vec<Value> {
    let clients = invoke(s, "list_clients", json!({}));
    let clients = clients.as_array().expect("a list of clients");
    let ids = clients.iter().filter_map(|c| c["id"].as_i64());
    ids.flat_map(|id| connections(s, id)).collect()
}

/// The audit log, oldest first: (actor, action, detail).
pub fn audit_log(database: &Path) -> Vec<(String, String, String)> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let db = rusqlite::Connection::open_with_flags(database, flags).expect("open the database");
    let mut stmt = db
        .prepare("SELECT actor, action, detail FROM audit_log ORDER BY id")
        .expect("read the audit log");
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("read the audit log");
    rows.collect::<Result<Vec<_>, _>>()
        .expect("read the audit log")
}

/// What the keychain holds under `entry` in `service` (`secret-tool`, the real Secret Service).
pub fn keychain_lookup(service: &str, entry: &str) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", service, "username", entry])
        .output()
        .expect("run secret-tool");
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !v.is_empty()).then_some(v)
}

/// The embedded sandbox's base URL, once the app has written it into its data folder.
pub fn sandbox_url(home: &AppHome) -> String {
    let file = home.data_dir().join("sandbox-url.txt");
    let deadline = Instant::now() + STARTUP;
    loop {
        if let Ok(url) = std::fs::read_to_string(&file) {
            if url.starts_with("http://127.0.0.1:") {
                return url.trim().to_string();
            }
        }
        assert!(Instant::now() < deadline, "the app wrote no sandbox URL");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The embedded sandbox's book (`/_sandbox/book`): every credential it holds, with its
/// username, token and holders.
pub fn sandbox_book(base: &str) -> Vec<Value> {
    let v: Value = ureq::get(&format!("{base}/_sandbox/book"))
        .call()
        .expect("sandbox book")
        .body_mut()
        .read_json()
        .unwrap();
    v.as_array().unwrap().clone()
}

/// `gio open URL` as a browser or mail client would, with the app home's XDG folders (where
/// the app registered its handler) and so to the instance already running on that home.
pub fn gio_open(home: &AppHome, url: &str) {
    let mut cmd = std::process::Command::new("gio");
    cmd.arg("open").arg(url);
    for (k, v) in home.xdg_env() {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run gio");
    assert!(
        out.status.success(),
        "gio open failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

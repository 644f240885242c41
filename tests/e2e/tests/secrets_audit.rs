//! Secrets audit: a full sandbox scenario through the real app (API keys typed into Settings,
//! a Flanks and a Flinks client connected in the link window, a Flinks client by "Send link"
//! and an OS deep link, a Pending SCA reauthorized in the link window, a sync failed by
//! injected 5xx/401s, CSV exports), then every place the app writes or says
//! something is searched for every secret the sandbox accepted or handed out during the run
//! (`GET /_sandbox/secrets`) and every key typed: the SQLite files (WAL, SHM, backups), all
//! other files of the data folder, the webview's storage and caches (the home's XDG folders),
//! the exported CSVs, the app's stdout/stderr (the driver log), and every IPC payload of the
//! main window both ways (requests, results, events). Expected: zero hits.
//!
//! The one allowed sighting: a typed key in the `set_provider_key` request that carries it
//! from the Settings field to the keychain (that is how it gets there).
//!
//! Positive controls keep the audit honest: the scanner must find secrets planted in a SQLite
//! database (WAL included, deleted rows included, a UTF-16 database), in URL-encoded and
//! JSON-escaped text; a canary client name typed into the app must be found in the app's own
//! SQLite files and IPC records; the app's own log line must be in the scanned log; the IPC
//! recorder must have seen the sync's progress events.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

use advisor_desk_e2e::inspect::{gio_open, keychain_lookup, sandbox_url, INVOKE};
use advisor_desk_e2e::ipc_recorder::IpcRecorder;
use advisor_desk_e2e::link_window::LinkWindows;
use advisor_desk_e2e::secret_scan::{self, Report, Scanner, Secret};
use advisor_desk_e2e::{artifacts_dir, AppHome, RunningApp, ACTION};
use advisor_desk_testkit::webdriver::Session;
use serde_json::{json, Value};

const NAME: &str = "secrets-audit";
/// A link exchange plus the first sync (the sandbox's 5 s pending delay included).
const LINKED: Duration = Duration::from_secs(90);

fn random_hex() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    format!("{:016x}", h.finish())
}

/// The test's view of the app: the session, the IPC recorder (drained at every step, so a
/// reload loses as little as possible), and where to leave a screenshot on failure.
struct Audit<'a> {
    app: &'a RunningApp,
    s: &'a Session,
    ipc: IpcRecorder,
    /// The provider's link window is current: it has no IPC to record.
    in_link_window: bool,
    database: std::path::PathBuf,
}

impl Audit<'_> {
    fn collect(&mut self) {
        if !self.in_link_window {
            self.ipc.collect(self.s);
        }
    }

    fn enter_link_window(&mut self, w: &LinkWindows) {
        self.collect();
        w.to_link_window();
        self.in_link_window = true;
    }

    fn leave_link_window(&mut self, w: &LinkWindows) {
        w.back_when_closed();
        self.in_link_window = false;
        self.collect();
    }

    fn fail(&self, what: &str) -> ! {
        self.app.fail(NAME, what)
    }

    fn invoke(&mut self, cmd: &str, args: Value) -> Result<Value, Value> {
        let r = self
            .s
            .execute_async(INVOKE, vec![json!(cmd), args.clone()])
            .unwrap_or_else(|e| self.fail(&format!("{cmd}: {e}")));
        self.collect();
        match r.get("ok") {
            Some(v) => Ok(v.clone()),
            None => Err(r["err"].clone()),
        }
    }

    fn call(&mut self, cmd: &str, args: Value) -> Value {
        self.invoke(cmd, args.clone())
            .unwrap_or_else(|e| self.fail(&format!("{cmd}({args}) failed: {e}")))
    }

    fn connections(&mut self, client: i64) -> Vec<Value> {
        self.call("list_connections", json!({ "clientId": client }))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn wait_status(&mut self, client: i64, status: &str) -> Value {
        let deadline = Instant::now() + LINKED;
        loop {
            let last = self.connections(client);
            if let Some(c) = last.iter().find(|c| c["status"] == status) {
                return c.clone();
            }
            if Instant::now() > deadline {
                self.fail(&format!(
                    "timed out: client {client} has no {status} connection: {last:?}; \
                     audit log: {:?}",
                    self.audit_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// The last audit entries, for a failure message.
    fn audit_tail(&self) -> Vec<String> {
        let db = rusqlite::Connection::open_with_flags(
            &self.database,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let mut stmt = db
            .prepare("SELECT actor || ' ' || action || ' ' || detail FROM audit_log ORDER BY id DESC LIMIT 8")
            .unwrap();
        let rows = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<Vec<String>, _>>()
            .unwrap();
        rows
    }

    fn go(&mut self, hash: &str) {
        self.s
            .execute(&format!("location.hash = '{hash}'"), vec![])
            .unwrap();
        self.collect();
    }

    fn el(&self, css: &str) -> advisor_desk_testkit::webdriver::Element {
        self.s
            .wait_for_css(css, ACTION)
            .unwrap_or_else(|e| self.fail(&format!("{css}: {e}")))
    }

    fn click(&mut self, css: &str) {
        let el = self.el(css);
        self.s
            .click(&el)
            .unwrap_or_else(|e| self.fail(&format!("click {css}: {e}")));
        self.collect();
    }

    /// Clicks from the page: the app's notices may lie over a button, which a WebDriver click
    /// refuses ("click intercepted") where a person would dismiss them or scroll.
    fn press(&mut self, css: &str) {
        let el = self.el(css);
        self.s
            .execute("arguments[0].click(); return true", vec![Session::arg(&el)])
            .unwrap_or_else(|e| self.fail(&format!("click {css}: {e}")));
        self.collect();
    }

    fn fill(&self, css: &str, text: &str) {
        let el = self.el(css);
        self.s
            .send_keys(&el, text)
            .unwrap_or_else(|e| self.fail(&format!("type into {css}: {e}")));
    }

    /// A link-page button that leaves the page (see links.rs): clicked from the page, so the
    /// WebDriver call does not wait for a navigation the app may cancel.
    fn click_and_leave(&self, css: &str) {
        self.el(css);
        let selector = serde_json::to_string(css).unwrap();
        self.s
            .execute(
                &format!(
                    "setTimeout(() => document.querySelector({selector}).click(), 0); return true"
                ),
                vec![],
            )
            .unwrap();
    }
}

fn sandbox_get(base: &str, path: &str) -> Value {
    ureq::get(&format!("{base}{path}"))
        .call()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
        .body_mut()
        .read_json()
        .unwrap()
}

fn sandbox_post(base: &str, path: &str, body: Value) {
    ureq::post(&format!("{base}{path}"))
        .send_json(body)
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
}

/// Logs in to the Flinks widget of `link_url` as a browser would; returns the redirect the
/// success page sends the browser to (`advisordesk://link/callback?…&loginId=…`).
fn flinks_widget_login(base: &str, link_url: &str, username: &str) -> String {
    let query = link_url
        .split_once('?')
        .expect("a widget URL with a query")
        .1;
    let page = ureq::post(&format!("{base}/flinks-connect/v2/login"))
        .send_form([
            ("q", query),
            ("username", username),
            ("password", "Everyday"),
        ])
        .expect("log in to the widget")
        .body_mut()
        .read_to_string()
        .unwrap();
    let start = page
        .find("var u=")
        .unwrap_or_else(|| panic!("no redirect on the widget's answer: {page}"))
        + "var u=".len();
    let end = start + page[start..].find(';').unwrap();
    let url: String = serde_json::from_str(&page[start..end]).expect("a JS string");
    assert!(
        url.starts_with("advisordesk://link/callback") && url.contains("loginId="),
        "{url}"
    );
    url
}

/// What writes there, for the failure message.
fn where_from(place: &str) -> &'static str {
    if place.contains("WebKitCache") {
        " [the webview's HTTP disk cache: the provider's link pages (their URLs carry \
         sca_token / reset_token, the Flinks success page the loginId) are cached on disk in \
         the web context the link window shares with the app; fix: WebKit cache model \
         DocumentViewer at start-up in src-tauri (incognito would also do, but an ephemeral \
         context is not automatable, so the link-window e2e tests could not drive it)]"
    } else if place.starts_with("IPC ") {
        " [an IPC payload of the main window]"
    } else if place.ends_with(".driver.log") {
        " [the app's stdout/stderr]"
    } else if place.contains("advisor-desk.sqlite3") {
        " [the app's database]"
    } else {
        ""
    }
}

/// The scanner must find what is planted where the app keeps things: a SQLite database in WAL
/// mode (committed rows still in the WAL, a deleted row), a UTF-16 database, and text with
/// the value URL-encoded or JSON-escaped; and nothing in a database without it.
fn planted_secrets_are_found(value: &str) {
    let scanner = Scanner::new(vec![Secret::new("planted", value)]);
    let dir = tempfile::tempdir().unwrap();
    // A form identical to the plain value is looked for (and reported) as `utf8`.
    let forms = secret_scan::forms(value);
    let found = |report: &Report, file: &str, form: &str| {
        let same = forms
            .iter()
            .any(|(f, bytes)| *f == form && bytes == value.as_bytes());
        let form = if same { "utf8" } else { form };
        report
            .hits
            .iter()
            .any(|h| h.place.ends_with(file) && h.form == form)
    };

    let wal = dir.path().join("wal.sqlite3");
    let db = rusqlite::Connection::open(&wal).unwrap();
    db.pragma_update(None, "journal_mode", "WAL").unwrap();
    db.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    db.execute_batch("CREATE TABLE t (v TEXT); CREATE TABLE gone (v TEXT);")
        .unwrap();
    db.execute("INSERT INTO t VALUES (?1)", [format!("note {value} end")])
        .unwrap();
    db.execute("INSERT INTO gone VALUES (?1)", [value]).unwrap();
    db.execute("DELETE FROM gone", []).unwrap();
    // Still open: the rows are in the WAL only.
    let report = scanner.scan_tree(dir.path());
    assert!(
        found(&report, "wal.sqlite3-wal", "utf8"),
        "a value in the WAL: {:?}",
        report.hits
    );
    drop(db);

    let utf16 = dir.path().join("utf16.sqlite3");
    let db = rusqlite::Connection::open(&utf16).unwrap();
    db.pragma_update(None, "encoding", "UTF-16le").unwrap();
    db.execute_batch("CREATE TABLE t (v TEXT)").unwrap();
    db.execute("INSERT INTO t VALUES (?1)", [value]).unwrap();
    drop(db);

    let clean = dir.path().join("clean.sqlite3");
    let db = rusqlite::Connection::open(&clean).unwrap();
    db.execute_batch("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('nothing to see');")
        .unwrap();
    drop(db);

    std::fs::write(
        dir.path().join("url.log"),
        format!(
            "GET /cb?x={}&y=1",
            secret_scan::percent_encode(value, false)
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("event.json"),
        json!({ "payload": { "v": value } }).to_string(),
    )
    .unwrap();

    let report = scanner.scan_tree(dir.path());
    assert!(report.files.len() >= 5, "{:?}", report.files);
    assert!(
        found(&report, "utf16.sqlite3", "utf16le"),
        "a value in a UTF-16 database: {:?}",
        report.hits
    );
    assert!(found(&report, "url.log", "percent"), "{:?}", report.hits);
    assert!(found(&report, "event.json", "json"), "{:?}", report.hits);
    // The committed and the deleted row, once checkpointed into the main file.
    assert!(
        report
            .hits
            .iter()
            .filter(|h| h.place.ends_with("wal.sqlite3") && h.form == "utf8")
            .count()
            >= 2,
        "the committed and the deleted row in the database file: {:?}",
        report.hits
    );
    assert!(
        !report
            .hits
            .iter()
            .any(|h| h.place.contains("clean.sqlite3")),
        "{:?}",
        report.hits
    );
}

#[test]
fn the_scanner_finds_planted_secrets_in_sqlite_and_text() {
    planted_secrets_are_found("sbx-cred-planted-0123456789abcdef01");
    planted_secrets_are_found("e2e typed/\"key\"+&=ü 0123456789");
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn no_secret_reaches_disk_logs_exports_or_ipc() {
    let started = Instant::now();
    let run = random_hex();
    planted_secrets_are_found(&format!("sbx-cred-{run}{run}"));

    let home = AppHome::new();
    let root = home.data_dir().parent().unwrap().to_path_buf();
    let exports = root.join("chosen-exports");
    std::fs::create_dir(&exports).unwrap();
    let app = RunningApp::start_until(&home, NAME, "[data-testid=sandbox-badge]");
    let base = sandbox_url(&home);
    let windows = LinkWindows::of(&app);
    let mut a = Audit {
        app: &app,
        s: &app.session,
        ipc: IpcRecorder::new(),
        in_link_window: false,
        database: home.database(),
    };
    a.ipc.ensure(a.s);
    // The recorder sees a known call both ways.
    let info = a.call("app_info", json!({}));
    assert!(
        a.ipc.requests("app_info").count() == 1
            && a.ipc
                .records
                .iter()
                .any(|r| r.dir == "callback" && r.json().as_ref() == Some(&info)),
        "the IPC recorder missed app_info: {:?}",
        a.ipc.records
    );

    // 1. API keys typed into Settings (sandbox mode keeps using the sandbox's keys; these go
    // to the keychain for production all the same).
    let mut typed = Vec::new();
    a.go("#/settings");
    a.el("[data-testid=settings-screen]");
    for (provider, field) in [
        ("flanks", "client_id"),
        ("flanks", "client_secret"),
        ("flinks", "customer_id"),
        ("flinks", "secret_key"),
        ("flinks", "api_key"),
    ] {
        let value = format!("e2e-typed/{provider}.{field}+\"{run}\"&");
        let row = format!("[data-testid=key-{provider}-{field}]");
        a.click(&format!("{row} [data-testid=key-edit]"));
        a.fill(&format!("{row} [data-testid=key-input]"), &value);
        a.click(&format!("{row} button[type=submit]"));
        a.s.wait_for_text(&format!("{row} [data-testid=key-state]"), ACTION, |t| {
            t == "Set"
        })
        .unwrap_or_else(|e| a.fail(&format!("{provider}/{field} set: {e}")));
        assert_eq!(
            keychain_lookup(
                &home.keyring_service(),
                &format!("provider/{provider}/{field}")
            )
            .as_deref(),
            Some(value.as_str()),
            "{provider}/{field} is in the keychain"
        );
        typed.push((format!("typed {provider}/{field}"), value));
    }

    // 2. Clients: a canary whose name must show up in the app's files and IPC (proof that the
    // scan reads where the app writes), and one client per provider.
    let canary = format!("Canary {run}{run}");
    let canary_id = a.call("add_client", json!({ "client": { "name": canary } }))["id"]
        .as_i64()
        .unwrap();
    let flanks_client = a.call(
        "add_client",
        json!({ "client": { "name": "Audit Flanks" } }),
    )["id"]
        .as_i64()
        .unwrap();
    let flinks_client = a.call(
        "add_client",
        json!({ "client": { "name": "Audit Flinks" } }),
    )["id"]
        .as_i64()
        .unwrap();
    assert!(canary_id > 0);

    // 3. Flanks in the link window (TestBank, with an SMS challenge).
    let bank_user = format!("e2e.audit.{run}");
    a.call(
        "start_connect",
        json!({ "clientId": flanks_client, "flow": "flanks_link" }),
    );
    a.enter_link_window(&windows);
    a.click("#bank-testbank");
    a.fill("#username", &bank_user);
    a.fill("#password", "SCA_SMS");
    a.click_and_leave("#submit");
    a.fill("#sca-answer", "482913");
    a.click_and_leave("#sca-submit");
    a.leave_link_window(&windows);
    let flanks_conn = a.wait_status(flanks_client, "ready")["id"]
        .as_i64()
        .unwrap();

    // 4. Flinks through "Send link": the client completes the widget elsewhere (here over
    // plain HTTP) and the provider's redirect, loginId included, reaches the app as an OS deep
    // link.
    let link = a.call(
        "send_link",
        json!({ "clientId": flinks_client, "flow": "flinks_connect" }),
    );
    let url = link["url"].as_str().unwrap().to_string();
    let redirect = flinks_widget_login(&base, &url, "greatday_nomfa");
    gio_open(&home, &redirect);
    a.wait_status(flinks_client, "ready");

    // 4b. Flinks in the link window too: the widget's success page carries the loginId.
    let flinks_window_client = a.call(
        "add_client",
        json!({ "client": { "name": "Audit Flinks Window" } }),
    )["id"]
        .as_i64()
        .unwrap();
    a.call(
        "start_connect",
        json!({ "clientId": flinks_window_client, "flow": "flinks_connect" }),
    );
    a.enter_link_window(&windows);
    let consent = advisor_desk_testkit::webdriver::wait_until("the widget", ACTION, || {
        Ok(a.s
            .execute(
                "return document.querySelector('#consent-accept') ? 'consent'
                 : document.querySelector('#institution-flinkscapital') ? 'institutions' : null",
                vec![],
            )?
            .as_str()
            .map(|screen| screen == "consent"))
    })
    .unwrap_or_else(|e| a.fail(&format!("the Flinks widget: {e}")));
    if consent {
        a.click("#consent-accept");
    }
    a.click("#institution-flinkscapital");
    // Another bank login than step 4's (the same login would be offered for mapping).
    a.fill("#username", &format!("sbx_client_audit_{run}"));
    a.fill("#password", "Everyday");
    a.click_and_leave("#submit");
    a.leave_link_window(&windows);
    a.wait_status(flinks_window_client, "ready");

    // 5. Pending SCA forced at the provider, seen by a sync, resolved with Reauthorize.
    let book = sandbox_get(&base, "/_sandbox/book");
    let token = book
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["username"] == bank_user.as_str())
        .expect("the new credential in the sandbox")["token"]
        .as_str()
        .unwrap()
        .to_string();
    sandbox_post(
        &base,
        "/_sandbox/credentials/force",
        json!({ "credentials_token": token, "state": "pending_sca" }),
    );
    a.call(
        "sync_now",
        json!({ "scope": { "kind": "connection", "id": flanks_conn } }),
    );
    a.wait_status(flanks_client, "pending_sca");
    let r = a.call("start_reauthorize", json!({ "connectionId": flanks_conn }));
    assert_eq!(r["kind"], "opened", "{r}");
    a.enter_link_window(&windows);
    a.fill("#sca-answer", "123456");
    a.click_and_leave("#sca-submit");
    a.leave_link_window(&windows);
    let c = a.wait_status(flanks_client, "ready");
    assert_eq!(c["id"].as_i64(), Some(flanks_conn), "{c}");

    // 6. A failing sync: Flanks answers 503, Flinks 401, then the faults are cleared.
    sandbox_post(
        &base,
        "/_sandbox/faults",
        json!({ "endpoint": "/v0/", "kind": "status", "status": 503 }),
    );
    sandbox_post(
        &base,
        "/_sandbox/faults",
        json!({ "endpoint": "/v3/", "kind": "status", "status": 401 }),
    );
    let failed = a.call("sync_now", json!({ "scope": { "kind": "all" } }));
    assert!(
        failed["failed"].as_u64().unwrap_or(0) >= 2,
        "both connections fail: {failed}"
    );
    ureq::delete(&format!("{base}/_sandbox/faults"))
        .call()
        .expect("clear the faults");

    // 7. CSV exports into a folder of the test's choosing (the client's transactions and
    // holdings, and the book).
    let mut written = Vec::new();
    for (hash, kind) in [
        (format!("#/client/{flanks_client}"), "transactions"),
        (format!("#/client/{flanks_client}"), "holdings"),
        (format!("#/client/{flinks_client}"), "transactions"),
        ("#/book".to_string(), "book"),
    ] {
        a.go(&hash);
        a.press(&format!("[data-testid=export-{kind}-open]"));
        let target = exports.join(format!("{kind}-{}.csv", written.len()));
        let input = a.el(&format!("[data-testid=export-{kind}-path]"));
        a.s.execute(
            "const [el, v] = arguments; el.value = v;
             el.dispatchEvent(new Event('input', { bubbles: true })); return true",
            vec![Session::arg(&input), json!(target.display().to_string())],
        )
        .unwrap();
        a.press(&format!("[data-testid=export-{kind}-save]"));
        a.s.wait_for_css(&format!("[data-testid=export-{kind}-done]"), ACTION)
            .unwrap_or_else(|e| a.fail(&format!("export {kind}: {e}")));
        let size = std::fs::metadata(&target)
            .unwrap_or_else(|e| a.fail(&format!("{}: {e}", target.display())))
            .len();
        assert!(size > 0, "{} is empty", target.display());
        a.press(&format!("[data-testid=export-{kind}-done] button"));
        written.push(target);
    }

    // 8. The other screens, so their reads go over IPC too.
    for hash in ["#/book", "#/health", "#/clients", "#/settings"] {
        a.go(hash);
        std::thread::sleep(Duration::from_millis(500));
    }
    a.collect();

    // What the sandbox handed out or accepts, taken while it still runs (it lives in the app).
    let listing = sandbox_get(&base, "/_sandbox/secrets");
    let listing = listing.as_array().expect("a list of secrets");
    let count = |kind: &str, issued: bool| {
        listing
            .iter()
            .filter(|e| e["kind"] == kind && (!issued || e["issued"] == true))
            .count()
    };
    for kind in [
        "access_token",
        "authorize_token",
        "credentials_token",
        "login_id",
        "link_code",
        "reauth_token",
    ] {
        assert!(
            count(kind, true) >= 1,
            "no {kind} was issued during the run: the audit would look for nothing"
        );
    }
    assert_eq!(count("api_secret", false), 3, "{listing:?}");
    let mut secrets: Vec<Secret> = listing
        .iter()
        .map(|e| Secret::new(e["kind"].as_str().unwrap(), e["value"].as_str().unwrap()))
        .collect();
    secrets.extend(typed.iter().map(|(l, v)| Secret::new(l.clone(), v.clone())));
    let scanner = Scanner::new(secrets);

    // Scan while the app runs (the WAL and SHM exist), then again after a clean quit.
    let mut report = scanner.scan_tree(&root);
    let records = std::mem::take(&mut a.ipc.records);
    let installs = a.ipc.installs;
    drop(a);
    app.quit();
    report.merge(scanner.scan_tree(&root));
    let log = artifacts_dir().join(format!("{NAME}.driver.log"));
    report.merge(scanner.scan_file(&log).expect("read the driver log"));

    let mut ipc_hits = Vec::new();
    let mut carried_keys = std::collections::BTreeSet::new();
    for r in &records {
        let place = format!("IPC {} #{} {}", r.dir, r.seq, r.name);
        for hit in scanner.scan_bytes(&place, r.text.as_bytes()) {
            // The key on its way from the Settings field to the keychain.
            let carried = r.dir == "request"
                && r.name == "set_provider_key"
                && hit.label.starts_with("typed ")
                && r.json().is_some_and(|v| v["value"] == hit.value.as_str());
            if carried {
                carried_keys.insert(hit.label);
            } else {
                ipc_hits.push(hit);
            }
        }
    }

    // Positive controls on the real run.
    let canary_scan = Scanner::new(vec![Secret::new("canary", canary.clone())]);
    let canary_in_db = [root.join("data")]
        .iter()
        .flat_map(|d| canary_scan.scan_tree(d).hits)
        .filter(|h| h.place.contains("advisor-desk.sqlite3"))
        .count();
    assert!(
        canary_in_db >= 1,
        "the canary client is not in the app's SQLite files: the scan does not read where the app writes"
    );
    assert!(
        records
            .iter()
            .any(|r| !canary_scan.scan_bytes("ipc", r.text.as_bytes()).is_empty()),
        "the canary is in no IPC record"
    );
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        log_text.contains("advisor-desk: embedded provider sandbox at"),
        "the app's own stderr is not in the scanned log {}",
        log.display()
    );
    assert!(
        report
            .files
            .iter()
            .any(|f| f.ends_with("advisor-desk.sqlite3"))
            && report
                .files
                .iter()
                .any(|f| f.starts_with(root.join("xdg-data"))
                    || f.starts_with(root.join("xdg-cache"))),
        "the database and the webview's storage were scanned: {:?}",
        report.files
    );
    for w in &written {
        assert!(report.files.contains(w), "{} not scanned", w.display());
    }
    let progress = records
        .iter()
        .filter(|r| r.dir == "callback" && r.event().as_deref() == Some("sync://progress"))
        .count();
    assert!(
        records.len() > 20 && progress >= 1,
        "the IPC recorder saw {} records, {progress} sync progress events",
        records.len()
    );
    assert_eq!(
        carried_keys.len(),
        typed.len(),
        "the recorder saw each typed key go to the keychain: {carried_keys:?}"
    );

    // The same sighting in both scans (before and after quitting) is reported once.
    let mut leaks: Vec<String> = report
        .hits
        .iter()
        .chain(&ipc_hits)
        .map(|h| format!("{h}{}", where_from(&h.place)))
        .collect();
    leaks.sort();
    leaks.dedup();
    eprintln!(
        "secrets audit: {} secrets ({} encodings), {} files / {} bytes, {} IPC records \
         ({} installs of the recorder, {progress} sync progress events), {} hits, {:?}",
        scanner.secrets().len(),
        scanner.needle_count(),
        report.files.len(),
        report.bytes,
        records.len(),
        installs,
        leaks.len(),
        started.elapsed()
    );
    assert!(
        leaks.is_empty(),
        "SECRET LEAK (the secrets audit of SECURITY.md failed): {} sighting(s) of secret values \
         outside the keychain:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

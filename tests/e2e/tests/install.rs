//! The Debian package, installed on this machine as an advisor would: `dpkg -i` an older build,
//! check its desktop entry and `advisordesk://` handler, load the demo book (clients, and
//! connections whose tokens live in the keychain), `dpkg -i` the newer build over it, start it
//! from its desktop entry, deliver a link with `gio open` to the running installed app, check
//! every client, connection and keychain entry survived (a sync with the stored tokens
//! succeeds), then `dpkg -r` and check the advisor's data and keychain entries are still there.
//!
//! The "older build" is the package under test with a lower version in its control file (see
//! `older_copy`): this proves dpkg's upgrade path and that nothing of the advisor's is in the
//! package's files; schema migrations across releases are tested in the core.
//!
//! Needs root (dpkg), `ADVISOR_DESK_DEB` (scripts/build-deb.sh) and a machine where the package
//! is not installed yet; the package is always removed at the end, also when the test fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use advisor_desk_e2e::inspect::{all_connections, audit_log, invoke, keychain_lookup};
use advisor_desk_e2e::install::{
    command_with, control_field, deb_package, gio_open, installed_files, installed_version,
    launch_desktop_entry, older_copy, run, screen_shot, stdout, stop_apps, wait_for_file,
    wait_single_app, DesktopHome, DrivenApp, InstalledPackage, INSTALLED_BINARY, PACKAGE,
};
use advisor_desk_e2e::{artifacts_dir, ACTION, STARTUP};
use serde_json::json;

const NAME: &str = "install";
/// The demo book's first sync, and a later sync of every connection, on a busy machine.
const SYNCED: Duration = Duration::from_secs(150);
const SCHEME_MIME: &str = "x-scheme-handler/advisordesk";

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// What the advisor has: client names and, per connection, its id, keychain reference,
/// status and last success — read from the SQLite file, as the app left it.
#[derive(Debug, PartialEq)]
struct Book {
    clients: Vec<String>,
    connections: Vec<(i64, String, String, Option<String>)>,
}

fn read_book(db: &Path) -> Book {
    let db = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|e| panic!("open {}: {e}", db.display()));
    let clients = db
        .prepare("SELECT name FROM clients ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<Vec<String>, _>>()
        .unwrap();
    let connections = db
        .prepare("SELECT id, secret_ref, status, last_success_at FROM connections ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    Book {
        clients,
        connections,
    }
}

/// Each connection's id and keychain reference.
fn refs(book: &Book) -> Vec<(i64, &str)> {
    book.connections
        .iter()
        .map(|(id, secret_ref, _, _)| (*id, secret_ref.as_str()))
        .collect()
}

fn tokens(home: &DesktopHome, book: &Book) -> Vec<Option<String>> {
    book.connections
        .iter()
        .map(|(_, secret_ref, _, _)| keychain_lookup(&home.keyring_service(), secret_ref))
        .collect()
}

/// The package's desktop entry: its one file under /usr/share/applications.
fn desktop_entry(files: &[PathBuf]) -> PathBuf {
    let entries: Vec<_> = files
        .iter()
        .filter(|f| {
            f.starts_with("/usr/share/applications")
                && f.extension().is_some_and(|e| e == "desktop")
        })
        .collect();
    assert_eq!(entries.len(), 1, "one desktop entry: {files:?}");
    entries[0].clone()
}

/// The entry is valid, starts the installed binary with the URL (`%u`) and declares the scheme.
fn check_desktop_entry(entry: &Path, files: &[PathBuf]) {
    run(Command::new("desktop-file-validate").arg(entry));
    let text = std::fs::read_to_string(entry).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"Exec=advisor-desk %u"), "{text}");
    assert!(
        lines.iter().any(|l| l
            .strip_prefix("MimeType=")
            .is_some_and(|m| m.split(';').any(|t| t == SCHEME_MIME))),
        "{text}"
    );
    assert!(lines.contains(&"Icon=advisor-desk"), "{text}");
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("/usr/share/icons/hicolor")
                && f.file_name().is_some_and(|n| n == "advisor-desk.png")),
        "the icon the entry names is installed: {files:?}"
    );
}

/// `gio mime` in a session where the app never ran: the package's entry is the handler.
fn check_scheme_handler(home: &DesktopHome, entry: &Path) {
    let out = run(command_with("gio", &home.bare_env()).args(["mime", SCHEME_MIME]));
    let listing = stdout(&out);
    let id = entry.file_name().unwrap().to_string_lossy().into_owned();
    let handlers: Vec<&str> = listing
        .lines()
        .filter(|l| l.starts_with('\t'))
        .map(str::trim)
        .collect();
    assert!(
        !handlers.is_empty() && handlers.iter().all(|h| *h == id),
        "{SCHEME_MIME} should be handled by {id} only:\n{listing}"
    );
}

/// Loads the demo book with the UI's button and waits for its first sync.
fn load_demo_book(app: &DrivenApp) {
    let s = &app.session;
    // The webview's first capture of a session can be a stale first paint.
    let _ = s.screenshot(&artifacts_dir().join(format!("{NAME}-warmup.png")));
    let button = s
        .wait_for_css("[data-testid=load-demo-book]", ACTION)
        .unwrap_or_else(|e| app.fail(NAME, &format!("demo book offer: {e}")));
    s.click(&button)
        .unwrap_or_else(|e| app.fail(NAME, &format!("load the demo book: {e}")));
    wait_until("the demo book's first sync", SYNCED, || {
        let all = all_connections(s);
        all.len() >= 2 && all.iter().all(|c| c["status"] == "ready")
    });
}

fn doc_shot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/screenshots")
        .join(format!("install-{name}.png"))
}

#[test]
#[ignore = "needs the .deb (scripts/build-deb.sh) and root; run by ./dev test"]
fn install_open_a_link_upgrade_keeping_the_data_and_uninstall() {
    let deb = deb_package();
    let started = Instant::now();
    assert_eq!(control_field(&deb, "Package"), PACKAGE);
    let depends = control_field(&deb, "Depends");
    for lib in ["libwebkit2gtk-4.1-0", "libgtk-3-0", "libdbus-1-3"] {
        assert!(
            depends.split(',').any(|d| d.trim().starts_with(lib)),
            "Depends lacks {lib}: {depends}"
        );
    }
    let version = control_field(&deb, "Version");
    let work = tempfile::tempdir().unwrap();
    let (older, older_version) = older_copy(&deb, work.path());

    // 1. The older build, installed with dpkg.
    let package = InstalledPackage::install(&older);
    // Dropped before the package: stops the apps this test started, then dpkg -r runs.
    let home = DesktopHome::new();
    assert_eq!(installed_version().as_deref(), Some(older_version.as_str()));
    let files = installed_files();
    assert!(Path::new(INSTALLED_BINARY).is_file(), "{files:?}");
    let entry = desktop_entry(&files);
    check_desktop_entry(&entry, &files);
    check_scheme_handler(&home, &entry);

    // The advisor loads the demo book: clients, and connections whose tokens the app puts in
    // the keychain. The data folder is the one the app chose by itself.
    let app = DrivenApp::start(
        &home,
        Path::new(INSTALLED_BINARY),
        "install-older",
        "[data-testid=demo-book-offer]",
    );
    load_demo_book(&app);
    app.quit(&home);
    let before = read_book(&home.database());
    assert!(before.clients.len() >= 2, "{before:?}");
    let tokens_before = tokens(&home, &before);
    assert!(
        tokens_before.iter().all(Option::is_some),
        "every connection's token is in the keychain: {before:?}"
    );
    eprintln!(
        "older build: {} clients, {} connections ({:?})",
        before.clients.len(),
        before.connections.len(),
        started.elapsed()
    );

    // 2. The newer build over it.
    package.upgrade(&deb);
    assert_eq!(installed_version().as_deref(), Some(version.as_str()));
    let files = installed_files();
    let entry = desktop_entry(&files);
    check_desktop_entry(&entry, &files);
    check_scheme_handler(&home, &entry);

    // Started from its desktop entry, as from the applications menu.
    let sandbox_url = home.data_dir().join("sandbox-url.txt");
    std::fs::remove_file(&sandbox_url).expect("the older run wrote the sandbox URL");
    launch_desktop_entry(&entry, &home.env(), "install-desktop-entry");
    wait_for_file(&sandbox_url, STARTUP);
    let pid = wait_single_app(&home, STARTUP);
    // Let the window paint the book before the screenshot.
    std::thread::sleep(Duration::from_secs(3));
    screen_shot(&artifacts_dir().join(format!("{NAME}-desktop-entry.png")));

    // A link opened by another program reaches the running installed app through the package's
    // entry: a forged callback is refused and audited, and the second process that carried it
    // handed it over and exited.
    let forged = format!(
        "advisordesk://link/callback?state={}&loginId=1c25f529-a551-4755-84a1-5a4db0d62fb4&institution=FlinksCapital",
        "ab".repeat(32)
    );
    // In the app's own session: the installed app registers no per-user handler of its own
    // (it would override the package's entry and outlive an uninstall).
    let xdg_data = home
        .env()
        .into_iter()
        .find(|(k, _)| k == "XDG_DATA_HOME")
        .map(|(_, v)| PathBuf::from(v))
        .expect("the app's XDG_DATA_HOME");
    let own_handler = xdg_data.join("applications/advisor-desk-handler.desktop");
    assert!(
        !own_handler.exists(),
        "the installed app wrote {}",
        own_handler.display()
    );
    gio_open(&forged, &home.env(), "install-gio-open");
    wait_until("the refused link in the audit log", ACTION, || {
        audit_log(&home.database())
            .iter()
            .any(|(actor, action, detail)| {
                actor == "deep_link"
                    && action == "link.callback.refused"
                    && detail.contains("unknown_state")
            })
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        wait_single_app(&home, ACTION),
        pid,
        "the link went to the running app"
    );
    screen_shot(&doc_shot("link-refused"));

    // Every client and connection survived; the keychain still holds every token.
    let after = read_book(&home.database());
    assert_eq!(after.clients, before.clients);
    assert_eq!(refs(&after), refs(&before));
    assert_eq!(tokens(&home, &after), tokens_before);
    stop_apps(&home);

    // The newer app reads the tokens from the keychain: a sync of every connection succeeds.
    let app = DrivenApp::start(
        &home,
        Path::new(INSTALLED_BINARY),
        "install-newer",
        "[data-testid=book-table]",
    );
    let s = &app.session;
    let n = before.connections.len() as u64;
    let summary = invoke(s, "sync_now", json!({ "scope": { "kind": "all" } }));
    assert_eq!(summary["synced"].as_u64(), Some(n), "{summary}");
    assert_eq!(summary["failed"].as_u64(), Some(0), "{summary}");
    wait_until("the book to show every client", ACTION, || {
        s.find_all("[data-testid=book-row]")
            .map(|rows| rows.len() == before.clients.len())
            .unwrap_or(false)
    });
    std::thread::sleep(Duration::from_millis(600));
    s.screenshot(&doc_shot("upgraded-book")).unwrap();
    app.quit(&home);
    let synced = read_book(&home.database());
    assert_eq!(refs(&synced), refs(&before));
    for (old, new) in before.connections.iter().zip(&synced.connections) {
        assert!(new.3 > old.3, "connection {} synced again: {new:?}", new.0);
    }

    // 3. Uninstalled: the app is gone, the advisor's data and keychain entries are not.
    package.remove();
    assert_eq!(installed_version(), None);
    assert!(!Path::new(INSTALLED_BINARY).exists());
    assert!(!entry.exists());
    let left = read_book(&home.database());
    assert_eq!(left.clients, before.clients);
    assert_eq!(refs(&left), refs(&before));
    assert_eq!(tokens(&home, &left), tokens_before);
    eprintln!("install test took {:?}", started.elapsed());
}

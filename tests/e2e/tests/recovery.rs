//! Never losing the book, through the real window: a data folder whose database has a
//! damaged page opens on the recovery screen, which names the problem and the newest sound
//! backup and restores it (the app restarts itself; the harness follows it); Settings →
//! Backups lists the backups with dates and counts, "Back up now" adds one, and restoring an
//! older one restarts the app on the restored book with the restore's outcome shown.
//!
//! The data folders are prepared with the core itself; the damage is a table page of the
//! clients overwritten on disk, as a failing disk would.

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use advisor_desk_core::clients::{self, NewClient};
use advisor_desk_core::store::BackupKind;
use advisor_desk_core::{settings, time, Store};
use advisor_desk_e2e::ui::{click, doc_shot, js, park_pointer, switch_language, text, wait_js};
use advisor_desk_e2e::{listed_names, AppHome, RunningApp, ACTION};
use chrono::Duration as Days;

/// Setting the app's daily refresh reads: "now", so no refresh starts during a test.
const LAST_SCHEDULED: &str = "sync.last_scheduled_at";

/// Opens the book of `home` with the core and adds `names` as clients (with notes long
/// enough to fill pages of their own).
fn add_clients(home: &AppHome, names: &[&str]) -> Store {
    let store = Store::open(&home.database()).unwrap();
    settings::set(&store, LAST_SCHEDULED, &time::to_db(time::now())).unwrap();
    for name in names {
        let client = NewClient {
            name: (*name).to_string(),
            notes: Some(format!("{name} ").repeat(60)),
            ..Default::default()
        };
        clients::add(&store, &client, "e2e").unwrap();
    }
    store
}

/// Overwrites the first table page of the clients on disk, everything checkpointed first:
/// the file is then damaged where the book lives.
fn damage_the_clients_table(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let (page, size): (i64, i64) = conn
        .query_row(
            "SELECT pageno, (SELECT page_size FROM pragma_page_size) FROM dbstat
             WHERE name = 'clients' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(conn);
    let junk: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8 ^ 0xA5).collect();
    let mut f = std::fs::OpenOptions::new().write(true).open(db).unwrap();
    f.seek(SeekFrom::Start(((page - 1) * size) as u64)).unwrap();
    f.write_all(&junk).unwrap();
    f.sync_all().unwrap();
}

/// The files in the data folder's `backups/` whose names start with `prefix`.
fn kept_files(home: &AppHome, prefix: &str) -> Vec<PathBuf> {
    std::fs::read_dir(home.data_dir().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect()
}

fn go(app: &RunningApp, hash: &str) {
    js(&app.session, &format!("location.hash = '{hash}'; return 1"));
}

/// Scrolls the screen (not the window: the side bar stays) so the element `css` is at its
/// top, for a screenshot of it.
fn scroll_to(app: &RunningApp, css: &str) {
    js(
        &app.session,
        &format!(
            "const main = document.querySelector('main');
             const el = document.querySelector('{css}');
             main.scrollTop += el.getBoundingClientRect().top - main.getBoundingClientRect().top - 16;
             return 1"
        ),
    );
}

/// The restored book: its clients, listed on the Clients screen.
fn clients_listed(app: &RunningApp, name: &str, expected: &[&str]) {
    go(app, "#/clients");
    let n = expected.len();
    wait_js(
        app,
        name,
        "the restored clients",
        &format!(
            "return document.querySelectorAll('[data-testid=client-row]').length === {n} || null"
        ),
        ACTION,
    );
    let mut names = listed_names(&app.session);
    names.sort();
    assert_eq!(names, expected);
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn a_damaged_book_opens_on_the_recovery_screen_and_its_newest_backup_brings_it_back() {
    const NAME: &str = "recovery-screen";
    let home = AppHome::new();
    let book = ["Ana Ruiz", "Bruno Díaz", "Carmen Vidal"];
    {
        let store = add_clients(&home, &book);
        let taken = store.take_backup(BackupKind::OnDemand).unwrap().unwrap();
        assert_eq!(taken.rows["clients"], 3);
    }
    damage_the_clients_table(&home.database());

    let app = RunningApp::start_until(&home, NAME, "[data-testid=recovery-screen]");
    let problem = text(&app, NAME, "[data-testid=recovery-problem]");
    assert!(!problem.trim().is_empty(), "the problem is named");
    let holds = text(&app, NAME, "[data-testid=recovery-backup-holds]");
    assert!(holds.contains("3 clients"), "{holds}");
    park_pointer(&app);
    doc_shot(&app.session, "recovery");
    switch_language(&app, NAME, "es", "Hogares");
    app.session
        .wait_for_text("[data-testid=recovery-backup-holds]", ACTION, |t| {
            t.contains("3 clientes")
        })
        .unwrap_or_else(|e| app.fail(NAME, &format!("Spanish recovery screen: {e}")));
    doc_shot(&app.session, "recovery-es");
    switch_language(&app, NAME, "en", "Households");

    let app = app.across_restart(NAME, "[data-testid=restore-report]", |app| {
        click(app, NAME, "[data-testid=recovery-restore]");
    });
    let report = text(&app, NAME, "[data-testid=restore-report-rows]");
    assert!(report.contains("3 clients"), "{report}");
    assert!(
        app.session
            .find_all("[data-testid=recovery-screen]")
            .unwrap()
            .is_empty(),
        "the recovery screen is gone"
    );
    clients_listed(&app, NAME, &book);
    let set_aside = kept_files(&home, "set-aside-");
    assert!(
        set_aside
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "sqlite3")),
        "the damaged file is kept aside: {set_aside:?}"
    );
    app.quit();
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn settings_lists_the_backups_takes_one_and_restores_an_older_one_across_a_restart() {
    const NAME: &str = "settings-backups";
    let home = AppHome::new();
    {
        // Yesterday's daily backup held two clients; two more were added since.
        let store = add_clients(&home, &["Ana Ruiz", "Bruno Díaz"]);
        let taken = store.take_backup(BackupKind::Daily).unwrap().unwrap();
        let yesterday = (time::now() - Days::days(1)).format("%Y%m%dT%H%M%S%.3fZ");
        let renamed = taken
            .file
            .path
            .with_file_name(format!("backup-{yesterday}-daily.sqlite3"));
        std::fs::rename(&taken.file.path, renamed).unwrap();
        add_clients(&home, &["Carmen Vidal", "Diego Sanz"]);
    }

    let app = RunningApp::start(&home, NAME);
    go(&app, "#/settings");
    let rows = "[data-testid=backups-list] [data-testid=backup-row]";
    let count_rows = format!("return document.querySelectorAll('{rows}').length || null");
    assert_eq!(
        wait_js(&app, NAME, "the backups listed", &count_rows, ACTION),
        1
    );
    let first = text(&app, NAME, rows);
    assert!(
        first.contains("2 clients") && first.contains("Daily"),
        "{first}"
    );

    click(&app, NAME, "[data-testid=backup-now]");
    let taken = app
        .session
        .wait_for_text("[data-testid=backup-taken]", ACTION, |t| !t.is_empty())
        .unwrap_or_else(|e| app.fail(NAME, &format!("backup taken: {e}")));
    assert!(taken.contains("4 clients"), "{taken}");
    assert_eq!(
        wait_js(
            &app,
            NAME,
            "the new backup listed",
            &count_rows.replace("|| null", "=== 2 || null"),
            ACTION
        ),
        true
    );
    let newest = text(&app, NAME, rows);
    assert!(
        newest.contains("4 clients") && newest.contains("On demand"),
        "{newest}"
    );
    scroll_to(&app, "[data-testid=backups-section]");
    park_pointer(&app);
    doc_shot(&app.session, "settings-backups");
    switch_language(&app, NAME, "es", "Hogares");
    app.session
        .wait_for_text(rows, ACTION, |t| t.contains("4 clientes"))
        .unwrap_or_else(|e| app.fail(NAME, &format!("Spanish backups: {e}")));
    scroll_to(&app, "[data-testid=backups-section]");
    doc_shot(&app.session, "settings-backups-es");
    switch_language(&app, NAME, "en", "Households");

    // The older one: asked first, then restored across a restart.
    click(
        &app,
        NAME,
        "[data-testid=backups-list] tbody tr:nth-child(2) [data-testid=backup-restore]",
    );
    app.session
        .wait_for_css("[data-testid=backup-restore-confirm]", ACTION)
        .unwrap_or_else(|e| app.fail(NAME, &format!("confirmation: {e}")));
    let app = app.across_restart(NAME, "[data-testid=restore-report]", |app| {
        click(app, NAME, "[data-testid=backup-restore-yes]");
    });
    let report = text(&app, NAME, "[data-testid=restore-report-rows]");
    assert!(report.contains("2 clients"), "{report}");
    park_pointer(&app);
    doc_shot(&app.session, "restore-report");
    clients_listed(&app, NAME, &["Ana Ruiz", "Bruno Díaz"]);
    assert!(
        !kept_files(&home, "set-aside-").is_empty(),
        "the replaced book is kept aside"
    );
    assert_eq!(
        kept_files(&home, "backup-")
            .iter()
            .filter(|p| p.to_string_lossy().contains("before-restore"))
            .count(),
        1,
        "the book was backed up before the restore"
    );
    app.quit();
}

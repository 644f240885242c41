//! The CLI as a script would use it: real binary, real SQLite file in a temp folder.

use std::path::Path;
use std::process::{Command, Output};

fn cli(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_advisor-desk-cli"))
        .args(args)
        .env("ADVISOR_DESK_DATA_DIR", data_dir)
        // No Secret Service for these tests: the keychain must be reported as unavailable.
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/advisor-desk-test-bus",
        )
        .output()
        .expect("run advisor-desk-cli")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn add_list_show_archive_round_trip_with_json() {
    let dir = tempfile::tempdir().unwrap();
    let added = cli(
        dir.path(),
        &[
            "--json",
            "clients",
            "add",
            "--name",
            "Lucía Fernández",
            "--email",
            "lucia@example.es",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let client: serde_json::Value = serde_json::from_str(&stdout(&added)).unwrap();
    let id = client["id"].as_i64().unwrap();
    assert_eq!(client["name"], "Lucía Fernández");
    assert_eq!(client["kind"], "person");

    cli(
        dir.path(),
        &[
            "clients",
            "add",
            "--name",
            "Martin household",
            "--kind",
            "household",
        ],
    );
    let list = cli(dir.path(), &["--json", "clients", "list"]);
    let clients: Vec<serde_json::Value> = serde_json::from_str(&stdout(&list)).unwrap();
    assert_eq!(clients.len(), 2);

    let shown = cli(dir.path(), &["clients", "show", &id.to_string()]);
    assert!(stdout(&shown).contains("lucia@example.es"));

    let archived = cli(dir.path(), &["clients", "archive", &id.to_string()]);
    assert!(archived.status.success());
    let list = cli(dir.path(), &["--json", "clients", "list"]);
    let clients: Vec<serde_json::Value> = serde_json::from_str(&stdout(&list)).unwrap();
    assert_eq!(clients.len(), 1, "archived clients are hidden by default");
    let all = cli(dir.path(), &["clients", "list", "--archived"]);
    assert!(stdout(&all).contains("(archived)"));
    // The data really is in the SQLite file in the data folder.
    assert!(dir.path().join("advisor-desk.sqlite3").exists());
}

#[test]
fn an_empty_book_says_how_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(dir.path(), &["clients", "list"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("No clients yet"));
}

#[test]
fn unknown_client_exits_3_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["show", "archive"] {
        let out = cli(dir.path(), &["clients", cmd, "999"]);
        assert_eq!(out.status.code(), Some(3), "{cmd}");
        assert!(
            stderr(&out).contains("client 999 was not found"),
            "{}",
            stderr(&out)
        );
    }
    let json = cli(dir.path(), &["--json", "clients", "show", "999"]);
    let err: serde_json::Value = serde_json::from_str(stderr(&json).trim()).unwrap();
    assert_eq!(err["error"]["code"], "not_found");
}

#[test]
fn empty_name_exits_4_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(dir.path(), &["clients", "add", "--name", "   "]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("a client needs a name"),
        "{}",
        stderr(&out)
    );
    let bad_mail = cli(
        dir.path(),
        &["clients", "add", "--name", "A", "--email", "nope"],
    );
    assert_eq!(bad_mail.status.code(), Some(4));
    assert!(stderr(&bad_mail).contains("not an e-mail address"));
}

#[test]
fn a_non_numeric_id_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(dir.path(), &["clients", "show", "abc"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid value 'abc'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_database_that_cannot_be_opened_exits_5() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("advisor-desk.sqlite3"), vec![b'x'; 4096]).unwrap();
    let out = cli(dir.path(), &["clients", "list"]);
    assert_eq!(out.status.code(), Some(5));
    assert!(
        stderr(&out).contains("cannot open the database"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_data_folder_that_is_a_file_exits_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    let out = cli(&file, &["clients", "list"]);
    assert!(!out.status.success());
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
}

#[test]
fn doctor_reports_database_and_an_unavailable_keychain() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(dir.path(), &["--json", "doctor"]);
    assert_eq!(
        out.status.code(),
        Some(7),
        "unhealthy without a keychain: {}",
        stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["integrity"], "ok");
    assert_eq!(report["schema_version"], report["supported_schema_version"]);
    assert_eq!(report["keychain"]["status"], "failed");
    assert_eq!(report["keychain"]["error"]["code"], "keychain_unavailable");
    assert_eq!(report["provider_environment"], "sandbox");
    assert_eq!(report["data_dir"], dir.path().display().to_string());
}

#[test]
fn sandbox_serve_refuses_a_non_loopback_address() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(
        dir.path(),
        &["sandbox", "serve", "--host", "0.0.0.0", "--port", "0"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("only listens on loopback"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn sandbox_serve_answers_the_flanks_token_endpoint() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_advisor-desk-cli"))
        .args(["sandbox", "serve", "--port", "0"])
        .env("ADVISOR_DESK_DATA_DIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first
        .trim()
        .rsplit(' ')
        .next()
        .unwrap()
        .trim_start_matches("http://")
        .to_string();
    // A plain HTTP request: wrong secret → the provider's documented 403.
    let mut s = std::net::TcpStream::connect(&base).unwrap();
    let body = r#"{"client_id":"x","client_secret":"wrong","grant_type":"client_credentials"}"#;
    write!(
        s,
        "POST /v0/token HTTP/1.1\r\nHost: {base}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    assert!(response.contains("access_denied"), "{response}");
}

/// A book of `n` clients made through the CLI, checkpointed so the file holds everything.
fn book_of(data_dir: &Path, n: usize) -> std::path::PathBuf {
    for i in 0..n {
        let notes = format!("{i} ").repeat(40);
        let added = cli(
            data_dir,
            &[
                "clients",
                "add",
                "--name",
                &format!("Client {i:03}"),
                "--notes",
                &notes,
            ],
        );
        assert!(added.status.success(), "{}", stderr(&added));
    }
    let db = data_dir.join("advisor-desk.sqlite3");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    db
}

/// Garbles one leaf page of the `clients` table, as a failing disk would.
fn garble_a_clients_page(db: &Path) {
    use std::io::{Seek, SeekFrom, Write};
    let conn = rusqlite::Connection::open(db).unwrap();
    let page: i64 = conn
        .query_row(
            "SELECT pageno FROM dbstat WHERE name = 'clients' AND pagetype = 'leaf' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let size: i64 = conn
        .pragma_query_value(None, "page_size", |r| r.get(0))
        .unwrap();
    drop(conn);
    let mut f = std::fs::OpenOptions::new().write(true).open(db).unwrap();
    f.seek(SeekFrom::Start(((page - 1) * size) as u64)).unwrap();
    f.write_all(&vec![0xA5; size as usize]).unwrap();
}

#[test]
fn a_damaged_database_is_refused_with_exit_8_and_doctor_names_the_damage() {
    let dir = tempfile::tempdir().unwrap();
    let db = book_of(dir.path(), 30);
    garble_a_clients_page(&db);
    let before = std::fs::read(&db).unwrap();

    let list = cli(dir.path(), &["--json", "clients", "list"]);
    assert_eq!(list.status.code(), Some(8), "{}", stderr(&list));
    let refusal: serde_json::Value = serde_json::from_str(stderr(&list).trim()).unwrap();
    assert_eq!(refusal["error"]["code"], "database_damaged");
    assert!(
        stdout(&list).is_empty(),
        "no book shown from a damaged file"
    );

    let text = cli(dir.path(), &["clients", "list"]);
    assert_eq!(text.status.code(), Some(8));
    assert!(stderr(&text).contains("is damaged"), "{}", stderr(&text));

    let doctor = cli(dir.path(), &["--json", "doctor"]);
    assert_eq!(doctor.status.code(), Some(8), "{}", stderr(&doctor));
    let report: serde_json::Value = serde_json::from_str(&stdout(&doctor)).unwrap();
    assert_eq!(report["error"]["code"], "database_damaged");
    assert!(
        !report["integrity"].as_array().unwrap().is_empty(),
        "the full check lists the problems: {report}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before, "the file is untouched");
}

#[test]
fn backup_takes_a_checked_private_copy_and_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    book_of(dir.path(), 3);
    let out = cli(dir.path(), &["--json", "backup"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let taken: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(taken["rows"]["clients"], 3);
    assert_eq!(taken["file"]["kind"], "on_demand");
    let path = Path::new(taken["file"]["path"].as_str().unwrap());
    let copy = rusqlite::Connection::open(path).unwrap();
    let names: i64 = copy
        .query_row(
            "SELECT count(*) FROM clients WHERE name LIKE 'Client %'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(names, 3);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let list = cli(dir.path(), &["--json", "backup", "--list"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let files: Vec<serde_json::Value> = serde_json::from_str(&stdout(&list)).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["path"], taken["file"]["path"]);
    assert_eq!(files[0]["rows"]["clients"], 3, "what it holds");
}

#[test]
fn restore_latest_brings_a_damaged_book_back_and_keeps_the_damaged_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = book_of(dir.path(), 4);
    let backup = cli(dir.path(), &["backup"]);
    assert!(backup.status.success(), "{}", stderr(&backup));
    garble_a_clients_page(&db);
    let damaged = std::fs::read(&db).unwrap();
    assert_eq!(cli(dir.path(), &["clients", "list"]).status.code(), Some(8));

    let out = cli(dir.path(), &["--json", "restore", "--latest"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let restored: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(restored["rows"]["clients"], 4);
    let aside = restored["set_aside"].as_str().unwrap();
    assert_eq!(std::fs::read(aside).unwrap(), damaged, "kept as it was");

    let list = cli(dir.path(), &["--json", "clients", "list"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let clients: Vec<serde_json::Value> = serde_json::from_str(&stdout(&list)).unwrap();
    assert_eq!(clients.len(), 4);
}

#[test]
fn restore_needs_latest_or_a_file_and_refuses_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(cli(dir.path(), &["restore"]).status.code(), Some(2));
    let none = cli(dir.path(), &["restore", "--latest"]);
    assert_eq!(none.status.code(), Some(3), "{}", stderr(&none));
    let missing = cli(dir.path(), &["restore", "/nonexistent/backup.sqlite3"]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).starts_with("error: "),
        "{}",
        stderr(&missing)
    );
}

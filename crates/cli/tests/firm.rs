//! `advisor-desk-cli firm …` through the real binary, against a real PostgreSQL server
//! (TestServer) and the real Secret Service (each data folder its own keychain namespace):
//! the administrator creates the firm and invites an advisor, the advisor joins and moves
//! their solo book in, the administrator removes them (the key rotated, a key update file
//! written) — and the refusals with their exit codes. Run inside `scripts/with-keyring.sh`
//! (`KEYRING_HERMETIC=1`) with `--include-ignored`.

mod solo_book;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use advisor_desk_core::secrets::KeyringStore;
use advisor_desk_firm::test_server::{TestDatabase, TestServer};
use serde_json::Value;

const PASSPHRASE: &str = "a long passphrase for the invite";

/// One desktop: a data folder and a keychain namespace of its own.
struct Desktop {
    dir: tempfile::TempDir,
    service: String,
}

impl Desktop {
    fn new(name: &str) -> Desktop {
        Desktop {
            dir: tempfile::tempdir().unwrap(),
            service: format!("advisor-desk-test-cli-firm-{name}-{}", std::process::id()),
        }
    }

    fn cli(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_advisor-desk-cli"))
            .args(args)
            .env("ADVISOR_DESK_DATA_DIR", self.dir.path())
            .env("ADVISOR_DESK_KEYRING_SERVICE", &self.service)
            .stdin(Stdio::null())
            .output()
            .expect("run advisor-desk-cli")
    }

    /// Runs with `--json`, expects success and returns the JSON printed.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.cli(&all);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            text(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", text(&out.stdout)))
    }

    /// Runs with `--json`, expects exit `code` and returns the error's code.
    fn refused(&self, args: &[&str], code: i32) -> String {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.cli(&all);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {} {}",
            text(&out.stdout),
            text(&out.stderr)
        );
        let error: Value = serde_json::from_slice(&out.stderr)
            .unwrap_or_else(|_| panic!("{args:?}: stderr is not JSON: {}", text(&out.stderr)));
        error["error"]["code"].as_str().unwrap().to_string()
    }

    fn keychain(&self) -> KeyringStore {
        KeyringStore::new(self.service.clone())
    }

    fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("{content}\n")).unwrap();
        path
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn owner_address(db: &TestDatabase) -> String {
    format!(
        "postgresql://{}@127.0.0.1:{}/{}?sslmode=disable",
        db.owner_role, db.port, db.name
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
#[ignore = "needs the Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test -p advisor-desk-cli --test firm -- --include-ignored"]
fn a_firm_is_created_an_advisor_joins_moves_in_and_is_removed() {
    let db = TestServer::shared().create_database().unwrap();
    let admin = Desktop::new("admin");
    let ana = Desktop::new("ana");
    let owner_password = admin.file("db-password", &db.owner_password);
    let passphrase = admin.file("passphrase", PASSPHRASE);
    let url = owner_address(&db);

    // The administrator creates the firm.
    let created = admin.json(&[
        "firm",
        "create",
        "--url",
        &url,
        "--name",
        "Gil Patrimonios",
        "--admin-name",
        "Marta Gil",
        "--password-file",
        path(&owner_password),
    ]);
    assert_eq!(created["firm"]["firm_name"], "Gil Patrimonios");
    assert_eq!(created["firm"]["role"], db.owner_role.as_str());
    assert_eq!(created["firm"]["key_versions"], serde_json::json!([1]));
    let status = admin.json(&["firm", "status"]);
    assert_eq!(status["database"]["state"], "reachable");
    assert_eq!(status["database"]["member_kind"], "admin");
    assert_eq!(status["database"]["firm_name"], "Gil Patrimonios");
    assert!(status["database"]["schema_version"].as_i64().unwrap() > 0);
    // Creating it again on the same database (from another folder) is refused.
    let again = Desktop::new("again");
    let code = again.refused(
        &[
            "firm",
            "create",
            "--url",
            &url,
            "--name",
            "Twice",
            "--password-file",
            path(&owner_password),
        ],
        10,
    );
    assert_eq!(code, "firm_exists");

    // The administrator invites Ana; she joins with the file and its passphrase.
    let role = format!("{}_ana", db.name);
    let invite = admin.dir.path().join("ana.invite");
    let invited = admin.json(&[
        "firm",
        "invite",
        "--role",
        &role,
        "--name",
        "Ana Ruiz",
        "--out",
        path(&invite),
        "--passphrase-file",
        path(&passphrase),
    ]);
    assert_eq!(invited["role"], role.as_str());
    let wrong = ana.file("wrong", "not the passphrase at all");
    let code = ana.refused(
        &[
            "firm",
            "join",
            path(&invite),
            "--passphrase-file",
            path(&wrong),
        ],
        4,
    );
    assert_eq!(code, "wrong_passphrase");
    let joined = ana.json(&[
        "firm",
        "join",
        path(&invite),
        "--passphrase-file",
        path(&passphrase),
    ]);
    assert_eq!(joined["firm"]["role"], role.as_str());
    assert_eq!(joined["database"]["state"], "reachable");
    assert_eq!(joined["database"]["member_kind"], "advisor");

    // Ana moves her solo book in: counts, credentials sealed; a second time is refused.
    solo_book::book_in(ana.dir.path(), &ana.keychain());
    let out = ana.cli(&["firm", "move-in"]);
    assert!(out.status.success(), "move-in: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("clients") && stdout.contains("connections"),
        "{stdout}"
    );
    assert!(
        text(&out.stderr).contains("Sealing the connections' credentials under the firm key: 2/2"),
        "progress: {}",
        text(&out.stderr)
    );
    let code = ana.refused(&["firm", "move-in"], 10);
    assert_eq!(code, "book_already_moved");
    let mut su = postgres::Client::connect(&db.superuser_url, postgres::NoTls).unwrap();
    let (clients, sealed): (i64, i64) = {
        let row = su
            .query_one(
                "SELECT (SELECT count(*) FROM clients),
                        (SELECT count(*) FROM sealed_secrets WHERE connection_id IS NOT NULL)",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!((clients, sealed), (1, 2));

    // The administrator removes Ana: key version 2, her role gone, a key update file written.
    let update = admin.dir.path().join("key-update");
    let removed = admin.json(&[
        "firm",
        "remove-advisor",
        &role,
        "--key-update-out",
        path(&update),
        "--passphrase-file",
        path(&passphrase),
    ]);
    assert_eq!(removed["new_key_version"], 2);
    assert_eq!(removed["resealed"], 2);
    assert!(update.exists());
    let out = ana.cli(&["--json", "firm", "status"]);
    assert_eq!(out.status.code(), Some(9), "{}", text(&out.stderr));
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["database"]["state"], "unavailable");
    assert_eq!(status["database"]["code"], "firm_sign_in_refused");

    // Another member of the firm takes the new key from the file.
    let accepted = admin.json(&[
        "firm",
        "accept-key-update",
        path(&update),
        "--passphrase-file",
        path(&passphrase),
    ]);
    assert_eq!(accepted["key_versions"], serde_json::json!([1, 2]));

    // The administrator's own solo book moves in beside Ana's (both number their client 1):
    // renumbered, its credentials sealed under the current key, its provider key and its
    // freshness setting becoming the firm's (Ana's move could only list them).
    solo_book::book_with_logins(
        admin.dir.path(),
        &admin.keychain(),
        [
            "ct-admin-keychain-3b8e61f2a9",
            "loginid-admin-keychain-90d4",
        ],
    );
    {
        let store =
            advisor_desk_core::Store::open(&admin.dir.path().join("advisor-desk.sqlite3")).unwrap();
        advisor_desk_core::sync::freshness::Freshness::set_frozen_after_days(&store, 14).unwrap();
    }
    let out = admin.cli(&["firm", "move-in"]);
    assert!(out.status.success(), "move-in: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Provider keys now the firm's: flanks/client_secret"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Book settings now the firm's: flinks.frozen_after_days = 14"),
        "{stdout}"
    );
    let row = su
        .query_one(
            "SELECT (SELECT count(DISTINCT id) FROM clients),
                    (SELECT count(*) FROM sealed_secrets WHERE connection_id IS NOT NULL),
                    (SELECT value FROM firm_settings WHERE key = 'flinks.frozen_after_days'),
                    has_sequence_privilege(firm_group('advisor'),
                                           pg_get_serial_sequence('clients', 'id'), 'UPDATE')",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 2);
    assert_eq!(row.get::<_, i64>(1), 4);
    assert_eq!(row.get::<_, String>(2), "14");
    assert!(
        !row.get::<_, bool>(3),
        "advisors draw ids but never move an identity (firm migration 0006)"
    );
}

#[test]
#[ignore = "needs the Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test -p advisor-desk-cli --test firm -- --include-ignored"]
fn firm_commands_refuse_clearly() {
    let lone = Desktop::new("lone");
    assert_eq!(lone.refused(&["firm", "status"], 3), "not_found");
    assert_eq!(lone.refused(&["firm", "move-in"], 3), "not_found");
    let db = TestServer::shared().create_database().unwrap();
    let with_password = format!(
        "postgresql://{}:{}@127.0.0.1:{}/{}",
        db.owner_role, db.owner_password, db.port, db.name
    );
    let out = lone.cli(&[
        "--json",
        "firm",
        "create",
        "--url",
        &with_password,
        "--name",
        "X",
    ]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        !text(&out.stderr).contains(&db.owner_password),
        "the password is not echoed"
    );
    // A wrong password: the sign-in is refused, nothing is kept.
    let wrong = lone.file("wrong-password", "not-the-password");
    let code = lone.refused(
        &[
            "firm",
            "create",
            "--url",
            &owner_address(&db),
            "--name",
            "X",
            "--password-file",
            path(&wrong),
        ],
        9,
    );
    assert_eq!(code, "firm_sign_in_refused");
    assert_eq!(lone.refused(&["firm", "status"], 3), "not_found");
    let missing = lone.dir.path().join("no-such.invite");
    let passphrase = lone.file("passphrase", PASSPHRASE);
    let code = lone.refused(
        &[
            "firm",
            "join",
            path(&missing),
            "--passphrase-file",
            path(&passphrase),
        ],
        1,
    );
    assert_eq!(code, "io");
}

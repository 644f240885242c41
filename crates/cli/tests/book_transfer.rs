//! The book and the real Secret Service through the real binary: `book export` → `book import`
//! between two data folders with two keychain namespaces (`ADVISOR_DESK_KEYRING_SERVICE`, the
//! passphrase on stdin), and `restore` → `reattach` of a connection made since the backup.
//! Run inside `scripts/with-keyring.sh` (`KEYRING_HERMETIC=1`), with `--include-ignored`.

mod solo_book;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use advisor_desk_core::domain::Provider;
use advisor_desk_core::secrets::{KeyringStore, Secret, SecretKey, SecretStore};
use advisor_desk_core::sync::connections::NewConnection;
use advisor_desk_core::Store;
use solo_book::{book_in, KEY, TOKENS};

const PASSPHRASE: &str = "a long passphrase for the move";

fn cli(data_dir: &Path, service: &str, stdin: &str, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_advisor-desk-cli"))
        .args(args)
        .env("ADVISOR_DESK_DATA_DIR", data_dir)
        .env("ADVISOR_DESK_KEYRING_SERVICE", service)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run advisor-desk-cli");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{stdin}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Every entry the book's connections name, and the provider key, in `keychain`.
fn entries(data_dir: &Path, keychain: &KeyringStore) -> Vec<Option<String>> {
    let store = Store::open(&data_dir.join("advisor-desk.sqlite3")).unwrap();
    let mut values: Vec<Option<String>> = advisor_desk_core::sync::connections::list(&store, None)
        .unwrap()
        .iter()
        .map(|c| {
            keychain
                .get(&c.secret_key().unwrap())
                .unwrap()
                .map(|s| s.expose().to_string())
        })
        .collect();
    values.push(
        keychain
            .get(&SecretKey::provider_key(KEY.0, KEY.1))
            .unwrap()
            .map(|s| s.expose().to_string()),
    );
    values
}

fn forget(data_dir: &Path, keychain: &KeyringStore) {
    if let Ok(store) = Store::open(&data_dir.join("advisor-desk.sqlite3")) {
        for c in advisor_desk_core::sync::connections::list(&store, None).unwrap_or_default() {
            let _ = keychain.delete(&c.secret_key().unwrap());
        }
    }
    let _ = keychain.delete(&SecretKey::provider_key(KEY.0, KEY.1));
}

#[test]
#[ignore = "needs a Secret Service; run inside scripts/with-keyring.sh"]
fn export_and_import_move_the_book_and_every_secret_to_another_keychain() {
    let pid = std::process::id();
    let (service_a, service_b) = (
        format!("app.advisordesk.test.book-a.{pid}"),
        format!("app.advisordesk.test.book-b.{pid}"),
    );
    let (keychain_a, keychain_b) = (KeyringStore::new(&service_a), KeyringStore::new(&service_b));
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    book_in(a.path(), &keychain_a);
    let file = a.path().join("book.adbook");

    let out = cli(
        a.path(),
        &service_a,
        PASSPHRASE,
        &["--json", "book", "export", "--out", file.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&file).unwrap();
    for secret in TOKENS.iter().chain([&KEY.2]) {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "a secret in clear in the export"
        );
    }

    let wrong = cli(
        b.path(),
        &service_b,
        "not the right passphrase",
        &["--json", "book", "import", file.to_str().unwrap()],
    );
    assert_eq!(wrong.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong_passphrase"));
    assert!(
        !b.path().join("advisor-desk.sqlite3").exists(),
        "nothing imported"
    );
    assert_eq!(
        keychain_b
            .get(&SecretKey::provider_key(KEY.0, KEY.1))
            .unwrap(),
        None
    );

    let imported = cli(
        b.path(),
        &service_b,
        PASSPHRASE,
        &["--json", "book", "import", file.to_str().unwrap()],
    );
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&imported.stdout).unwrap();
    assert_eq!(report["connection_tokens"], 2);
    assert_eq!(report["provider_keys"], 1);

    let arrived = entries(b.path(), &keychain_b);
    let mut expected: Vec<Option<String>> = TOKENS.iter().map(|t| Some(t.to_string())).collect();
    expected.push(Some(KEY.2.to_string()));
    let mut sorted = arrived.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "every secret in the second keychain");
    assert_eq!(
        entries(a.path(), &keychain_a).len(),
        3,
        "the first folder keeps its own"
    );

    forget(a.path(), &keychain_a);
    forget(b.path(), &keychain_b);
}

#[test]
#[ignore = "needs a Secret Service; run inside scripts/with-keyring.sh"]
fn after_a_restore_a_connection_made_since_the_backup_is_listed_and_reattached() {
    let service = format!("app.advisordesk.test.reattach.{}", std::process::id());
    let keychain = KeyringStore::new(&service);
    let dir = tempfile::tempdir().unwrap();
    book_in(dir.path(), &keychain);
    let backup = cli(dir.path(), &service, "", &["backup"]);
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );

    // A connection made after the backup.
    let later = "ct-made-after-the-backup-31f";
    {
        let store = Store::open(&dir.path().join("advisor-desk.sqlite3")).unwrap();
        advisor_desk_core::sync::connections::add(
            &store,
            &NewConnection {
                client_id: 1,
                provider: Provider::Flanks,
                flow: "flanks_link".into(),
                institution_id: None,
                institution_name: Some("Later Bank".into()),
            },
            &Secret::new(later),
            &keychain,
            "t",
        )
        .unwrap();
    }

    let restored = cli(dir.path(), &service, "", &["--json", "restore", "--latest"]);
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&restored.stdout).unwrap();
    let found = report["found_since_backup"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{report}");
    assert_eq!(found[0]["institution_name"], "Later Bank");
    assert!(!String::from_utf8_lossy(&restored.stdout).contains(later));

    let listed = cli(dir.path(), &service, "", &["--json", "reattach"]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let hash = listed[0]["token_hash"].as_str().unwrap().to_string();
    let attached = cli(
        dir.path(),
        &service,
        "",
        &["--json", "reattach", &hash[..12], "--client", "1"],
    );
    assert!(
        attached.status.success(),
        "{}",
        String::from_utf8_lossy(&attached.stderr)
    );

    let store = Store::open(&dir.path().join("advisor-desk.sqlite3")).unwrap();
    let connections = advisor_desk_core::sync::connections::list(&store, Some(1)).unwrap();
    assert_eq!(
        connections.len(),
        3,
        "the two from the backup and the one found again"
    );
    let again = connections
        .iter()
        .find(|c| c.institution_name.as_deref() == Some("Later Bank"))
        .unwrap();
    assert_eq!(
        keychain
            .get(&again.secret_key().unwrap())
            .unwrap()
            .unwrap()
            .expose(),
        later
    );
    let nothing_left = cli(dir.path(), &service, "", &["--json", "reattach"]);
    assert_eq!(String::from_utf8_lossy(&nothing_left.stdout).trim(), "[]");

    for c in &connections {
        let _ = keychain.delete(&c.secret_key().unwrap());
    }
    let _ = keychain.delete(&SecretKey::provider_key(KEY.0, KEY.1));
}

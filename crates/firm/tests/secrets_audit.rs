//! The secrets audit of the firm database: after secrets were sealed, a key rotated and an
//! advisor removed, the server's files on disk (the whole cluster folder after a CHECKPOINT:
//! tables, indexes, the write-ahead log, the server log) and a `pg_dump` of the database (plain
//! SQL and the custom archive) are scanned for every secret and every firm key in clear — as
//! text, hex and base64 (and the other encodings the scanner knows): zero hits. A value written
//! in clear on purpose (a canary, in a plain setting) must be found, so the scan is shown able to
//! fail.
//!
//! The scanner is the end-to-end suite's (`tests/e2e/src/secret_scan.rs`), included by path: it
//! is a plain module needing only `std` and `serde_json`, so sharing it does not pull in the
//! e2e crate (its webview driver, its SQLite).

mod dump_scan;
#[allow(dead_code)] // the e2e suite's scanner; this test uses part of it
#[path = "../../../tests/e2e/src/secret_scan.rs"]
mod secret_scan;
mod secrets_common;

use advisor_desk_core::firm::keychain::key_entry;
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_firm::secrets::remove_advisor_and_rotate;
use advisor_desk_firm::test_server::TestServer;
use dump_scan::{assert_only_the_canary, pg_dump};
use secret_scan::{Report, Scanner, Secret};
use secrets_common::{firm_with_secrets, SECRETS};

const CANARY: &str = "canary-in-clear-4b1e9d07a3c2";

#[test]
fn the_firm_database_and_its_dumps_hold_no_secret_in_clear() {
    let server = TestServer::shared();
    let firm = firm_with_secrets();
    remove_advisor_and_rotate(&firm.admin, &firm.admin_keychain, &firm.bob.role).unwrap();
    // A plain setting, in clear on purpose: what a leak would look like.
    firm.book
        .owner()
        .execute(
            "INSERT INTO firm_settings (key, value) VALUES ('audit_canary', $1)",
            &[&CANARY],
        )
        .unwrap();

    let mut needles = vec![Secret::new("canary", CANARY)];
    for (place, secret) in SECRETS {
        needles.push(Secret::new(format!("{place:?}"), secret));
        needles.push(Secret::new(
            format!("{place:?} as hex"),
            hex(secret.as_bytes()),
        ));
    }
    let mut raw_keys = Vec::new();
    for version in [1, 2] {
        let text = firm
            .admin_keychain
            .get(&key_entry(&firm.id, version).unwrap())
            .unwrap()
            .expect("both keys in the admin's keychain");
        let raw = unhex(text.expose());
        needles.push(Secret::new(format!("firm key v{version}"), text.expose()));
        needles.push(Secret::new(
            format!("firm key v{version} raw as base64"),
            secret_scan::base64(&raw),
        ));
        raw_keys.push((format!("firm key v{version} raw"), raw));
    }
    let scanner = Scanner::new(needles);

    // The files on disk: everything the server wrote, flushed.
    firm.book.superuser().batch_execute("CHECKPOINT").unwrap();
    let on_disk = scanner.scan_tree(server.folder_path());
    assert_only_the_canary(&on_disk, "the server's folder");
    assert_no_raw_key(&on_disk, &raw_keys);

    // The dumps, as a firm's backup would take them (the archive uncompressed, so its bytes
    // can be read; compressed, it would hide a leak from the scan, not from a reader).
    let dumps = tempfile::tempdir().unwrap();
    for (format, file) in [("plain", "firm.sql"), ("custom", "firm.dump")] {
        let path = dumps.path().join(file);
        pg_dump(server, &firm.book.database.superuser_url, format, &path);
        let dumped = scanner.scan_file(&path).unwrap();
        assert_only_the_canary(&dumped, &format!("pg_dump --format={format}"));
        assert_no_raw_key(&dumped, &raw_keys);
    }
    let plain = std::fs::read_to_string(dumps.path().join("firm.sql")).unwrap();
    assert!(
        plain.contains("COPY public.sealed_secrets"),
        "the dump holds the sealed secrets (sealed)"
    );
}

/// The firm keys' 32 raw bytes, which the text scanner cannot look for.
fn assert_no_raw_key(report: &Report, keys: &[(String, Vec<u8>)]) {
    for file in &report.files {
        let Ok(bytes) = std::fs::read(file) else {
            continue; // removed since (a WAL segment recycled)
        };
        for (label, key) in keys {
            assert!(
                !bytes.windows(key.len()).any(|w| w == key.as_slice()),
                "{label} in {}",
                file.display()
            );
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

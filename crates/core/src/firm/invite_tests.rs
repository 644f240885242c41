//! The invite file on real files, accepted into an in-memory keychain (the real Secret
//! Service run is `crates/core/tests/firm_keychain.rs`).

use std::path::{Path, PathBuf};

use super::keychain::{key_entry, password_entry};
use super::*;
use crate::encrypted_file::{new_passphrase, write_json_line, write_new};
use crate::secrets::{MemorySecretStore, Secret, SecretStore};
use crate::test_support::FailingPut;

const PASSPHRASE: &str = "correct horse battery staple";
const PASSWORD: &str = "pg-role-pass-9Xq2Lm7Tz4";
const CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBfirmCA\n-----END CERTIFICATE-----\n";

fn invite() -> Invite {
    let first = FirmKey::generate(1).unwrap();
    let second = first.successor().unwrap();
    Invite {
        firm: FirmId::new("acme-advisors").unwrap(),
        firm_name: "Acme Advisors S.L.".into(),
        database: DatabaseSettings {
            host: "db.acme.example".into(),
            port: 5432,
            dbname: "advisor_desk".into(),
            sslmode: SslMode::VerifyFull,
            ca_certificate_pem: Some(CA_PEM.into()),
        },
        role: "advisor_ana".into(),
        password: Secret::new(PASSWORD),
        keys: vec![first, second],
    }
}

fn folder() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ana.invite");
    (dir, path)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What an advisor does with the file: read it, then accept it.
fn join(
    path: &Path,
    passphrase: &str,
    keychain: &dyn SecretStore,
) -> Result<FirmSettings, FirmError> {
    read_invite(path, passphrase).and_then(|invite| accept_invite(keychain, invite))
}

#[test]
fn an_invite_round_trips_and_accepting_it_files_its_secrets_in_the_keychain() {
    let (_dir, path) = folder();
    let sent = invite();
    write_invite(&path, &sent, PASSPHRASE).unwrap();

    let read = read_invite(&path, PASSPHRASE).unwrap();
    assert_eq!(read.firm, sent.firm);
    assert_eq!(read.firm_name, sent.firm_name);
    assert_eq!(read.database, sent.database);
    assert_eq!(read.role, sent.role);
    assert_eq!(read.password, sent.password);
    assert_eq!(read.keys.len(), 2);
    for (got, want) in read.keys.iter().zip(&sent.keys) {
        assert_eq!(got.version(), want.version());
        assert_eq!(got.to_text(), want.to_text());
    }

    let keychain = MemorySecretStore::new();
    let settings = accept_invite(&keychain, read).unwrap();
    assert_eq!(settings.firm, sent.firm);
    assert_eq!(settings.database, sent.database);
    assert_eq!(settings.role, "advisor_ana");
    assert_eq!(settings.key_versions, vec![1, 2]);
    assert_eq!(settings.current_key_version(), Some(2));
    assert_eq!(keychain.len(), 3, "two keys and the role password");
    let firm = &sent.firm;
    assert_eq!(
        keychain
            .get(&password_entry(firm).unwrap())
            .unwrap()
            .unwrap()
            .expose(),
        PASSWORD
    );
    assert_eq!(
        password_entry(firm).unwrap().as_str(),
        "firm/acme-advisors/role-password"
    );

    // A secret the administrator sealed opens with the key the advisor now holds.
    let place = SecretBinding::new(firm, "connections", 12, "credentials_token").unwrap();
    let sealed = seal(&sent.keys[1], &Secret::new("ct-flanks-shared"), &place).unwrap();
    let held = FirmKey::load(&keychain, firm, 2).unwrap();
    assert_eq!(
        open(&held, &sealed, &place).unwrap().expose(),
        "ct-flanks-shared"
    );

    let shown = format!("{settings:?} {sent:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    for key in &sent.keys {
        assert!(!shown.contains(key.to_text().expose()), "{shown}");
    }
    let json = serde_json::to_string(&settings).unwrap();
    assert!(
        !json.contains(PASSWORD) && json.contains("verify-full"),
        "{json}"
    );
}

#[test]
fn the_invite_file_holds_no_secret_in_clear() {
    let (_dir, path) = folder();
    let sent = invite();
    write_invite(&path, &sent, PASSPHRASE).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let mut needles: Vec<Vec<u8>> = vec![
        PASSWORD.as_bytes().to_vec(),
        PASSPHRASE.as_bytes().to_vec(),
        b"advisor_ana".to_vec(),
        b"db.acme.example".to_vec(),
    ];
    for key in &sent.keys {
        let text = key.to_text();
        needles.push(text.expose().as_bytes().to_vec());
        needles.push(text.expose().to_uppercase().into_bytes());
        needles.push(hex::decode(text.expose()).unwrap());
    }
    for needle in &needles {
        assert!(
            !contains(&bytes, needle),
            "found {} bytes in clear",
            needle.len()
        );
    }
    assert!(!path.with_extension("invite.partial").exists());
}

#[test]
fn a_wrong_passphrase_is_refused_and_nothing_reaches_the_keychain() {
    let (_dir, path) = folder();
    write_invite(&path, &invite(), PASSPHRASE).unwrap();
    let keychain = MemorySecretStore::new();
    let err = join(&path, "correct horse battery stapler", &keychain).unwrap_err();
    assert!(matches!(err, FirmError::WrongPassphrase), "{err}");
    assert_eq!(err.code(), "wrong_passphrase");
    assert!(keychain.is_empty());
}

#[test]
fn a_cut_or_changed_file_is_refused_and_nothing_reaches_the_keychain() {
    let (dir, path) = folder();
    write_invite(&path, &invite(), PASSPHRASE).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    let flipped = |at: usize| {
        let mut b = bytes.clone();
        b[at] ^= 0x01;
        b
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("cut in the payload", bytes[..len - 40].to_vec()),
        ("cut at the last byte", bytes[..len - 1].to_vec()),
        ("cut in the header", bytes[..60].to_vec()),
        ("empty", Vec::new()),
        ("a payload byte changed", flipped(len - 60)),
        ("the last byte changed", flipped(len - 1)),
        ("a byte added", [bytes.clone(), vec![0]].concat()),
    ];
    for (what, damaged) in cases {
        let file = dir.path().join("damaged.invite");
        std::fs::write(&file, &damaged).unwrap();
        let keychain = MemorySecretStore::new();
        let err = join(&file, PASSPHRASE, &keychain).unwrap_err();
        assert_eq!(err.code(), "invite_file_damaged", "{what}: {err}");
        assert!(keychain.is_empty(), "{what}");
    }
}

/// A file in the invite's format with these lines after the magic one, as another version
/// (or another program) would write it.
fn write_lines(path: &Path, magic: &str, lines: &[serde_json::Value]) {
    let passphrase = new_passphrase(PASSPHRASE).unwrap();
    write_new(path, passphrase, magic, |w| {
        lines.iter().try_for_each(|line| write_json_line(w, line))
    })
    .unwrap();
}

#[test]
fn a_newer_format_another_kind_of_file_or_a_bad_invite_inside_is_refused() {
    let (dir, _) = folder();
    let key_hex = FirmKey::generate(1).unwrap().to_text().expose().to_string();
    let body = serde_json::json!({
        "firm": "acme", "firm_name": "Acme", "role": "advisor_ana", "password": PASSWORD,
        "database": {"host": "db", "port": 5432, "dbname": "d", "sslmode": "require",
                     "ca_certificate_pem": null},
        "keys": [{"version": 1, "key": key_hex}],
    });
    let header = |format: u32| serde_json::json!({"format": format, "app_version": "9.9.9"});
    let with = |field: &str, value: serde_json::Value| {
        let mut b = body.clone();
        b[field] = value;
        b
    };
    let cases = [
        (
            "fine",
            "advisor-desk-invite",
            vec![header(1), body.clone()],
            None,
        ),
        (
            "newer",
            "advisor-desk-invite",
            vec![header(2), body.clone()],
            Some("invite_file_too_new"),
        ),
        (
            "a book",
            "advisor-desk-book",
            vec![header(1), body.clone()],
            Some("invite_file_damaged"),
        ),
        (
            "no invite line",
            "advisor-desk-invite",
            vec![header(1)],
            Some("invite_file_damaged"),
        ),
        (
            "a line after it",
            "advisor-desk-invite",
            vec![header(1), body.clone(), header(1)],
            Some("invite_file_damaged"),
        ),
        (
            "a short key",
            "advisor-desk-invite",
            vec![
                header(1),
                with("keys", serde_json::json!([{"version": 1, "key": "abcd"}])),
            ],
            Some("invite_file_damaged"),
        ),
        (
            "no key",
            "advisor-desk-invite",
            vec![header(1), with("keys", serde_json::json!([]))],
            Some("invite_file_damaged"),
        ),
        (
            "a bad firm id",
            "advisor-desk-invite",
            vec![header(1), with("firm", "../x".into())],
            Some("invite_file_damaged"),
        ),
    ];
    for (i, (what, magic, lines, refusal)) in cases.into_iter().enumerate() {
        let file = dir.path().join(format!("case-{i}.invite"));
        write_lines(&file, magic, &lines);
        let keychain = MemorySecretStore::new();
        match (join(&file, PASSPHRASE, &keychain), refusal) {
            (Ok(settings), None) => assert_eq!(settings.key_versions, vec![1], "{what}"),
            (Err(err), Some(code)) => {
                assert_eq!(err.code(), code, "{what}: {err}");
                assert!(!err.to_string().contains(PASSWORD), "{what}: {err}");
                assert!(keychain.is_empty(), "{what}");
            }
            (outcome, _) => panic!("{what}: unexpected {outcome:?}"),
        }
    }
}

#[test]
fn writing_refuses_a_short_passphrase_an_existing_file_and_an_unusable_invite() {
    let (dir, path) = folder();
    let err = write_invite(&path, &invite(), "short").unwrap_err();
    assert!(matches!(err, FirmError::PassphraseTooShort), "{err}");
    assert!(!path.exists());

    type Spoil = Box<dyn Fn(&mut Invite)>;
    let cases: Vec<(&str, Spoil)> = vec![
        ("no key", Box::new(|i| i.keys.clear())),
        (
            "a repeated version",
            Box::new(|i| i.keys.push(FirmKey::generate(1).unwrap())),
        ),
        (
            "a role with a capital",
            Box::new(|i| i.role = "Advisor".into()),
        ),
        ("no password", Box::new(|i| i.password = Secret::new(""))),
        ("port 0", Box::new(|i| i.database.port = 0)),
        (
            "a host with a space",
            Box::new(|i| i.database.host = "db host".into()),
        ),
        (
            "not a PEM",
            Box::new(|i| i.database.ca_certificate_pem = Some("hello".into())),
        ),
        ("no name", Box::new(|i| i.firm_name = " ".into())),
    ];
    for (what, spoil) in cases {
        let mut bad = invite();
        spoil(&mut bad);
        let err = write_invite(&path, &bad, PASSPHRASE).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{what}: {err}");
        assert!(!path.exists(), "{what}");
        assert!(
            accept_invite(&MemorySecretStore::new(), bad).is_err(),
            "{what}"
        );
    }

    write_invite(&path, &invite(), PASSPHRASE).unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = write_invite(&path, &invite(), PASSPHRASE).unwrap_err();
    assert_eq!(err.code(), "invalid_input", "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the first file is untouched"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_keychain_failure_midway_takes_back_what_was_written() {
    let sent = invite();
    let firm = sent.firm.clone();
    // Key 1, key 2, then the password: the password's write fails.
    let keychain = FailingPut::new(3);
    // An older key 1 already there: it must be there again after the failure.
    let earlier = Secret::new("00".repeat(32));
    keychain
        .inner
        .put(&key_entry(&firm, 1).unwrap(), &earlier)
        .unwrap();

    let err = accept_invite(&keychain, sent).unwrap_err();
    assert_eq!(err.code(), "keychain_locked", "{err}");
    assert_eq!(keychain.inner.len(), 1);
    assert_eq!(
        keychain.inner.get(&key_entry(&firm, 1).unwrap()).unwrap(),
        Some(earlier)
    );
    assert!(keychain
        .inner
        .get(&key_entry(&firm, 2).unwrap())
        .unwrap()
        .is_none());
    assert!(keychain
        .inner
        .get(&password_entry(&firm).unwrap())
        .unwrap()
        .is_none());
}

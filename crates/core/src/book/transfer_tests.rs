//! Export → import on real files with two in-memory keychains (the real Secret Service run
//! is `crates/cli/tests/book_transfer.rs`): every secret arrives under the new installation's
//! names, none is in the file in clear, and every refusal leaves nothing behind.

use std::path::{Path, PathBuf};

use super::transfer::*;
use crate::domain::Provider;
use crate::error::ErrorCode;
use crate::secrets::{MemorySecretStore, Secret, SecretKey, SecretStore};
use crate::store::verified_copy::row_counts;
use crate::store::Store;
use crate::sync::connections::NewConnection;
use crate::test_support;

const PASSPHRASE: &str = "correct horse battery staple";
const TOKENS: [&str; 3] = [
    "ct-flanks-7f3a9c21e5d04b8f",
    "ct-flanks-second-b19e44aa",
    "8c2f4e1a-77d3-4b5e-9a01-loginid",
];
const KEYS: [(&str, &str, &str); 2] = [
    ("flanks", "client_secret", "flanks-secret-Zq81xP0w"),
    ("flinks", "api_key", "flinks-apikey-Hh27Yt5m"),
];

struct Folder {
    _dir: tempfile::TempDir,
    db: PathBuf,
    keychain: MemorySecretStore,
}

fn empty_folder() -> Folder {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data").join("advisor-desk.sqlite3");
    Folder {
        _dir: dir,
        db,
        keychain: MemorySecretStore::new(),
    }
}

/// A book of two clients, three connections and two provider keys.
fn book() -> Folder {
    let f = empty_folder();
    let store = Store::open(&f.db).unwrap();
    let ana = test_support::client(&store, "Ana Ruiz");
    let luc = test_support::client(&store, "Luc Tremblay");
    for (client, token, provider, flow) in [
        (ana, TOKENS[0], Provider::Flanks, "flanks_link"),
        (ana, TOKENS[1], Provider::Flanks, "flanks_link"),
        (luc, TOKENS[2], Provider::Flinks, "flinks_connect"),
    ] {
        crate::sync::connections::add(
            &store,
            &NewConnection {
                client_id: client,
                provider,
                flow: flow.into(),
                institution_id: None,
                institution_name: Some("Bank".into()),
            },
            &Secret::new(token),
            &f.keychain,
            "t",
        )
        .unwrap();
    }
    for (provider, field, value) in KEYS {
        f.keychain
            .put(
                &SecretKey::provider_key(provider, field),
                &Secret::new(value),
            )
            .unwrap();
    }
    f
}

fn export(f: &Folder, out: &Path) -> Exported {
    let store = Store::open(&f.db).unwrap();
    export_book(&store, &f.keychain, out, PASSPHRASE).unwrap()
}

fn encodings(secret: &str) -> Vec<Vec<u8>> {
    use base64_like::encode;
    let utf16: Vec<u8> = secret
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    vec![
        secret.as_bytes().to_vec(),
        utf16,
        hex::encode(secret).into_bytes(),
        encode(secret.as_bytes()).into_bytes(),
    ]
}

/// Standard base64 without a crate: the scan must look for it too.
mod base64_like {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn export_then_import_on_a_new_installation_brings_the_book_and_every_secret() {
    let from = book();
    let out = from.db.parent().unwrap().join("book.adbook");
    let exported = export(&from, &out);
    assert_eq!(exported.provider_keys, 2);
    assert_eq!(exported.connection_tokens, 3);
    assert_eq!(exported.tokens_missing, 0);

    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"), "an age file");
    let all_secrets = TOKENS.iter().copied().chain(KEYS.iter().map(|k| k.2));
    for secret in all_secrets {
        for encoded in encodings(secret) {
            assert!(
                !contains(&bytes, &encoded),
                "a secret in clear in the export"
            );
        }
    }
    // The scan finds what it looks for (a control).
    assert!(contains(
        &[b"x".as_slice(), TOKENS[0].as_bytes()].concat(),
        &encodings(TOKENS[0])[0]
    ));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let to = empty_folder();
    let imported = import_book(&to.db, &to.keychain, &out, PASSPHRASE).unwrap();
    assert_eq!(imported.rows, exported.rows);
    assert_eq!((imported.provider_keys, imported.connection_tokens), (2, 3));

    let old = Store::open(&from.db).unwrap();
    let new = Store::open(&to.db).unwrap();
    assert_ne!(
        new.installation_id().unwrap(),
        old.installation_id().unwrap()
    );
    assert_eq!(new.installation_id().unwrap(), imported.installation_id);
    let connections = crate::sync::connections::list(&new, None).unwrap();
    assert_eq!(connections.len(), 3);
    let mut arrived: Vec<String> = connections
        .iter()
        .map(|c| {
            assert!(
                c.secret_ref.contains(&imported.installation_id),
                "{}",
                c.secret_ref
            );
            crate::credentials::token_of(&to.keychain, c)
                .unwrap()
                .expect("the token is in the new keychain")
                .expose()
                .to_string()
        })
        .collect();
    arrived.sort();
    let mut expected: Vec<String> = TOKENS.iter().map(|t| t.to_string()).collect();
    expected.sort();
    assert_eq!(arrived, expected);
    for (provider, field, value) in KEYS {
        let got = to
            .keychain
            .get(&SecretKey::provider_key(provider, field))
            .unwrap()
            .unwrap();
        assert_eq!(got.expose(), value);
    }
    assert_eq!(to.keychain.len(), 5, "nothing else written");
    assert_eq!(crate::clients::list(&new, true).unwrap().len(), 2);
}

/// The folder and keychain are exactly as before a refused import.
fn assert_nothing_imported(to: &Folder) {
    assert!(!to.db.exists(), "no database");
    assert!(
        !PathBuf::from(format!("{}.importing", to.db.display())).exists(),
        "no staging file left"
    );
    assert!(to.keychain.is_empty(), "no keychain entry");
}

#[test]
fn a_wrong_passphrase_is_refused_and_nothing_is_imported() {
    let from = book();
    let out = from.db.parent().unwrap().join("book.adbook");
    export(&from, &out);
    let to = empty_folder();
    let err = import_book(&to.db, &to.keychain, &out, "not the passphrase at all").unwrap_err();
    assert_eq!(err.code(), ErrorCode::WrongPassphrase, "{err}");
    assert_nothing_imported(&to);
}

#[test]
fn a_truncated_or_tampered_file_is_refused_and_nothing_is_imported() {
    let from = book();
    let out = from.db.parent().unwrap().join("book.adbook");
    export(&from, &out);
    let bytes = std::fs::read(&out).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("cut in the header", bytes[..40].to_vec()),
        ("cut in the middle", bytes[..bytes.len() / 2].to_vec()),
        ("last bytes cut", bytes[..bytes.len() - 7].to_vec()),
        ("one byte changed in the payload", {
            let mut b = bytes.clone();
            let at = b.len() - 5000;
            b[at] ^= 0x01;
            b
        }),
        ("a chunk appended", [bytes.clone(), vec![0u8; 100]].concat()),
    ];
    for (what, damaged) in cases {
        let file = out.with_file_name("damaged.adbook");
        std::fs::write(&file, &damaged).unwrap();
        let to = empty_folder();
        let err = import_book(&to.db, &to.keychain, &file, PASSPHRASE).unwrap_err();
        assert_eq!(err.code(), ErrorCode::BookFileDamaged, "{what}: {err}");
        assert_nothing_imported(&to);
    }
}

#[test]
fn a_file_from_a_newer_version_is_refused() {
    let from = book();
    let out = from.db.parent().unwrap().join("book.adbook");
    export(&from, &out);
    for (what, format, schema, code) in [
        (
            "format",
            FORMAT_VERSION + 1,
            None,
            ErrorCode::BookFileTooNew,
        ),
        (
            "schema",
            FORMAT_VERSION,
            Some(crate::store::LATEST_VERSION + 1),
            ErrorCode::SchemaTooNew,
        ),
    ] {
        let newer = out.with_file_name(format!("newer-{what}.adbook"));
        rewrite_manifest(&out, &newer, format, schema);
        let to = empty_folder();
        let err = import_book(&to.db, &to.keychain, &newer, PASSPHRASE).unwrap_err();
        assert_eq!(err.code(), code, "{what}: {err}");
        assert_nothing_imported(&to);
    }
}

/// Decrypts `from` with age itself and re-encrypts it with the manifest changed, as a newer
/// version would have written it.
fn rewrite_manifest(from: &Path, to: &Path, format: u32, schema: Option<i64>) {
    use age::secrecy::SecretString;
    use std::io::{Read, Write};
    let pass = || SecretString::from(PASSPHRASE.to_owned());
    let decryptor = age::Decryptor::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut plain = Vec::new();
    decryptor
        .decrypt(std::iter::once(
            &age::scrypt::Identity::new(pass()) as &dyn age::Identity
        ))
        .unwrap()
        .read_to_end(&mut plain)
        .unwrap();
    let first = plain.iter().position(|b| *b == b'\n').unwrap() + 1;
    let second = first + plain[first..].iter().position(|b| *b == b'\n').unwrap();
    let mut manifest: serde_json::Value = serde_json::from_slice(&plain[first..second]).unwrap();
    manifest["format"] = format.into();
    if let Some(schema) = schema {
        manifest["schema_version"] = schema.into();
    }
    let rewritten = [
        &plain[..first],
        serde_json::to_string(&manifest).unwrap().as_bytes(),
        &plain[second..],
    ]
    .concat();
    let mut w = age::Encryptor::with_user_passphrase(pass())
        .wrap_output(std::fs::File::create(to).unwrap())
        .unwrap();
    w.write_all(&rewritten).unwrap();
    w.finish().unwrap();
}

#[test]
fn a_folder_that_already_holds_a_book_is_refused() {
    let from = book();
    let out = from.db.parent().unwrap().join("book.adbook");
    export(&from, &out);
    let to = empty_folder();
    let store = Store::open(&to.db).unwrap();
    test_support::client(&store, "Someone already here");
    drop(store);
    let before = row_counts(&rusqlite::Connection::open(&to.db).unwrap()).unwrap();
    let err = import_book(&to.db, &to.keychain, &out, PASSPHRASE).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    assert_eq!(
        row_counts(&rusqlite::Connection::open(&to.db).unwrap()).unwrap(),
        before
    );
    assert!(to.keychain.is_empty());
}

#[test]
fn a_keychain_failure_halfway_takes_back_what_was_written() {
    let from = book();
    let out = from.db.parent().unwrap().join("book.adbook");
    export(&from, &out);
    let to = empty_folder();
    // Three entries go in, the fourth write fails.
    let keychain = test_support::FailingPut::new(4);
    let err = import_book(&to.db, &keychain, &out, PASSPHRASE).unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainLocked);
    assert!(
        keychain.inner.is_empty(),
        "the three entries written were removed"
    );
    assert!(!to.db.exists());
}

#[test]
fn a_short_passphrase_is_refused_before_anything_is_written() {
    let from = book();
    let out = from.db.parent().unwrap().join("book.adbook");
    let store = Store::open(&from.db).unwrap();
    let err = export_book(&store, &from.keychain, &out, "short").unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(!out.exists());
}

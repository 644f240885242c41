//! The firm's secrets in the real OS keychain (the Secret Service on Linux): an invite read
//! and accepted on the advisor's side files the firm keys and the role password where a
//! fresh keychain connection finds them, and a secret the administrator sealed then opens.
//! Needs a running, unlocked Secret Service: `KEYRING_HERMETIC=1 scripts/with-keyring.sh
//! cargo test -p advisor-desk-core --test firm_keychain -- --include-ignored`.

use advisor_desk_core::firm::{
    accept_invite, keychain, open, read_invite, seal, write_invite, DatabaseSettings, FirmError,
    FirmId, FirmKey, Invite, SecretBinding, SslMode,
};
use advisor_desk_core::secrets::{KeyringStore, Secret, SecretKey, SecretStore};

const PASSPHRASE: &str = "a long passphrase for the invite";
const PASSWORD: &str = "pg-role-password-Kx81";

fn unique_service(test: &str) -> String {
    format!("app.advisordesk.test.firm.{test}.{}", std::process::id())
}

fn invite(firm: &FirmId) -> Invite {
    let first = FirmKey::generate(1).unwrap();
    let second = first.successor().unwrap();
    Invite {
        firm: firm.clone(),
        firm_name: "Ruiz & Partners".into(),
        database: DatabaseSettings {
            host: "127.0.0.1".into(),
            port: 55432,
            dbname: "firm".into(),
            sslmode: SslMode::Require,
            ca_certificate_pem: None,
        },
        role: "advisor_luc".into(),
        password: Secret::new(PASSWORD),
        keys: vec![first, second],
    }
}

fn entries(firm: &FirmId) -> Vec<SecretKey> {
    vec![
        keychain::key_entry(firm, 1).unwrap(),
        keychain::key_entry(firm, 2).unwrap(),
        keychain::password_entry(firm).unwrap(),
    ]
}

#[test]
#[ignore = "needs a Secret Service; run by ./dev test"]
fn a_firm_invite_accepted_into_the_real_keychain_opens_the_firms_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("luc.invite");
    let firm = FirmId::new(format!("ruiz-{}", std::process::id())).unwrap();
    let sent = invite(&firm);
    write_invite(&path, &sent, PASSPHRASE).unwrap();
    let place = SecretBinding::new(&firm, "connections", 31, "credentials_token").unwrap();
    let sealed = seal(&sent.keys[1], &Secret::new("ct-flinks-loginid-77"), &place).unwrap();

    let service = unique_service("accept");
    let settings = accept_invite(
        &KeyringStore::new(&service),
        read_invite(&path, PASSPHRASE).unwrap(),
    )
    .unwrap();
    assert_eq!(settings.key_versions, vec![1, 2]);
    assert_eq!(settings.role, "advisor_luc");

    // A new connection to the keychain, as the app's next start would make.
    let later = KeyringStore::new(&service);
    let key = FirmKey::load(&later, &firm, 2).unwrap();
    let stored = sealed.to_bytes();
    let read = advisor_desk_core::firm::SealedSecret::from_bytes(&stored).unwrap();
    assert_eq!(
        open(&key, &read, &place).unwrap().expose(),
        "ct-flinks-loginid-77"
    );
    let password = later
        .get(&keychain::password_entry(&firm).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(password.expose(), PASSWORD);
    assert!(matches!(
        FirmKey::load(&later, &firm, 3).unwrap_err(),
        FirmError::KeyMissing { version: 3 }
    ));

    for name in entries(&firm) {
        assert!(later.delete(&name).unwrap(), "{}", name.as_str());
    }
}

#[test]
#[ignore = "needs a Secret Service; run by ./dev test"]
fn a_firm_invite_refused_puts_nothing_in_the_real_keychain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("luc.invite");
    let firm = FirmId::new(format!("refused-{}", std::process::id())).unwrap();
    write_invite(&path, &invite(&firm), PASSPHRASE).unwrap();
    let store = KeyringStore::new(unique_service("refused"));

    let wrong =
        read_invite(&path, "not the passphrase at all").and_then(|i| accept_invite(&store, i));
    assert_eq!(wrong.unwrap_err().code(), "wrong_passphrase");

    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    let tampered = dir.path().join("tampered.invite");
    std::fs::write(&tampered, &bytes).unwrap();
    let damaged = read_invite(&tampered, PASSPHRASE).and_then(|i| accept_invite(&store, i));
    assert_eq!(damaged.unwrap_err().code(), "invite_file_damaged");

    for name in entries(&firm) {
        assert!(store.get(&name).unwrap().is_none(), "{}", name.as_str());
    }
}

//! Removing an advisor rotates the firm key, against the real firm database: every sealed
//! secret re-sealed under the next version, the version recorded, the role dropped — all in one
//! transaction, so a failure at any step (a secret that does not open, the role removal, the
//! keychain) leaves the old key and every row exactly as they were. After it, the key the
//! removed advisor held opens nothing the firm stores.

mod secrets_common;

use advisor_desk_core::firm::{
    accept_key_update, keychain::key_entry, read_key_update, write_key_update, FirmKey, KeyUpdate,
};
use advisor_desk_core::secrets::{
    KeyringStore, MemorySecretStore, Secret, SecretError, SecretKey, SecretStore,
};
use advisor_desk_firm::secrets::{self, remove_advisor_and_rotate, Rotation};
use advisor_desk_firm::FirmStore;
use secrets_common::{code, copy_key, firm_with_secrets, Firm, SECRETS};

const PASSPHRASE: &str = "a passphrase agreed with Alice";

fn open_all(firm: &Firm, keychain: &dyn SecretStore) -> Vec<Result<String, &'static str>> {
    SECRETS
        .iter()
        .map(|(place, _)| {
            firm.admin
                .write_as(|tx| secrets::open(tx, keychain, *place))
                .map(|s| s.expose().to_string())
                .map_err(|e| e.code())
        })
        .collect()
}

fn expected() -> Vec<Result<String, &'static str>> {
    SECRETS.iter().map(|(_, s)| Ok(s.to_string())).collect()
}

fn assert_rotated(firm: &Firm, keychain: &dyn SecretStore) {
    let bob_role = firm.bob.role.clone();
    let before = firm.snapshot();
    let rotation = remove_advisor_and_rotate(&firm.admin, keychain, &bob_role).unwrap();
    assert_eq!(
        rotation,
        Rotation {
            firm: firm.id.clone(),
            old_key_version: 1,
            new_key_version: 2,
            resealed: SECRETS.len(),
        }
    );
    let after = firm.snapshot();
    assert_eq!(after.key_version, "2");
    assert_eq!(
        after.members,
        std::slice::from_ref(&firm.alice.role),
        "Bob's role is gone"
    );
    assert_eq!(
        after.removals,
        [format!(
            "{bob_role} removed; firm key rotated from version 1 to 2, 4 secrets re-sealed"
        )]
    );
    assert_eq!(after.rows.len(), before.rows.len());
    for (old, new) in before.rows.iter().zip(&after.rows) {
        assert_eq!(
            (&old.0, &old.1, &old.2),
            (&new.0, &new.1, &new.2),
            "same places"
        );
        assert_eq!((old.3, new.3), (1, 2));
        assert_ne!(old.4, new.4, "re-sealed");
    }
    // The admin's keychain now holds version 2, and everything opens with it.
    assert_eq!(FirmKey::load(keychain, &firm.id, 2).unwrap().version(), 2);
    assert_eq!(open_all(firm, keychain), expected());
    // Bob cannot sign in any more.
    let signed_in = postgres::Client::connect(&firm.book.url_for(&firm.bob), postgres::NoTls);
    assert!(signed_in.is_err(), "the removed advisor's role is dropped");
}

#[test]
fn removing_an_advisor_reseals_every_secret_under_a_new_key_and_drops_their_role() {
    let firm = firm_with_secrets();
    assert_eq!(open_all(&firm, &firm.admin_keychain), expected());
    assert_rotated(&firm, &firm.admin_keychain);
}

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn the_new_key_is_filed_in_the_administrators_real_keychain() {
    let firm = firm_with_secrets();
    let service = format!("app.advisordesk.test.firm-rotation.{}", std::process::id());
    let keychain = KeyringStore::new(&service);
    copy_key(&firm.admin_keychain, &keychain, &firm.id, 1, 1);
    assert_rotated(&firm, &keychain);
    // A fresh connection to the keychain finds both versions.
    let again = KeyringStore::new(&service);
    for version in [1, 2] {
        assert!(FirmKey::load(&again, &firm.id, version).is_ok());
        again
            .delete(&key_entry(&firm.id, version).unwrap())
            .unwrap();
    }
}

#[test]
fn after_the_rotation_the_removed_advisors_key_opens_nothing_current() {
    let firm = firm_with_secrets();
    // Bob's keychain: what his invite gave him, version 1.
    let bobs = firm.advisor_keychain(1);
    assert_eq!(open_all(&firm, &bobs), expected(), "before, it opened all");
    remove_advisor_and_rotate(&firm.admin, &firm.admin_keychain, &firm.bob.role).unwrap();

    // Read as the admin (Bob has no role any more): every secret is now version 2, which his
    // keychain does not hold…
    assert!(open_all(&firm, &bobs)
        .iter()
        .all(|r| *r == Err("firm_key_missing")));
    // …and his key's bytes presented as version 2 do not open them either.
    let forged = MemorySecretStore::new();
    copy_key(&bobs, &forged, &firm.id, 1, 2);
    assert!(open_all(&firm, &forged)
        .iter()
        .all(|r| *r == Err("sealed_secret_refused")));
}

/// Each way the rotation can fail part-way leaves everything as it was.
fn assert_nothing_changed(
    firm: &Firm,
    keychain: &dyn SecretStore,
    failure: &'static str,
    role: &str,
) {
    assert_nothing_changed_as(firm, &firm.admin, keychain, failure, role);
}

fn assert_nothing_changed_as(
    firm: &Firm,
    by: &FirmStore,
    keychain: &dyn SecretStore,
    failure: &'static str,
    role: &str,
) {
    let before = firm.snapshot();
    let refused = remove_advisor_and_rotate(by, keychain, role);
    assert_eq!(code(refused), failure);
    assert_eq!(
        firm.snapshot(),
        before,
        "rows, key version, members and audit log unchanged"
    );
    assert!(
        matches!(FirmKey::load(keychain, &firm.id, 2), Err(e) if e.code() == "firm_key_missing"),
        "no new key left in the keychain"
    );
}

#[test]
fn a_secret_that_does_not_open_stops_the_rotation_and_nothing_changes() {
    let firm = firm_with_secrets();
    // The last row's ciphertext damaged (one byte of its tag): the first three re-seal, then
    // the fourth fails.
    firm.book
        .superuser()
        .execute(
            "UPDATE sealed_secrets SET sealed = overlay(sealed PLACING '\\xff' FROM length(sealed))
              WHERE bound_row = '2'",
            &[],
        )
        .unwrap();
    assert_nothing_changed(
        &firm,
        &firm.admin_keychain,
        "firm_key_rotation_failed",
        &firm.bob.role,
    );
}

#[test]
fn a_failure_after_every_secret_was_rewritten_rolls_all_of_it_back() {
    let firm = firm_with_secrets();
    // Removing a role that is not a member fails after the rows and the version were written.
    assert_nothing_changed(
        &firm,
        &firm.admin_keychain,
        "firm_database",
        "nobody_at_all",
    );
    assert_eq!(open_all(&firm, &firm.admin_keychain), expected());
}

/// The administrator's keychain refusing to file the new key (locked, say).
struct KeychainRefusingNewKeys {
    inner: MemorySecretStore,
}

impl SecretStore for KeychainRefusingNewKeys {
    fn put(&self, _: &SecretKey, _: &Secret) -> Result<(), SecretError> {
        Err(SecretError::Locked)
    }
    fn get(&self, key: &SecretKey) -> Result<Option<Secret>, SecretError> {
        self.inner.get(key)
    }
    fn delete(&self, key: &SecretKey) -> Result<bool, SecretError> {
        self.inner.delete(key)
    }
    fn check(&self) -> Result<(), SecretError> {
        Ok(())
    }
}

#[test]
fn a_keychain_that_cannot_keep_the_new_key_rolls_the_rotation_back() {
    let firm = firm_with_secrets();
    let keychain = KeychainRefusingNewKeys {
        inner: firm.advisor_keychain(1),
    };
    assert_nothing_changed(&firm, &keychain, "keychain_locked", &firm.bob.role);
    assert_eq!(open_all(&firm, &keychain), expected());
}

#[test]
fn without_the_current_key_in_the_keychain_nothing_is_rotated() {
    let firm = firm_with_secrets();
    assert_nothing_changed(
        &firm,
        &MemorySecretStore::new(),
        "firm_key_missing",
        &firm.bob.role,
    );
}

#[test]
fn an_advisor_cannot_remove_another_or_rotate_the_key() {
    let firm = firm_with_secrets();
    // Alice holds the firm key (her invite) but is no admin: the database refuses her.
    let alice = firm.store_for(&firm.alice);
    let keychain = firm.advisor_keychain(1);
    assert_nothing_changed_as(&firm, &alice, &keychain, "firm_database", &firm.bob.role);
}

#[test]
fn the_remaining_advisors_get_the_new_key_in_a_key_update_file() {
    let firm = firm_with_secrets();
    let alices = firm.advisor_keychain(1);
    remove_advisor_and_rotate(&firm.admin, &firm.admin_keychain, &firm.bob.role).unwrap();
    let alice = firm.store_for(&firm.alice);
    let alice_opens = |keychain: &MemorySecretStore| {
        SECRETS[1..3]
            .iter()
            .map(|(place, _)| {
                alice
                    .write_as(|tx| secrets::open(tx, keychain, *place))
                    .map(|s| s.expose().to_string())
                    .map_err(|e| e.code())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        alice_opens(&alices),
        [Err("firm_key_missing"), Err("firm_key_missing")]
    );

    // The admin writes the new key for Alice; she reads it with the passphrase they agreed.
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("alice.firm-key");
    let update = KeyUpdate {
        firm: firm.id.clone(),
        keys: vec![FirmKey::load(&firm.admin_keychain, &firm.id, 2).unwrap()],
    };
    write_key_update(&path, &update, PASSPHRASE).unwrap();
    let wrong = read_key_update(&path, "not the passphrase at all").unwrap_err();
    assert_eq!(wrong.code(), "wrong_passphrase");
    let read = read_key_update(&path, PASSPHRASE).unwrap();
    assert_eq!(accept_key_update(&alices, read).unwrap(), [2]);
    let expected: Vec<_> = SECRETS[1..3]
        .iter()
        .map(|(_, s)| Ok(s.to_string()))
        .collect();
    assert_eq!(alice_opens(&alices), expected);
}

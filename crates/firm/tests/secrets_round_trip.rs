//! Sealed secrets through the real firm database: stored sealed and opened again, refused when
//! a ciphertext is moved to another row, column or firm, and kept from advisors who do not
//! serve the client (row-level security, raw SQL).

mod secrets_common;

use advisor_desk_core::firm::{keychain::key_entry, FirmId, FirmKey};
use advisor_desk_core::secrets::{MemorySecretStore, Secret, SecretStore};
use advisor_desk_firm::secrets::{self, SecretPlace};
use advisor_desk_firm::test_firm::TestFirm;
use advisor_desk_firm::FirmStore;
use secrets_common::{code, Firm};

const ALICE_LOGIN: &str = "flinks-login-alice-5f0c2d9e7a41";
const BOB_LOGIN: &str = "flinks-login-bob-81be44c0d3a7";
const FLINKS_KEY: &str = "flinks-api-key-0b7e5a13c9d2";
const FLINKS_CUSTOMER: &str = "flinks-customer-9d21f07e6b3a";

const ALICE_CONNECTION: SecretPlace = SecretPlace::Credentials { connection_id: 1 };
const BOB_CONNECTION: SecretPlace = SecretPlace::Credentials { connection_id: 2 };
const API_KEY: SecretPlace = SecretPlace::ProviderKey {
    provider: "flinks",
    field: "api_key",
};
const CUSTOMER_ID: SecretPlace = SecretPlace::ProviderKey {
    provider: "flinks",
    field: "customer_id",
};

/// Alice seals her connection's loginId with the firm key from her keychain.
fn alice_puts(firm: &Firm, place: SecretPlace, secret: &str) {
    let keychain = firm.advisor_keychain(1);
    let key = FirmKey::load(&keychain, &firm.id, 1).unwrap();
    firm.store_for(&firm.alice)
        .write_as(|tx| secrets::put(tx, &key, place, &Secret::new(secret)))
        .unwrap();
}

#[test]
fn secrets_go_in_sealed_and_come_out_whole_for_every_member_who_may_see_them() {
    let firm = Firm::new();
    firm.admin_puts(API_KEY, FLINKS_KEY);
    alice_puts(&firm, ALICE_CONNECTION, ALICE_LOGIN);

    let alice = firm.store_for(&firm.alice);
    let bob = firm.store_for(&firm.bob);
    let keychain = firm.advisor_keychain(1);
    let opened = |store: &FirmStore, place| {
        store
            .write_as(|tx| secrets::open(tx, &keychain, place))
            .map(|secret| secret.expose().to_string())
    };
    assert_eq!(opened(&alice, ALICE_CONNECTION).unwrap(), ALICE_LOGIN);
    assert_eq!(opened(&alice, API_KEY).unwrap(), FLINKS_KEY);
    assert_eq!(opened(&bob, API_KEY).unwrap(), FLINKS_KEY, "firm-wide");
    assert_eq!(code(opened(&alice, CUSTOMER_ID)), "not_found");

    // Stored: the key version and bytes that hold neither value, bound to their rows.
    let stored = firm.snapshot().rows;
    assert_eq!(stored.len(), 2);
    for (table, row, column, version, bytes) in &stored {
        assert_eq!(*version, 1);
        assert_eq!(bytes[0], 1, "format byte");
        for value in [ALICE_LOGIN, FLINKS_KEY] {
            assert!(!bytes.windows(value.len()).any(|w| w == value.as_bytes()));
        }
        let expected = [
            ("firm_settings", "flinks", "api_key"),
            ("connections", "1", "credentials"),
        ];
        assert!(expected.contains(&(table.as_str(), row.as_str(), column.as_str())));
    }

    // Putting again replaces the secret in place (a repaired connection's new loginId).
    alice_puts(&firm, ALICE_CONNECTION, "flinks-login-alice-repaired-77aa");
    assert_eq!(
        opened(&alice, ALICE_CONNECTION).unwrap(),
        "flinks-login-alice-repaired-77aa"
    );
    assert_eq!(firm.snapshot().rows.len(), 2);
}

#[test]
fn a_ciphertext_copied_to_another_row_column_or_firm_does_not_open() {
    let firm = Firm::new();
    firm.admin_puts(API_KEY, FLINKS_KEY);
    firm.admin_puts(CUSTOMER_ID, FLINKS_CUSTOMER);
    firm.admin_puts(ALICE_CONNECTION, ALICE_LOGIN);
    firm.admin_puts(BOB_CONNECTION, BOB_LOGIN);
    let keychain = firm.advisor_keychain(1);
    let open = |place| {
        firm.admin
            .write_as(|tx| secrets::open(tx, &keychain, place))
    };
    assert_eq!(open(BOB_CONNECTION).unwrap().expose(), BOB_LOGIN);

    let mut su = firm.book.superuser();
    let copy = |su: &mut postgres::Client, from: (&str, &str), to: (&str, &str)| {
        su.execute(
            "UPDATE sealed_secrets SET sealed = (SELECT sealed FROM sealed_secrets
                 WHERE bound_row = $1 AND bound_column = $2)
              WHERE bound_row = $3 AND bound_column = $4",
            &[&from.0, &from.1, &to.0, &to.1],
        )
        .unwrap()
    };
    // Alice's loginId copied over Bob's connection's: another row.
    assert_eq!(copy(&mut su, ("1", "credentials"), ("2", "credentials")), 1);
    assert_eq!(code(open(BOB_CONNECTION)), "sealed_secret_refused");
    // The API key copied over the customer id: same row, another column.
    assert_eq!(
        copy(&mut su, ("flinks", "api_key"), ("flinks", "customer_id")),
        1
    );
    assert_eq!(code(open(CUSTOMER_ID)), "sealed_secret_refused");
    // The originals still open; the same rows under another firm id do not.
    assert_eq!(open(ALICE_CONNECTION).unwrap().expose(), ALICE_LOGIN);
    assert_eq!(open(API_KEY).unwrap().expose(), FLINKS_KEY);
    su.execute(
        "UPDATE firm_settings SET value = 'another-firm' WHERE key = $1",
        &[&secrets::FIRM_ID_SETTING],
    )
    .unwrap();
    copy_key_to_firm(&firm, &keychain, "another-firm");
    assert_eq!(code(open(API_KEY)), "sealed_secret_refused");
}

/// The same key filed under another firm id, so only the firm id in the binding differs.
fn copy_key_to_firm(firm: &Firm, keychain: &MemorySecretStore, other: &str) {
    let other = FirmId::new(other).unwrap();
    let text = keychain
        .get(&key_entry(&firm.id, 1).unwrap())
        .unwrap()
        .unwrap();
    keychain.put(&key_entry(&other, 1).unwrap(), &text).unwrap();
}

#[test]
fn an_advisor_cannot_read_or_write_another_advisors_clients_sealed_secret() {
    let firm = Firm::new();
    alice_puts(&firm, ALICE_CONNECTION, ALICE_LOGIN);
    firm.admin_puts(BOB_CONNECTION, BOB_LOGIN);

    // Raw SQL as Bob: Alice's connection's row is not there for him.
    let mut bob_sql = firm.book.connect_as(&firm.bob);
    let seen: Vec<String> = bob_sql
        .query("SELECT bound_row FROM sealed_secrets ORDER BY 1", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(seen, ["2"]);
    let changed = bob_sql
        .execute(
            "UPDATE sealed_secrets SET sealed = '\\x00' WHERE connection_id = 1",
            &[],
        )
        .unwrap();
    assert_eq!(changed, 0, "Bob cannot touch Alice's row");
    assert_eq!(
        bob_sql
            .execute("DELETE FROM sealed_secrets WHERE connection_id = 1", &[])
            .unwrap(),
        0
    );

    // Through the module, with the firm key in his keychain: nothing to open, nothing to put.
    let bob = firm.store_for(&firm.bob);
    let keychain = firm.advisor_keychain(1);
    let key = FirmKey::load(&keychain, &firm.id, 1).unwrap();
    assert_eq!(
        code(bob.write_as(|tx| secrets::open(tx, &keychain, ALICE_CONNECTION))),
        "not_found"
    );
    let overwrite = bob.write_as(|tx| secrets::put(tx, &key, ALICE_CONNECTION, &Secret::new("x")));
    assert_eq!(code(overwrite), "firm_database");
    // Firm-wide secrets are the admin's to write.
    let api_key = bob.write_as(|tx| secrets::put(tx, &key, API_KEY, &Secret::new("y")));
    assert_eq!(code(api_key), "firm_database");

    let alice = firm.store_for(&firm.alice);
    let back = alice.write_as(|tx| secrets::open(tx, &keychain, ALICE_CONNECTION));
    assert_eq!(back.unwrap().expose(), ALICE_LOGIN, "unchanged");
}

#[test]
fn a_secret_sealed_under_a_key_that_is_not_current_is_refused_and_not_stored() {
    let firm = Firm::new();
    firm.admin_puts(ALICE_CONNECTION, ALICE_LOGIN);
    let before = firm.snapshot();
    let stale = FirmKey::generate(1).unwrap().successor().unwrap();
    let refused = firm
        .admin
        .write_as(|tx| secrets::put(tx, &stale, ALICE_CONNECTION, &Secret::new(BOB_LOGIN)));
    assert_eq!(code(refused), "firm_key_not_current");
    assert_eq!(firm.snapshot(), before, "rolled back");

    // A firm that was never set up says so.
    let unset = TestFirm::migrated();
    let store = FirmStore::connect(&secrets_common::config(unset.database.owner_url())).unwrap();
    let key = FirmKey::generate(1).unwrap();
    let missing = store.write_as(|tx| secrets::put(tx, &key, API_KEY, &Secret::new(FLINKS_KEY)));
    assert_eq!(code(missing), "firm_not_set_up");
}

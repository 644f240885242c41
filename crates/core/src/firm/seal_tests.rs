//! Sealing, opening and rotating: every part of the binding matters, any changed byte is
//! refused, and rotation returns all or nothing.

use super::*;
use crate::secrets::Secret;

const TOKEN: &str = "ct-flanks-7f3a9c21e5d04b8f-live";

fn firm(id: &str) -> FirmId {
    FirmId::new(id).unwrap()
}

fn binding(firm_id: &str, table: &str, row: i64, column: &str) -> SecretBinding {
    SecretBinding::new(&firm(firm_id), table, row, column).unwrap()
}

fn token_binding(row: i64) -> SecretBinding {
    binding("acme", "connections", row, "credentials_token")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_sealed_secret_opens_for_its_own_place_and_its_bytes_round_trip() {
    let key = FirmKey::generate(1).unwrap();
    let place = token_binding(42);
    let sealed = seal(&key, &Secret::new(TOKEN), &place).unwrap();
    assert_eq!(sealed.key_version(), 1);

    let stored = sealed.to_bytes();
    assert_eq!(stored[0], SEALED_FORMAT);
    assert_eq!(stored.len(), 1 + 4 + 24 + TOKEN.len() + 16);
    let read = SealedSecret::from_bytes(&stored).unwrap();
    assert_eq!(read, sealed);
    assert_eq!(open(&key, &read, &place).unwrap().expose(), TOKEN);

    // A fresh nonce per seal: the same secret for the same place never seals alike.
    let again = seal(&key, &Secret::new(TOKEN), &place).unwrap();
    assert_ne!(again.to_bytes(), stored);
    assert_eq!(open(&key, &again, &place).unwrap().expose(), TOKEN);

    let empty = seal(&key, &Secret::new(""), &place).unwrap();
    assert!(open(&key, &empty, &place).unwrap().is_empty());
}

#[test]
fn a_ciphertext_moved_to_another_firm_table_row_or_column_does_not_open() {
    let key = FirmKey::generate(1).unwrap();
    let sealed = seal(&key, &Secret::new(TOKEN), &token_binding(42)).unwrap();
    for (what, elsewhere) in [
        (
            "firm",
            binding("acme2", "connections", 42, "credentials_token"),
        ),
        (
            "table",
            binding("acme", "provider_keys", 42, "credentials_token"),
        ),
        (
            "row",
            binding("acme", "connections", 43, "credentials_token"),
        ),
        ("column", binding("acme", "connections", 42, "login_id")),
        // Length prefixes: moving a character from one part to the next is another place.
        (
            "boundary",
            binding("acme", "connection", 42, "scredentials_token"),
        ),
    ] {
        let err = open(&key, &sealed, &elsewhere).unwrap_err();
        assert!(matches!(err, FirmError::SecretDoesNotOpen), "{what}: {err}");
        assert_eq!(err.code(), "sealed_secret_refused");
    }
}

#[test]
fn another_key_or_another_key_version_is_refused() {
    let key = FirmKey::generate(1).unwrap();
    let place = token_binding(7);
    let sealed = seal(&key, &Secret::new(TOKEN), &place).unwrap();

    let other = FirmKey::generate(1).unwrap();
    let err = open(&other, &sealed, &place).unwrap_err();
    assert!(matches!(err, FirmError::SecretDoesNotOpen), "{err}");

    let newer = key.successor().unwrap();
    let err = open(&newer, &sealed, &place).unwrap_err();
    assert!(
        matches!(err, FirmError::WrongKeyVersion { sealed: 1, key: 2 }),
        "{err}"
    );

    // The header's version rewritten to match another key: the associated data holds the
    // version too, so it still does not open.
    let same_bytes_v2 = FirmKey::from_text(2, &key.to_text()).unwrap();
    let mut stored = sealed.to_bytes();
    stored[1..5].copy_from_slice(&2u32.to_be_bytes());
    let relabelled = SealedSecret::from_bytes(&stored).unwrap();
    let err = open(&same_bytes_v2, &relabelled, &place).unwrap_err();
    assert!(matches!(err, FirmError::SecretDoesNotOpen), "{err}");
}

#[test]
fn every_flipped_byte_and_every_truncation_is_refused_without_a_panic() {
    let key = FirmKey::generate(1).unwrap();
    let place = token_binding(1);
    let stored = seal(&key, &Secret::new(TOKEN), &place).unwrap().to_bytes();
    for at in 0..stored.len() {
        for bit in [0x01u8, 0x80] {
            let mut changed = stored.clone();
            changed[at] ^= bit;
            let opened = SealedSecret::from_bytes(&changed).and_then(|s| open(&key, &s, &place));
            assert!(
                opened.is_err(),
                "byte {at} bit {bit:#x} changed and it opened"
            );
        }
    }
    for len in 0..stored.len() {
        let opened = SealedSecret::from_bytes(&stored[..len]).and_then(|s| open(&key, &s, &place));
        assert!(opened.is_err(), "cut to {len} bytes and it opened");
    }
    let mut longer = stored.clone();
    longer.push(0);
    assert!(SealedSecret::from_bytes(&longer)
        .and_then(|s| open(&key, &s, &place))
        .is_err());
}

#[test]
fn the_parser_names_what_is_wrong() {
    let err = |bytes: &[u8]| SealedSecret::from_bytes(bytes).unwrap_err();
    assert!(matches!(err(&[]), FirmError::SealedDamaged("empty")));
    assert!(matches!(
        err(&[0; 64]),
        FirmError::SealedDamaged("unknown format")
    ));
    assert!(matches!(
        err(&[2; 64]),
        FirmError::SealedTooNew {
            found: 2,
            supported: 1
        }
    ));
    assert_eq!(err(&[2; 64]).code(), "sealed_secret_too_new");
    assert!(matches!(
        err(&[1; 20]),
        FirmError::SealedDamaged("too short")
    ));
    let mut version_zero = vec![1u8, 0, 0, 0, 0];
    version_zero.extend_from_slice(&[7; 24 + 16]);
    assert!(matches!(
        err(&version_zero),
        FirmError::SealedDamaged("key version 0")
    ));
    let huge = vec![1u8; 1 + 4 + 24 + MAX_SECRET_BYTES + 16 + 1];
    assert!(matches!(err(&huge), FirmError::SealedDamaged("too long")));

    let key = FirmKey::generate(1).unwrap();
    let too_big = Secret::new("x".repeat(MAX_SECRET_BYTES + 1));
    assert_eq!(
        seal(&key, &too_big, &token_binding(1)).unwrap_err().code(),
        "invalid_input"
    );
}

#[test]
fn a_binding_is_made_of_sql_names_and_a_printable_row_id() {
    let acme = firm("acme");
    assert!(SecretBinding::new(&acme, "connections", "3f2b9c1e-7d44", "login_id").is_ok());
    for (table, row, column) in [
        ("", "1", "c"),
        ("Connections", "1", "c"),
        ("connections", "", "c"),
        ("connections", "1 2", "c"),
        ("connections", "1", "a.b"),
        ("connections", "1", ""),
    ] {
        let err = SecretBinding::new(&acme, table, row, column).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{table} {row} {column}");
    }
}

#[test]
fn the_sealed_bytes_do_not_hold_the_secret_and_debug_shows_no_value() {
    let key = FirmKey::generate(1).unwrap();
    let place = token_binding(9);
    let secret = Secret::new(TOKEN);
    let sealed = seal(&key, &secret, &place).unwrap();
    let stored = sealed.to_bytes();
    assert!(!contains(&stored, TOKEN.as_bytes()));
    assert!(!contains(&stored, &TOKEN.as_bytes()[..8]));
    let key_text = key.to_text();
    let shown = format!("{key:?} {sealed:?} {place:?} {secret:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(!shown.contains(key_text.expose()), "{shown}");
    assert!(
        !shown.contains(&hex::encode(&stored[5..29])),
        "no nonce either: {shown}"
    );

    let err = open(&FirmKey::generate(1).unwrap(), &sealed, &place).unwrap_err();
    let failed = FirmError::RotationFailed {
        binding: place,
        source: Box::new(err),
    };
    let shown = format!("{failed} {failed:?}");
    assert!(!shown.contains(TOKEN) && !shown.contains(key_text.expose()));
}

#[test]
fn rotation_reseals_every_secret_under_the_new_version() {
    let old = FirmKey::generate(1).unwrap();
    let new = old.successor().unwrap();
    let secrets: Vec<(SecretBinding, String)> = (1..=5)
        .map(|row| (token_binding(row), format!("{TOKEN}-{row}")))
        .collect();
    let sealed = secrets.iter().map(|(place, value)| {
        (
            place.clone(),
            seal(&old, &Secret::new(value.as_str()), place).unwrap(),
        )
    });

    let rotated = rotate(&old, &new, sealed).unwrap();
    assert_eq!(rotated.len(), secrets.len());
    for ((place, resealed), (expected_place, value)) in rotated.iter().zip(&secrets) {
        assert_eq!(place, expected_place);
        assert_eq!(resealed.key_version(), 2);
        assert_eq!(open(&new, resealed, place).unwrap().expose(), value);
        assert!(matches!(
            open(&old, resealed, place).unwrap_err(),
            FirmError::WrongKeyVersion { .. }
        ));
    }
    assert!(rotate(&old, &new, Vec::new()).unwrap().is_empty());
}

#[test]
fn rotation_is_all_or_nothing_and_names_the_secret_that_failed() {
    let old = FirmKey::generate(1).unwrap();
    let new = old.successor().unwrap();
    let mut sealed: Vec<(SecretBinding, SealedSecret)> = (1..=4)
        .map(|row| {
            let place = token_binding(row);
            let s = seal(&old, &Secret::new(TOKEN), &place).unwrap();
            (place, s)
        })
        .collect();
    // Row 3's ciphertext was copied from row 2: it does not open for row 3.
    sealed[2].1 = sealed[1].1.clone();

    let err = rotate(&old, &new, sealed.clone()).unwrap_err();
    match &err {
        FirmError::RotationFailed { binding, source } => {
            assert_eq!(binding, &token_binding(3));
            assert!(matches!(**source, FirmError::SecretDoesNotOpen));
        }
        other => panic!("expected a rotation failure, got {other:?}"),
    }
    assert_eq!(err.code(), "firm_key_rotation_failed");
    assert!(
        err.to_string()
            .contains("connections.credentials_token of row 3"),
        "{err}"
    );

    // Not newer: refused before anything is opened.
    assert_eq!(
        rotate(&new, &old, sealed.clone()).unwrap_err().code(),
        "invalid_input"
    );
    let same = FirmKey::generate(1).unwrap();
    assert_eq!(
        rotate(&old, &same, sealed).unwrap_err().code(),
        "invalid_input"
    );
}

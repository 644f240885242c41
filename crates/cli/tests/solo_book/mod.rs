//! The small solo book the CLI's keychain tests start from: one client, a Flanks and a Flinks
//! connection whose tokens are in the given keychain, and a Flanks API key.
#![allow(dead_code)] // each test binary uses its own part

use std::path::Path;

use advisor_desk_core::clients::NewClient;
use advisor_desk_core::domain::Provider;
use advisor_desk_core::secrets::{KeyringStore, Secret, SecretKey, SecretStore};
use advisor_desk_core::sync::connections::NewConnection;
use advisor_desk_core::Store;

pub const TOKENS: [&str; 2] = ["ct-real-keychain-5d2e9f0a11", "loginid-real-keychain-77c1"];
pub const KEY: (&str, &str, &str) = ("flanks", "client_secret", "flanks-secret-real-Kq93");

pub fn book_in(data_dir: &Path, keychain: &KeyringStore) {
    book_with_logins(data_dir, keychain, TOKENS);
}

/// [`book_in`] with other logins (a second advisor's book: a firm holds each login once).
pub fn book_with_logins(data_dir: &Path, keychain: &KeyringStore, tokens: [&str; 2]) {
    let store = Store::open(&data_dir.join("advisor-desk.sqlite3")).unwrap();
    let client = advisor_desk_core::clients::add(
        &store,
        &NewClient {
            name: "Ana Ruiz".into(),
            ..Default::default()
        },
        "t",
    )
    .unwrap()
    .id;
    for (token, provider, flow) in [
        (tokens[0], Provider::Flanks, "flanks_link"),
        (tokens[1], Provider::Flinks, "flinks_connect"),
    ] {
        advisor_desk_core::sync::connections::add(
            &store,
            &NewConnection {
                client_id: client,
                provider,
                flow: flow.into(),
                institution_id: None,
                institution_name: None,
            },
            &Secret::new(token),
            keychain,
            "t",
        )
        .unwrap();
    }
    keychain
        .put(&SecretKey::provider_key(KEY.0, KEY.1), &Secret::new(KEY.2))
        .unwrap();
}

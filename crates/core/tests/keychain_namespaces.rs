//! Two data folders on one machine share the OS keychain (one service name). With the
//! installation namespace each folder has its own entry even for the same token, and an
//! entry written under the old shared name is moved without losing it. Real Secret Service:
//! run inside `scripts/with-keyring.sh` (`./dev test` does).

use std::sync::Arc;

use advisor_desk_core::clients;
use advisor_desk_core::clients::NewClient;
use advisor_desk_core::domain::Provider;
use advisor_desk_core::links::keychain_upgrade::upgrade_keychain_names;
use advisor_desk_core::links::ledger::legacy_secret_ref_for;
use advisor_desk_core::links::LinkService;
use advisor_desk_core::secrets::{KeyringStore, Secret, SecretKey, SecretStore};
use advisor_desk_core::sync::connections;
use advisor_desk_core::sync::connections::{token_hash, NewConnection};
use advisor_desk_core::Store;

fn folder(dir: &tempfile::TempDir, name: &str) -> Arc<Store> {
    Arc::new(Store::open(&dir.path().join(name).join("advisor-desk.sqlite3")).unwrap())
}

fn connect(store: &Store, secrets: &dyn SecretStore, token: &str) -> (i64, i64) {
    let client = clients::add(
        store,
        &NewClient {
            name: "Ana".into(),
            ..Default::default()
        },
        "t",
    )
    .unwrap()
    .id;
    let c = connections::add(
        store,
        &NewConnection {
            client_id: client,
            provider: Provider::Flanks,
            flow: "flanks_link".into(),
            institution_id: None,
            institution_name: None,
        },
        &Secret::new(token),
        secrets,
        "t",
    )
    .unwrap();
    (client, c.id)
}

fn token_of(store: &Store, secrets: &dyn SecretStore, id: i64) -> Option<String> {
    let key = connections::get(store, id).unwrap().secret_key().unwrap();
    secrets.get(&key).unwrap().map(|s| s.expose().to_string())
}

#[test]
#[ignore = "needs a Secret Service; run by ./dev test"]
fn two_data_folders_with_the_same_token_never_share_or_delete_each_others_entry() {
    let service = format!("app.advisordesk.test.namespaces.{}", std::process::id());
    let keychain = Arc::new(KeyringStore::new(&service));
    let dir = tempfile::tempdir().unwrap();
    let a = folder(&dir, "a");
    let b = folder(&dir, "b");
    let token = format!("ct-shared-{}", std::process::id());

    // Folder A as a build before the namespace left it: the token under the shared old name.
    let (client_a, conn_a) = connect(&a, keychain.as_ref(), &token);
    let legacy = SecretKey::new(legacy_secret_ref_for(&token_hash(&Secret::new(&*token)))).unwrap();
    keychain
        .delete(&connections::get(&a, conn_a).unwrap().secret_key().unwrap())
        .unwrap();
    keychain.put(&legacy, &Secret::new(&*token)).unwrap();
    a.write(|tx| {
        tx.execute(
            "UPDATE connections SET secret_ref = ?2 WHERE id = ?1",
            rusqlite::params![conn_a, legacy.as_str()],
        )?;
        Ok(())
    })
    .unwrap();
    // Folder B connects the same token with this build.
    let (_, conn_b) = connect(&b, keychain.as_ref(), &token);
    assert_ne!(
        connections::get(&a, conn_a).unwrap().secret_ref,
        connections::get(&b, conn_b).unwrap().secret_ref
    );

    // A upgrades: its token moves to its own name, the old shared entry is gone.
    let moved = upgrade_keychain_names(&a, keychain.as_ref()).unwrap();
    assert_eq!(moved.moved, 1);
    assert_eq!(token_of(&a, keychain.as_ref(), conn_a), Some(token.clone()));
    assert!(keychain.get(&legacy).unwrap().is_none());

    // Deleting A's client (credential deleted here anyway: no provider in this test) leaves
    // B's token where it was.
    let links = LinkService::new(a.clone(), keychain.clone(), Vec::new(), None);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let done = rt.block_on(links.delete_client(client_a, true)).unwrap();
    assert_eq!(done.connections_removed, 1);
    assert_eq!(token_of(&b, keychain.as_ref(), conn_b), Some(token.clone()));

    // Clean up this test's entries.
    keychain
        .delete(&connections::get(&b, conn_b).unwrap().secret_key().unwrap())
        .unwrap();
    keychain
        .delete(&SecretKey::new("installations").unwrap())
        .unwrap();
}

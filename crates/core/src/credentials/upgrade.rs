//! Moves connection tokens from the keychain names of builds before the installation
//! namespace (`connection/<hash>`, shared by every data folder on the machine) to this
//! installation's names (`connection/<installation>/<hash>`).
//!
//! Never loses a credential: the token is copied under the new name, the row is pointed at
//! it, and only then is the old entry deleted. Two data folders may have shared one old entry
//! (the same token in both): the first to upgrade moves it, so the second finds it under the
//! first one's name instead — every installation that upgraded is listed in a keychain entry
//! (`installations`, not secret) — and a value is taken only if it hashes to the row's
//! `token_hash`. Idempotent; a crash anywhere leaves a state the next run finishes.

use serde::Serialize;

use super::{legacy_secret_ref_for, secret_ref_for, token_hash};
use crate::error::Result;
use crate::links::ledger::{code_ref_for, legacy_code_ref_for};
use crate::secrets::{Secret, SecretKey, SecretStore};
use crate::settings;
use crate::store::queries::{connections, link_sessions};
use crate::store::Store;

/// The keychain entry listing the installations (data folders) that use the namespaced names.
pub const INSTALLATIONS_ENTRY: &str = "installations";
/// At most this many ids are remembered (oldest dropped).
const INSTALLATIONS_KEPT: usize = 64;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct KeychainUpgrade {
    /// Rows now pointing at this installation's entry.
    pub moved: usize,
    /// Rows whose token was in no entry at all (left as they were: the connection reports
    /// the missing token, as before the upgrade).
    pub missing: usize,
}

/// Adds this installation to the list of upgraded ones and returns the others.
fn register(secrets: &dyn SecretStore, me: &str) -> Result<Vec<String>> {
    let entry = SecretKey::new(INSTALLATIONS_ENTRY)?;
    let mut ids: Vec<String> = match secrets.get(&entry)? {
        Some(v) => v.expose().split_whitespace().map(str::to_string).collect(),
        None => Vec::new(),
    };
    if !ids.iter().any(|i| i == me) {
        ids.push(me.to_string());
        let start = ids.len().saturating_sub(INSTALLATIONS_KEPT);
        ids.drain(..start);
        secrets.put(&entry, &Secret::new(ids.join(" ")))?;
    }
    Ok(ids.into_iter().filter(|i| i != me).collect())
}

/// The token for `hash` from `name`, if that entry holds exactly that token.
fn token_at(secrets: &dyn SecretStore, name: String, hash: &str) -> Result<Option<Secret>> {
    Ok(secrets
        .get(&SecretKey::new(name)?)?
        .filter(|t| token_hash(t) == hash))
}

/// Run once at start-up, before anything removes an entry: moves every connection row still
/// on an old name (cheap when there is none: one query), then, the first time only, the
/// entries unfinished link sessions left under old names.
pub fn upgrade_keychain_names(store: &Store, secrets: &dyn SecretStore) -> Result<KeychainUpgrade> {
    let me = store.installation_id()?;
    let report = upgrade_connection_names(store, secrets, &me)?;
    upgrade_session_names(store, secrets, &me)?;
    Ok(report)
}

fn upgrade_connection_names(
    store: &Store,
    secrets: &dyn SecretStore,
    me: &str,
) -> Result<KeychainUpgrade> {
    let rows = store.read(|c| connections::read::outside_namespace(c, me))?;
    let mut report = KeychainUpgrade::default();
    if rows.is_empty() {
        return Ok(report);
    }
    let others = register(secrets, me)?;
    for (id, old_ref, hash) in rows {
        let new_ref = secret_ref_for(me, &hash);
        // Already copied by a run that stopped before the row changed, else the old entry,
        // else the copy an installation sharing the old entry took when it upgraded first.
        let mut found = token_at(secrets, new_ref.clone(), &hash)?;
        let already_ours = found.is_some();
        if found.is_none() {
            found = token_at(secrets, old_ref.clone(), &hash)?;
        }
        for other in &others {
            if found.is_some() {
                break;
            }
            found = token_at(secrets, secret_ref_for(other, &hash), &hash)?;
        }
        let Some(token) = found else {
            report.missing += 1;
            continue;
        };
        if !already_ours {
            secrets.put(&SecretKey::new(new_ref.clone())?, &token)?;
        }
        store.write(|tx| connections::write::move_secret_ref(tx, id, &old_ref, &new_ref))?;
        // Only the old shared name is deleted, never another installation's entry.
        if old_ref == legacy_secret_ref_for(&hash) {
            secrets.delete(&SecretKey::new(old_ref)?)?;
        }
        report.moved += 1;
    }
    if report.moved > 0 {
        tracing::info!(
            moved = report.moved,
            missing = report.missing,
            "keychain entries moved to this installation's names"
        );
    }
    Ok(report)
}

/// Setting: the link sessions' entries were moved (later starts skip the scan).
pub const SESSION_NAMES_SETTING: &str = "keychain.session_names_moved";

/// The entries of unfinished link sessions under the names of builds before the namespace:
/// one-use codes (`link/<id>/code`) and tokens an exchange saved but did not map yet. Each
/// is copied under this installation's name, then the old entry deleted, so the exchange
/// itself only ever looks under this installation's names.
fn upgrade_session_names(store: &Store, secrets: &dyn SecretStore, me: &str) -> Result<()> {
    if settings::get(store, SESSION_NAMES_SETTING)?.is_some() {
        return Ok(());
    }
    for s in store.read(link_sessions::read::not_cleaned)? {
        let old_code = SecretKey::new(legacy_code_ref_for(s.id))?;
        if let Some(code) = secrets.get(&old_code)? {
            let ours = SecretKey::new(code_ref_for(me, s.id))?;
            if secrets.get(&ours)?.is_none() {
                secrets.put(&ours, &code)?;
            }
            secrets.delete(&old_code)?;
        }
        if let (Some(hash), None) = (&s.token_hash, s.connection_id) {
            let ours = secret_ref_for(me, hash);
            let old = legacy_secret_ref_for(hash);
            if token_at(secrets, ours.clone(), hash)?.is_none() {
                if let Some(token) = token_at(secrets, old.clone(), hash)? {
                    secrets.put(&SecretKey::new(ours)?, &token)?;
                    secrets.delete(&SecretKey::new(old)?)?;
                }
            }
        }
    }
    settings::set(store, SESSION_NAMES_SETTING, "done")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Provider;
    use crate::secrets::MemorySecretStore;
    use crate::sync::connections::NewConnection;
    use rusqlite::params;

    /// A data folder as a build before the namespace left it: the row names the old entry.
    fn legacy_connection(store: &Store, secrets: &dyn SecretStore, token: &str) -> i64 {
        let client = crate::test_support::client(store, "Ana");
        let token = Secret::new(token);
        let c = crate::sync::connections::add(
            store,
            &NewConnection {
                client_id: client,
                provider: Provider::Flanks,
                flow: "flanks_link".into(),
                institution_id: None,
                institution_name: None,
            },
            &token,
            secrets,
            "t",
        )
        .unwrap();
        let hash = token_hash(&token);
        let legacy = legacy_secret_ref_for(&hash);
        secrets.delete(&c.secret_key().unwrap()).unwrap();
        secrets
            .put(&SecretKey::new(legacy.clone()).unwrap(), &token)
            .unwrap();
        store
            .write(|tx| {
                tx.execute(
                    "UPDATE connections SET secret_ref = ?2 WHERE id = ?1",
                    params![c.id, legacy],
                )?;
                Ok(())
            })
            .unwrap();
        c.id
    }

    fn token_of(store: &Store, secrets: &dyn SecretStore, id: i64) -> Option<String> {
        let key = crate::sync::connections::get(store, id)
            .unwrap()
            .secret_key()
            .unwrap();
        secrets.get(&key).unwrap().map(|s| s.expose().to_string())
    }

    #[test]
    fn an_old_entry_is_copied_under_the_new_name_then_deleted() {
        let store = Store::open_in_memory().unwrap();
        let secrets = MemorySecretStore::new();
        let id = legacy_connection(&store, &secrets, "ct-legacy-token");
        let me = store.installation_id().unwrap();

        let report = upgrade_keychain_names(&store, &secrets).unwrap();
        assert_eq!(
            report,
            KeychainUpgrade {
                moved: 1,
                missing: 0
            }
        );
        let conn = crate::sync::connections::get(&store, id).unwrap();
        assert!(conn.secret_ref.starts_with(&format!("connection/{me}/")));
        assert_eq!(
            token_of(&store, &secrets, id).as_deref(),
            Some("ct-legacy-token")
        );
        let legacy = legacy_secret_ref_for(&token_hash(&Secret::new("ct-legacy-token")));
        assert!(secrets
            .get(&SecretKey::new(legacy).unwrap())
            .unwrap()
            .is_none());
        // Idempotent: nothing left to move.
        assert_eq!(
            upgrade_keychain_names(&store, &secrets).unwrap(),
            KeychainUpgrade::default()
        );
    }

    #[test]
    fn a_crash_after_the_copy_is_finished_by_the_next_run() {
        let store = Store::open_in_memory().unwrap();
        let secrets = MemorySecretStore::new();
        let id = legacy_connection(&store, &secrets, "ct-crash-token");
        let hash = token_hash(&Secret::new("ct-crash-token"));
        // The copy happened, then the process died: the row and the old entry are unchanged.
        let me = store.installation_id().unwrap();
        secrets
            .put(
                &SecretKey::new(secret_ref_for(&me, &hash)).unwrap(),
                &Secret::new("ct-crash-token"),
            )
            .unwrap();
        let report = upgrade_keychain_names(&store, &secrets).unwrap();
        assert_eq!(report.moved, 1);
        assert_eq!(
            token_of(&store, &secrets, id).as_deref(),
            Some("ct-crash-token")
        );
        assert_eq!(secrets.len(), 2, "the token under the new name + the list");
    }

    #[test]
    fn two_folders_sharing_an_old_entry_both_keep_the_token_and_then_their_own() {
        // One keychain, two data folders holding the same token under the same old name.
        let secrets = MemorySecretStore::new();
        let a = Store::open_in_memory().unwrap();
        let b = Store::open_in_memory().unwrap();
        let in_a = legacy_connection(&a, &secrets, "ct-shared-token");
        let in_b = legacy_connection(&b, &secrets, "ct-shared-token");

        upgrade_keychain_names(&a, &secrets).unwrap();
        // A deleted the old entry; B finds A's copy and takes its own.
        let report = upgrade_keychain_names(&b, &secrets).unwrap();
        assert_eq!(
            report,
            KeychainUpgrade {
                moved: 1,
                missing: 0
            }
        );
        assert_eq!(
            token_of(&b, &secrets, in_b).as_deref(),
            Some("ct-shared-token")
        );
        assert_ne!(
            crate::sync::connections::get(&a, in_a).unwrap().secret_ref,
            crate::sync::connections::get(&b, in_b).unwrap().secret_ref
        );
        // Removing the connection in A (its entry only) leaves B's token in place.
        crate::sync::connections::delete(&a, in_a, &secrets, "t").unwrap();
        assert_eq!(
            token_of(&b, &secrets, in_b).as_deref(),
            Some("ct-shared-token")
        );
    }

    #[test]
    fn an_entry_holding_another_token_is_never_taken() {
        let store = Store::open_in_memory().unwrap();
        let secrets = MemorySecretStore::new();
        let id = legacy_connection(&store, &secrets, "ct-right-token");
        let old = crate::sync::connections::get(&store, id)
            .unwrap()
            .secret_key()
            .unwrap();
        secrets.put(&old, &Secret::new("ct-wrong-token")).unwrap();
        let report = upgrade_keychain_names(&store, &secrets).unwrap();
        assert_eq!(
            report,
            KeychainUpgrade {
                moved: 0,
                missing: 1
            }
        );
        // Nothing was deleted or repointed.
        assert_eq!(
            crate::sync::connections::get(&store, id)
                .unwrap()
                .secret_key()
                .unwrap(),
            old
        );
        assert!(secrets.get(&old).unwrap().is_some());
    }

    #[test]
    fn a_locked_keychain_changes_nothing_and_a_later_run_finishes() {
        let store = Store::open_in_memory().unwrap();
        let secrets = MemorySecretStore::new();
        let id = legacy_connection(&store, &secrets, "ct-locked-token");
        let before = crate::sync::connections::get(&store, id)
            .unwrap()
            .secret_ref;
        secrets.set_locked(true);
        assert!(upgrade_keychain_names(&store, &secrets).is_err());
        assert_eq!(
            crate::sync::connections::get(&store, id)
                .unwrap()
                .secret_ref,
            before
        );
        secrets.set_locked(false);
        assert_eq!(upgrade_keychain_names(&store, &secrets).unwrap().moved, 1);
        assert_eq!(
            token_of(&store, &secrets, id).as_deref(),
            Some("ct-locked-token")
        );
    }

    #[test]
    fn an_unfinished_sessions_code_and_token_move_from_the_old_names_once() {
        use crate::links::ledger::{code_ref_for, legacy_code_ref_for};
        use crate::links::LinkFlow;

        let store = Store::open_in_memory().unwrap();
        let secrets = MemorySecretStore::new();
        let client = crate::test_support::client(&store, "Ana");
        // An exchange an older build left at `token_saved`: code and token under old names.
        let now = crate::time::now();
        let id = crate::test_support::start_session(&store, client, LinkFlow::FlanksLink, now)
            .session
            .id;
        let token = Secret::new("ct-unmapped-token");
        let hash = token_hash(&token);
        let old_code = SecretKey::new(legacy_code_ref_for(id)).unwrap();
        secrets.put(&old_code, &Secret::new("old-code")).unwrap();
        let old_token = SecretKey::new(legacy_secret_ref_for(&hash)).unwrap();
        secrets.put(&old_token, &token).unwrap();
        store
            .write(|tx| {
                tx.execute(
                    "UPDATE link_sessions SET exchange_step = 'token_saved', token_hash = ?2
                     WHERE id = ?1",
                    params![id, hash],
                )?;
                Ok(())
            })
            .unwrap();

        upgrade_keychain_names(&store, &secrets).unwrap();
        let me = store.installation_id().unwrap();
        let value = |name: String| {
            secrets
                .get(&SecretKey::new(name).unwrap())
                .unwrap()
                .map(|s| s.expose().to_string())
        };
        assert_eq!(value(code_ref_for(&me, id)).as_deref(), Some("old-code"));
        assert_eq!(
            value(secret_ref_for(&me, &hash)).as_deref(),
            Some("ct-unmapped-token")
        );
        assert!(secrets.get(&old_code).unwrap().is_none());
        assert!(secrets.get(&old_token).unwrap().is_none());

        // Once: a later start does not scan the sessions again.
        secrets.put(&old_code, &Secret::new("late")).unwrap();
        upgrade_keychain_names(&store, &secrets).unwrap();
        assert!(secrets.get(&old_code).unwrap().is_some());
    }
}

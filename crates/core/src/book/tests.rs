//! Restore on real files: the backup's data back exactly (row counts and a content hash),
//! the replaced file kept aside, a backup before restoring, connections made since the backup
//! found again in the keychain.

use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use super::*;
use crate::domain::Provider;
use crate::secrets::{MemorySecretStore, Secret};
use crate::store::verified_copy::row_counts;
use crate::store::{backup_files, BackupKind, Store};
use crate::sync::connections::NewConnection;
use crate::test_support;
use crate::ErrorCode;

fn db_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("data").join("advisor-desk.sqlite3")
}

fn connect(store: &Store, secrets: &MemorySecretStore, client: i64, token: &str, bank: &str) {
    crate::sync::connections::add(
        store,
        &NewConnection {
            client_id: client,
            provider: Provider::Flanks,
            flow: "flanks_link".into(),
            institution_id: Some(bank.to_lowercase()),
            institution_name: Some(bank.into()),
        },
        &Secret::new(token),
        secrets,
        "t",
    )
    .unwrap();
}

/// SHA-256 over every row of every table, in a fixed order, values typed: equal hashes mean
/// equal content.
fn content_hash(db: &Path) -> String {
    let conn = Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut hash = Sha256::new();
    for table in tables {
        hash.update(table.as_bytes());
        // Every column as the sort key: WITHOUT ROWID tables (FTS5's) have no rowid.
        let columns = conn
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .unwrap()
            .column_count();
        let order: Vec<String> = (1..=columns).map(|i| i.to_string()).collect();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT * FROM \"{table}\" ORDER BY {}",
                order.join(", ")
            ))
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                let v = match row.get_ref(i).unwrap() {
                    ValueRef::Null => "null".to_string(),
                    ValueRef::Integer(n) => format!("i{n}"),
                    ValueRef::Real(f) => format!("r{f}"),
                    ValueRef::Text(t) => format!("t{}", String::from_utf8_lossy(t)),
                    ValueRef::Blob(b) => format!("b{}", hex::encode(b)),
                };
                hash.update(v.as_bytes());
                hash.update([0]);
            }
        }
    }
    hex::encode(hash.finalize())
}

/// A book with two clients and two connections, backed up; then a third client and
/// connection added after the backup. Returns the backup and its content hash.
fn book_backed_up_then_changed(db: &Path, secrets: &MemorySecretStore) -> (PathBuf, String) {
    let store = Store::open(db).unwrap();
    let ana = test_support::client(&store, "Ana Ruiz");
    let luis = test_support::client(&store, "Luis Gómez");
    connect(&store, secrets, ana, "ct-ana-before", "Santander");
    connect(&store, secrets, luis, "ct-luis-before", "BBVA");
    let backup = store.take_backup(BackupKind::OnDemand).unwrap().unwrap();
    drop(store);
    let hash = content_hash(&backup.file.path);

    let store = Store::open(db).unwrap();
    let eva = test_support::client(&store, "Eva Martín");
    connect(&store, secrets, eva, "ct-eva-after", "CaixaBank");
    (backup.file.path, hash)
}

#[test]
fn a_restore_brings_the_backup_back_exactly_and_keeps_the_replaced_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let secrets = MemorySecretStore::new();
    let (backup, hash) = book_backed_up_then_changed(&db, &secrets);
    let backup_rows = row_counts(&Connection::open(&backup).unwrap()).unwrap();

    let restored = restore(&db, &backup, &secrets).unwrap();

    assert_eq!(restored.rows, backup_rows);
    assert_eq!(restored.rows["clients"], 2);
    assert_eq!(content_hash(&db), hash, "the backup's content, exactly");
    let aside = restored.set_aside.expect("the replaced file is kept");
    let old = Store::open(&aside).unwrap();
    assert_eq!(
        crate::clients::list(&old, true).unwrap().len(),
        3,
        "set aside, not deleted"
    );
    drop(old);
    let before = restored.backup_before.expect("a backup before restoring");
    assert_eq!(
        backup_files(&db)
            .unwrap()
            .iter()
            .find(|f| f.path == before)
            .unwrap()
            .kind,
        BackupKind::BeforeRestore
    );

    // Eva's connection was made after the backup: found again in the keychain, listed.
    assert_eq!(restored.found_since_backup.len(), 1);
    let found = &restored.found_since_backup[0];
    assert_eq!(found.institution_name.as_deref(), Some("CaixaBank"));
    assert_eq!(found.former_client_name.as_deref(), Some("Eva Martín"));
    assert_eq!(
        found.token_hash,
        crate::credentials::token_hash(&Secret::new("ct-eva-after"))
    );
    let json = serde_json::to_string(&restored.found_since_backup).unwrap();
    assert!(
        !json.contains("ct-eva-after"),
        "no secret in what is listed"
    );

    // The advisor confirms it for a client of the restored book.
    let store = Store::open(&db).unwrap();
    let ana = crate::clients::list(&store, true).unwrap()[0].id;
    let id = reattach_found(&store, &secrets, found, ana, "advisor").unwrap();
    assert_eq!(
        crate::sync::connections::get(&store, id).unwrap().client_id,
        ana
    );
    assert!(
        reattach_found(&store, &secrets, found, ana, "advisor").is_err(),
        "once"
    );
}

#[test]
fn a_damaged_database_is_replaced_by_the_latest_sound_backup_and_kept_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let secrets = MemorySecretStore::new();
    let (backup, hash) = book_backed_up_then_changed(&db, &secrets);
    // Damage the current file: garble its first clients page.
    {
        let conn = Connection::open(&db).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
    let bytes = std::fs::read(&db).unwrap();
    let mut damaged = bytes.clone();
    damaged[0x10] = 0;
    damaged[0x11] = 3;
    std::fs::write(&db, &damaged).unwrap();
    assert_eq!(
        Store::open(&db).err().unwrap().code(),
        ErrorCode::DatabaseDamaged
    );

    assert_eq!(latest_backup(&db).unwrap(), backup);
    let restored = restore(&db, &backup, &secrets).unwrap();
    assert_eq!(content_hash(&db), hash);
    assert!(
        restored.backup_before.is_none(),
        "a damaged file cannot be backed up"
    );
    let aside = restored.set_aside.unwrap();
    assert_eq!(
        std::fs::read(&aside).unwrap(),
        damaged,
        "kept byte for byte"
    );
}

#[test]
fn a_damaged_or_newer_backup_is_refused_and_the_database_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let secrets = MemorySecretStore::new();
    let (backup, _) = book_backed_up_then_changed(&db, &secrets);
    drop(Store::open(&db).unwrap());
    let before = std::fs::read(&db).unwrap();

    let newer = backup.with_file_name("newer.sqlite3");
    std::fs::copy(&backup, &newer).unwrap();
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", crate::store::LATEST_VERSION + 1)
        .unwrap();
    assert_eq!(
        restore(&db, &newer, &secrets).unwrap_err().code(),
        ErrorCode::SchemaTooNew
    );

    let mut bytes = std::fs::read(&backup).unwrap();
    let page = 4096;
    for b in &mut bytes[2 * page..3 * page] {
        *b ^= 0x5A;
    }
    std::fs::write(&backup, &bytes).unwrap();
    assert_eq!(
        restore(&db, &backup, &secrets).unwrap_err().code(),
        ErrorCode::DatabaseDamaged
    );
    assert_eq!(std::fs::read(&db).unwrap(), before, "nothing changed");
    assert!(!PathBuf::from(format!("{}.restoring", db.display())).exists());
}

#[test]
fn a_staged_restore_is_applied_at_the_next_start_and_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let secrets = MemorySecretStore::new();
    let (backup, hash) = book_backed_up_then_changed(&db, &secrets);
    assert!(
        apply_pending_restore(&db, &secrets).is_none(),
        "nothing staged"
    );

    // Staged while the book is open: nothing changes until the next start.
    let store = Store::open(&db).unwrap();
    let staged = stage_restore(&db, &backup).unwrap();
    assert_eq!(staged.kind, BackupKind::OnDemand);
    assert!(restore_pending(&db));
    assert_eq!(crate::clients::list(&store, true).unwrap().len(), 3);
    drop(store);

    let outcome = apply_pending_restore(&db, &secrets).expect("applied");
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert_eq!(
        outcome.backup,
        backup.file_name().unwrap().to_str().unwrap()
    );
    let restored = outcome.restored.unwrap();
    assert_eq!(restored.rows["clients"], 2);
    assert_eq!(content_hash(&db), hash);
    assert!(
        restored.backup_before.is_some(),
        "the healthy book backed up first"
    );
    assert!(restored.set_aside.unwrap().exists());
    assert_eq!(
        restored.found_since_backup.len(),
        1,
        "Eva's connection listed"
    );
    assert!(!restore_pending(&db), "the marker is gone");
    assert!(
        apply_pending_restore(&db, &secrets).is_none(),
        "applied once"
    );
}

#[test]
fn only_a_listed_backup_can_be_staged_and_a_bad_marker_restores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let secrets = MemorySecretStore::new();
    let (backup, _) = book_backed_up_then_changed(&db, &secrets);
    drop(Store::open(&db).unwrap());

    let elsewhere = dir
        .path()
        .join("backup-20260101T000000.000Z-on-demand.sqlite3");
    std::fs::copy(&backup, &elsewhere).unwrap();
    assert_eq!(
        stage_restore(&db, &elsewhere).unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert!(!restore_pending(&db));

    let before = std::fs::read(&db).unwrap();
    let marker = db.with_file_name(pending::PENDING_RESTORE_FILE);
    std::fs::write(&marker, br#"{"backup": "../../etc/passwd"}"#).unwrap();
    let outcome = apply_pending_restore(&db, &secrets).unwrap();
    assert_eq!(outcome.error.unwrap().code, "not_found");
    std::fs::write(&marker, b"not json").unwrap();
    let outcome = apply_pending_restore(&db, &secrets).unwrap();
    assert_eq!(outcome.error.unwrap().code, "invalid_input");
    assert_eq!(std::fs::read(&db).unwrap(), before, "nothing changed");

    stage_restore(&db, &backup).unwrap();
    cancel_pending_restore(&db).unwrap();
    assert!(apply_pending_restore(&db, &secrets).is_none(), "cancelled");
}

#[test]
fn a_damaged_book_names_its_problem_and_the_newest_sound_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let secrets = MemorySecretStore::new();
    let (backup, _) = book_backed_up_then_changed(&db, &secrets);
    let health = StoreHealth::damaged(&db, "page 7 is malformed".into());
    assert_eq!(health.state, HealthState::Damaged);
    assert_eq!(health.problem.as_deref(), Some("page 7 is malformed"));
    assert_eq!(health.set_aside_dir, crate::store::backup_dir(&db));
    let newest = health.newest_backup.unwrap();
    assert_eq!(newest.file.path, backup);
    assert_eq!(newest.rows.unwrap()["clients"], 2);

    let refused = crate::error::IpcError {
        code: "schema_too_new".into(),
        message: "newer".into(),
    };
    let health = StoreHealth::refused(&db, &refused);
    assert_eq!(health.state, HealthState::Unavailable);
    assert!(health.newest_backup.is_none());
}

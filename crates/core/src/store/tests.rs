//! Store tests on real SQLite files in a temporary folder.

use rusqlite::Connection;

use super::*;
use crate::clients::NewClient;

fn db_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("data").join("advisor-desk.sqlite3")
}

/// Builds a file at schema `version` by running only the first `version` migrations, with a
/// client row when the schema has the clients table.
fn file_at_version(path: &Path, version: i64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut conn = Connection::open(path).unwrap();
    migrations::migrate_to(&mut conn, version).unwrap();
    if version >= 1 {
        conn.execute(
            "INSERT INTO clients (kind, name, created_at, updated_at)
             VALUES ('person', 'Existing Client', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
            [],
        )
        .unwrap();
    }
}

#[test]
fn a_new_file_is_created_at_the_latest_version_with_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(store.integrity_check().unwrap(), "ok");
    store
        .read(|c| {
            let mode: String = c.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
            assert_eq!(mode, "wal");
            Ok(())
        })
        .unwrap();
    store
        .write(|tx| {
            let fk: i64 = tx.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
            assert_eq!(fk, 1);
            Ok(())
        })
        .unwrap();
    // Nothing to back up for a brand-new file.
    assert!(list_backups(&path).unwrap().is_empty());
}

#[test]
fn every_earlier_schema_version_migrates_to_the_latest_keeping_data_and_taking_a_backup() {
    for from in 0..LATEST_VERSION {
        let dir = tempfile::tempdir().unwrap();
        let path = db_in(&dir);
        file_at_version(&path, from);

        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            LATEST_VERSION,
            "from {from}"
        );
        assert_eq!(store.integrity_check().unwrap(), "ok");

        let backups = list_backups(&path).unwrap();
        if from == 0 {
            assert!(backups.is_empty(), "an empty file has nothing to back up");
            continue;
        }
        let names: Vec<_> = store
            .clients(true)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            names,
            vec!["Existing Client"],
            "data survives the migration from {from}"
        );
        assert_eq!(backups.len(), 1, "one backup before migrating from {from}");
        // The backup is the pre-migration file: old version, same data.
        let b = Connection::open(&backups[0]).unwrap();
        let v: i64 = b
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, from);
        let n: i64 = b
            .query_row("SELECT count(*) FROM clients", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }
}

#[test]
fn only_the_last_few_backups_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    file_at_version(&path, 1);
    let conn = Connection::open(&path).unwrap();
    let mut taken = Vec::new();
    for _ in 0..(BACKUPS_KEPT + 2) {
        taken.push(backup::backup_before_migration(&conn, &path, 1).unwrap());
        std::thread::sleep(std::time::Duration::from_millis(3));
    }
    let kept = list_backups(&path).unwrap();
    assert_eq!(
        kept,
        taken[2..].to_vec(),
        "the newest {BACKUPS_KEPT} are kept, oldest removed"
    );
}

#[test]
fn a_database_from_a_newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    file_at_version(&path, LATEST_VERSION);
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", LATEST_VERSION + 1)
        .unwrap();
    let before = std::fs::read(&path).unwrap();

    let err = Store::open(&path)
        .err()
        .expect("a newer schema must be refused");
    assert_eq!(err.code(), crate::ErrorCode::SchemaTooNew);
    assert!(err.to_string().contains("newer version"), "{err}");
    assert!(
        std::fs::read(&path).unwrap() == before,
        "file left as it was"
    );
    assert!(list_backups(&path).unwrap().is_empty());
}

#[test]
fn a_file_that_is_not_a_database_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        b"this is not sqlite, just some text padding it out to a page",
    )
    .unwrap();
    let err = Store::open(&path).err().expect("garbage must not open");
    assert_eq!(err.code(), crate::ErrorCode::Database);
    assert!(
        err.to_string().contains("cannot open the database"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn database_and_folder_are_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    let store = Store::open(&path).unwrap();
    store
        .add_client(
            &NewClient {
                name: "A".into(),
                ..Default::default()
            },
            "t",
        )
        .unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    // SQLite gives its WAL and shared-memory files the database's mode.
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        assert!(side.exists(), "{suffix} exists while the store is open");
        assert_eq!(mode(&side), 0o600, "{suffix}");
    }
}

#[test]
fn writes_roll_back_on_error() {
    let store = Store::open_in_memory().unwrap();
    let r: Result<()> = store.write(|tx| {
        tx.execute("INSERT INTO settings (key, value) VALUES ('k', 'v')", [])?;
        Err(crate::CoreError::invalid("stop"))
    });
    assert!(r.is_err());
    assert_eq!(store.setting("k").unwrap(), None);
}

//! Store tests on real SQLite files in a temporary folder.

use rusqlite::Connection;

use super::*;
use crate::clients;
use crate::clients::NewClient;
use crate::settings;

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
        let names: Vec<_> = clients::list(&store, true)
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
    clients::add(
        &store,
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
    assert_eq!(settings::get(&store, "k").unwrap(), None);
}

#[test]
fn files_an_older_build_left_readable_are_tightened_at_open() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    // An older build's folder: database at schema 1 (so a backup is taken), a WAL, an old
    // backup and an export, all world-readable, in a world-readable folder.
    file_at_version(&path, 1);
    let data = path.parent().unwrap().to_path_buf();
    let backups = data.join(crate::paths::BACKUP_DIR);
    let exports = data.join(crate::reads::export::EXPORTS_DIR);
    std::fs::create_dir_all(&backups).unwrap();
    std::fs::create_dir_all(&exports).unwrap();
    let old_backup = backups.join("backup-20250101T000000.000Z-schema1.sqlite3");
    let old_export = exports.join("ana-holdings.csv");
    std::fs::write(&old_backup, b"old").unwrap();
    std::fs::write(&old_export, b"a,b\n").unwrap();
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    std::fs::write(&wal, b"").unwrap();
    let open_mode = std::fs::Permissions::from_mode;
    for p in [&path, &old_backup, &old_export, &wal] {
        std::fs::set_permissions(p, open_mode(0o644)).unwrap();
    }
    for d in [&data, &backups, &exports] {
        std::fs::set_permissions(d, open_mode(0o755)).unwrap();
    }

    let store = Store::open(&path).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for d in [&data, &backups, &exports] {
        assert_eq!(mode(d), 0o700, "{}", d.display());
    }
    for f in [&path, &old_backup, &old_export] {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    // The backup taken for this migration is private too.
    let backups_now = list_backups(&path).unwrap();
    assert_eq!(backups_now.len(), 2);
    for b in &backups_now {
        assert_eq!(mode(b), 0o600, "{}", b.display());
    }
    clients::add(
        &store,
        &NewClient {
            name: "A".into(),
            ..Default::default()
        },
        "t",
    )
    .unwrap();
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        assert_eq!(mode(&side), 0o600, "{suffix}");
    }
}

#[test]
fn a_symlink_in_the_data_folder_is_not_followed_when_tightening() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, b"x").unwrap();
    std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
    let path = db_in(&dir);
    let exports = path
        .parent()
        .unwrap()
        .join(crate::reads::export::EXPORTS_DIR);
    std::fs::create_dir_all(&exports).unwrap();
    std::os::unix::fs::symlink(&outside, exports.join("link.csv")).unwrap();
    Store::open(&path).unwrap();
    let mode = std::fs::metadata(&outside).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode, 0o644,
        "the file a link points to is not ours to change"
    );
}

#[test]
fn the_installation_id_is_created_once_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    let first = Store::open(&path).unwrap().installation_id().unwrap();
    assert_eq!(first.len(), 16);
    assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
    let store = Store::open(&path).unwrap();
    assert_eq!(store.installation_id().unwrap(), first);
    assert_eq!(store.installation_id().unwrap(), first);
    let other = tempfile::tempdir().unwrap();
    let second = Store::open(&db_in(&other))
        .unwrap()
        .installation_id()
        .unwrap();
    assert_ne!(first, second, "each data folder has its own");
}

#[test]
fn the_per_account_totals_are_filled_from_the_transactions_already_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    file_at_version(&path, VERSION_BEFORE_COUNTED_TOTALS - 1);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "INSERT INTO connections (client_id, provider, flow, secret_ref, token_hash, created_at,
             updated_at)
         VALUES (1, 'flanks', 'flanks_link', 'ref', 'hash', 'x', 'x');
         INSERT INTO accounts (connection_id, provider_id, dedupe_key, kind, name, currency,
             balance_minor)
         VALUES (1, 'a', 'a', 'current', 'A', 'EUR', 0), (1, 'b', 'b', 'current', 'B', 'EUR', 0),
                (1, 'c', 'c', 'current', 'C', 'EUR', 0);",
    )
    .unwrap();
    // Three in account 1 over two months (one missing: counted all the same), one in 2.
    for (i, (account, date, presence)) in [
        (1, "2026-01-05", "active"),
        (1, "2026-02-05", "missing"),
        (1, "2026-02-06", "active"),
        (2, "2026-02-07", "active"),
    ]
    .into_iter()
    .enumerate()
    {
        conn.execute(
            "INSERT INTO transactions (connection_id, account_id, provider_id, dedupe_key,
                 booking_date, amount_minor, currency, presence, first_seen_at, last_seen_at)
             VALUES (1, ?1, ?2, ?2, ?3, 100, 'EUR', ?4, 'x', 'x')",
            rusqlite::params![account, format!("t{i}"), date, presence],
        )
        .unwrap();
    }
    drop(conn);

    let store = Store::open(&path).unwrap();
    let totals = || {
        store
            .read(|c| {
                let mut stmt = c.prepare(
                    "SELECT account_id, row_count FROM account_transaction_totals ORDER BY 1",
                )?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<rusqlite::Result<Vec<(i64, i64)>>>()?)
            })
            .unwrap()
    };
    // Account 3 has none: no row, which the count reads as zero.
    assert_eq!(totals(), [(1, 3), (2, 1)]);

    // A transaction moved to another account, and the last one of account 2 deleted.
    store
        .write(|tx| {
            tx.execute_batch(
                "UPDATE transactions SET account_id = 3 WHERE provider_id = 't0';
                 UPDATE transactions SET amount_minor = 7 WHERE provider_id = 't1';
                 DELETE FROM transactions WHERE provider_id = 't3';",
            )?;
            Ok(())
        })
        .unwrap();
    assert_eq!(totals(), [(1, 2), (3, 1)]);
}

/// 0017 (`counted_totals`) is the 14th migration.
const VERSION_BEFORE_COUNTED_TOTALS: i64 = 13;

#[test]
fn the_counted_totals_are_filled_for_a_book_already_there() {
    use crate::reads::book::counted_of;
    use crate::store::book_reads::BookReads;

    assert!(MIGRATIONS[VERSION_BEFORE_COUNTED_TOTALS as usize].contains("counted_totals"));
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    file_at_version(&path, VERSION_BEFORE_COUNTED_TOTALS);
    let conn = Connection::open(&path).unwrap();
    // Client 1 (the file's) with two connections reaching one account, the second fresher; a
    // portfolio whose holding counts instead of its balance; a loan; a second currency.
    conn.execute_batch(
        "INSERT INTO connections (client_id, provider, flow, secret_ref, token_hash, created_at,
             updated_at, last_success_at)
         VALUES (1, 'flanks', 'flanks_link', 'r1', 'h1', 'x', 'x', '2026-01-01T00:00:00.000Z'),
                (1, 'flanks', 'flanks_link', 'r2', 'h2', 'x', 'x', '2026-02-01T00:00:00.000Z');
         INSERT INTO accounts (connection_id, provider_id, dedupe_key, kind, name, currency,
             balance_minor)
         VALUES (1, 'j', 'joint', 'current', 'J', 'EUR', 100), (2, 'j', 'joint', 'current', 'J', 'EUR', 150),
                (1, 'p', 'pf', 'portfolio', 'P', 'EUR', 999), (2, 'u', 'usd', 'savings', 'U', 'USD', 40);
         INSERT INTO holdings (connection_id, account_id, provider_id, dedupe_key, name,
             asset_class, value_minor, currency)
         VALUES (1, 3, 'h', 'h', 'Fund', 'fund', 70, 'EUR');
         INSERT INTO liabilities (connection_id, provider_id, dedupe_key, kind, name, currency,
             balance_minor)
         VALUES (1, 'l', 'loan', 'loan', 'Loan', 'EUR', 500);",
    )
    .unwrap();
    drop(conn);

    let store = Store::open(&path).unwrap();
    let (mut kept, mut live) = store
        .read(|db| {
            Ok((
                db.counted_totals()?,
                counted_of(&db.positions_of_each_client()?),
            ))
        })
        .unwrap();
    kept.sort();
    live.sort();
    assert_eq!(kept, live);
    let rows: Vec<_> = kept
        .iter()
        .map(|r| {
            (
                r.connection_id,
                r.currency.as_str(),
                r.assets_minor,
                r.liabilities_minor,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [(1, "EUR", 70, 500), (2, "EUR", 150, 0), (2, "USD", 40, 0)]
    );
}

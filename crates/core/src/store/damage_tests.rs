//! The check at open on real files damaged byte by byte: each kind of damage is refused with
//! `database_damaged`, the file is left exactly as it was, and nothing is backed up or
//! migrated from it.

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use super::integrity::{self, OpenCheck};
use super::*;
use crate::clients::NewClient;
use crate::ErrorCode;

fn db_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("data").join("advisor-desk.sqlite3")
}

/// A closed book of `n` clients with notes long enough to fill several pages, everything
/// checkpointed into the file (no WAL left).
fn book_of(path: &Path, n: usize) {
    add_clients(path, "Client", 0..n, 40);
    checkpoint(path);
}

fn add_clients(path: &Path, prefix: &str, ids: std::ops::Range<usize>, note_words: usize) {
    let store = Store::open(path).unwrap();
    for i in ids {
        let client = NewClient {
            name: format!("{prefix} {i:04}"),
            notes: Some(format!("{i} ").repeat(note_words)),
            ..Default::default()
        };
        crate::clients::add(&store, &client, "test").unwrap();
    }
}

fn checkpoint(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
}

fn wal_of(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", path.display()))
}

/// The number of a page of `kind` ("leaf" or "internal") of the b-tree `name`.
fn page_of(path: &Path, name: &str, kind: &str) -> u64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row(
        "SELECT pageno FROM dbstat WHERE name = ?1 AND pagetype = ?2 ORDER BY pageno LIMIT 1",
        [name, kind],
        |r| r.get::<_, i64>(0),
    )
    .unwrap_or_else(|e| panic!("no {kind} page of {name}: {e}")) as u64
}

fn page_size(path: &Path) -> u64 {
    let conn = Connection::open(path).unwrap();
    conn.pragma_query_value(None, "page_size", |r| r.get::<_, i64>(0))
        .unwrap() as u64
}

fn overwrite(path: &Path, offset: u64, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(bytes).unwrap();
    f.sync_all().unwrap();
}

/// Fills a whole page, as a disk returning another sector's bytes would.
fn garble_page(path: &Path, page: u64) {
    let size = page_size(path);
    let junk: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8 ^ 0xA5).collect();
    overwrite(path, (page - 1) * size, &junk);
}

/// Opens the damaged file and checks the refusal — by the CLI's check of the whole file and by
/// the app's check of the book's tables: the right code, the problem named, the file
/// unchanged, no backup taken.
fn assert_refused(path: &Path, what: &str) -> String {
    let message = assert_refused_checking(path, CheckScope::default(), what);
    assert_refused_checking(path, CheckScope::BookTables, what);
    message
}

fn assert_refused_checking(path: &Path, scope: CheckScope, what: &str) -> String {
    let before = std::fs::read(path).unwrap();
    let err = Store::open_checking(path, scope)
        .err()
        .unwrap_or_else(|| panic!("{what} ({scope:?}): a damaged file must be refused"));
    assert_eq!(err.code(), ErrorCode::DatabaseDamaged, "{what}: {err}");
    let message = err.to_string();
    assert!(message.contains("is damaged"), "{what}: {message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert_eq!(
        std::fs::read(path).unwrap(),
        before,
        "{what}: the file is left as it was"
    );
    assert!(list_backups(path).unwrap().is_empty(), "{what}: no backup");
    message
}

#[test]
fn a_sound_book_opens_and_passes_both_checks() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    book_of(&path, 200);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    assert!(integrity::full_check(&path).unwrap().is_empty());
}

#[test]
fn a_damaged_header_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    book_of(&path, 50);
    // Bytes 16-17 are the page size: 3 is not a power of two.
    overwrite(&path, 16, &[0x00, 0x03]);
    assert_refused(&path, "header");
    assert!(!integrity::full_check(&path).is_ok_and(|p| p.is_empty()));
}

#[test]
fn a_damaged_table_page_is_refused_and_doctor_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    book_of(&path, 300);
    let page = page_of(&path, "clients", "leaf");
    garble_page(&path, page);
    let message = assert_refused(&path, "table page");
    assert!(message.contains("malformed"), "{message}");
    let problems = integrity::full_check(&path).unwrap();
    assert!(!problems.is_empty(), "the full check finds it too");
}

#[test]
fn a_damaged_index_page_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    book_of(&path, 300);
    let page = page_of(&path, "clients_by_name", "leaf");
    garble_page(&path, page);
    assert_refused(&path, "index page");
}

#[test]
fn an_index_that_no_longer_matches_its_table_is_found_by_the_full_check() {
    // A well-formed index page whose key differs from the row: the page structure is sound,
    // so the quick check at open lets it through; doctor's full check names it.
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    book_of(&path, 300);
    let page = page_of(&path, "clients_by_name", "leaf");
    let size = page_size(&path);
    let bytes = std::fs::read(&path).unwrap();
    let start = ((page - 1) * size) as usize;
    // Every key on the page (free space may hold stale copies, so all of them).
    let keys: Vec<u64> = bytes[start..start + size as usize]
        .windows(8)
        .enumerate()
        .filter(|(_, w)| *w == b"Client 0")
        .map(|(at, _)| at as u64)
        .collect();
    assert!(!keys.is_empty(), "index keys on the page");
    for at in keys {
        overwrite(&path, (page - 1) * size + at, b"Client 9");
    }

    Store::open(&path).expect("structure is sound: the quick check passes");
    let problems = integrity::full_check(&path).unwrap();
    assert!(
        problems.iter().any(|p| p.contains("clients_by_name")),
        "{problems:?}"
    );
}

#[test]
fn a_wal_that_does_not_match_the_file_is_refused() {
    // A data folder copied while the app ran: the file from before 300 more clients were
    // added and checkpointed, the WAL from after (its frames point into pages that file
    // does not have).
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    book_of(&path, 300);
    let stale_dir = tempfile::tempdir().unwrap();
    let stale = db_in(&stale_dir);
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::copy(&path, &stale).unwrap();

    add_clients(&path, "Later", 300..600, 60);
    checkpoint(&path);
    let live = Connection::open(&path).unwrap();
    live.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    live.execute(
        "UPDATE clients SET notes = 'changed ' || notes WHERE id % 7 = 0",
        [],
    )
    .unwrap();
    std::fs::copy(wal_of(&path), wal_of(&stale)).unwrap();
    drop(live);

    let wal_before = std::fs::read(wal_of(&stale)).unwrap();
    assert_refused(&stale, "WAL from another state of the file");
    assert_eq!(
        std::fs::read(wal_of(&stale)).unwrap(),
        wal_before,
        "the WAL is kept as it was, not checkpointed into the file"
    );
}

#[test]
fn the_check_at_open_stops_at_its_budget_and_the_book_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    book_of(&path, 300);
    let conn = Connection::open(&path).unwrap();
    assert_eq!(
        integrity::check_at_open(&conn, &path, Duration::ZERO).unwrap(),
        OpenCheck::StoppedAfterBudget
    );
    assert_eq!(
        integrity::check_at_open(&conn, &path, Duration::from_secs(60)).unwrap(),
        OpenCheck::Sound
    );
    drop(conn);
    Store::open_with_check_budget(&path, Duration::ZERO).expect("a stopped check still opens");
}

/// `rows` transactions written straight into the table (the test needs their pages, not a
/// sync), checkpointed into the file.
fn cached_transactions(path: &Path, rows: usize) {
    let conn = Connection::open(path).unwrap();
    // No connection or account rows behind them: only their pages matter here.
    conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
    let tx = conn.unchecked_transaction().unwrap();
    for i in 0..rows {
        tx.execute(
            "INSERT INTO transactions (connection_id, account_id, provider_id, dedupe_key,
                 booking_date, amount_minor, currency, description, first_seen_at, last_seen_at)
             VALUES (1, 1, ?1, ?1, '2026-01-01', -1250, 'EUR', 'Groceries at the corner shop',
                 '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            [format!("tx-{i:06}")],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    drop(conn);
    checkpoint(path);
}

#[test]
fn damage_in_cached_data_only_is_left_to_the_check_after_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    book_of(&path, 50);
    cached_transactions(&path, 2_000);
    garble_page(&path, page_of(&path, "transactions", "leaf"));

    // The app's check at open passes (the book's tables are sound)…
    let store = Store::open_checking(&path, CheckScope::BookTables).expect("book tables sound");
    assert_eq!(crate::clients::list(&store, true).unwrap().len(), 50);
    // …and its check of the whole file, beside the open store, finds the damage.
    let problems = integrity::quick_check_file(&path).unwrap();
    assert!(
        !problems.is_empty(),
        "the whole-file check finds the damaged page"
    );
    drop(store);
    // The CLI's check at open (the whole file) refuses it outright.
    let err = Store::open(&path)
        .err()
        .expect("refused by the whole-file check");
    assert_eq!(err.code(), ErrorCode::DatabaseDamaged);
}

#[test]
fn a_sound_file_passes_the_check_after_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    book_of(&path, 50);
    cached_transactions(&path, 2_000);
    let _store = Store::open_checking(&path, CheckScope::BookTables).unwrap();
    assert_eq!(
        integrity::quick_check_file(&path).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn text_that_never_was_a_database_is_still_an_open_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    assert_eq!(
        Store::open(&path).err().unwrap().code(),
        ErrorCode::Database
    );
}

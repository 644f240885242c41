//! Disk full: the data folder on a small tmpfs, filled until only a little room is left, then
//! a sync (against the sandbox over real HTTP) and a backup that run out of space. Each must
//! end in a clear `disk_full` error; the database must pass the full integrity check with
//! everything committed before exactly as it was; the partial backup must be gone; and once
//! room is made, the same store syncs and backs up again.
//!
//! Mounting needs root (CI runs as root). Where `mount` is not permitted the test says so
//! and passes without running.

mod link_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use advisor_desk_core::secrets::MemorySecretStore;
use advisor_desk_core::store::integrity::full_check;
use advisor_desk_core::store::{backup_dir, BackupKind};
use advisor_desk_core::sync::{connections, CancelToken, SyncResult, SyncSummary};
use advisor_desk_core::{ErrorCode, Store};
use advisor_desk_sandbox::Sandbox;
use link_support::*;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};

const TMPFS_SIZE: &str = "24m";
/// Room left on the filled disk: enough to open and read, far too little for a first sync's
/// rows or a copy of the database.
const ROOM_LEFT: u64 = 64 * 1024;

/// A tmpfs mounted on a fresh folder, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                eprintln!(
                    "SKIPPED disk-full test: mounting a tmpfs is not permitted here ({})",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED disk-full test: no mount command ({e})");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Fills the disk holding `dir` with one file, then gives back `room` bytes of it.
fn fill_leaving(dir: &Path, room: u64) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0x5a_u8; 64 * 1024];
    let mut written = 0u64;
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    file.set_len(written.saturating_sub(room)).unwrap();
    file.sync_all().unwrap();
    path
}

/// Every row of `table` that belongs to `connection`, in rowid order.
fn rows_of(db: &Path, table: &str, connection: i64) -> Vec<Vec<Value>> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT * FROM {table} WHERE connection_id = ?1 ORDER BY rowid"
        ))
        .unwrap();
    let width = stmt.column_count();
    stmt.query_map([connection], |r| {
        (0..width).map(|i| r.get::<_, Value>(i)).collect()
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

/// What the book holds for `connection`, and its clients: compared before and after.
fn committed(db: &Path, connection: i64) -> Vec<Vec<Vec<Value>>> {
    let mut all: Vec<_> = ["accounts", "holdings", "transactions"]
        .into_iter()
        .map(|t| rows_of(db, t, connection))
        .collect();
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let clients = conn
        .prepare("SELECT id, name FROM clients ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok(vec![r.get::<_, Value>(0)?, r.get(1)?]))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    all.push(clients);
    all
}

/// Deletes a connection's accounts (and with them its rows), as if never synced.
fn forget_data(db: &Path, connection: i64) {
    let conn = Connection::open(db).unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    conn.execute(
        "DELETE FROM accounts WHERE connection_id = ?1",
        [connection],
    )
    .unwrap();
    assert!(rows_of(db, "transactions", connection).is_empty());
}

async fn sync(
    store: &Arc<Store>,
    base: &str,
    secrets: Arc<MemorySecretStore>,
    id: i64,
) -> SyncSummary {
    engine(base, store.clone(), secrets)
        .sync_many(vec![id], Arc::new(|_| {}), CancelToken::new())
        .await
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_during_a_sync_and_a_backup_loses_nothing() {
    let Some(disk) = Tmpfs::mount(TMPFS_SIZE) else {
        return;
    };
    let sandbox = Sandbox::start(sandbox_config()).unwrap();
    let base = sandbox.base_url();
    let db = disk.path().join("desk.sqlite3");
    let store = Arc::new(Store::open(&db).unwrap());
    let secrets = Arc::new(MemorySecretStore::new());
    let links = service(&base, store.clone(), secrets.clone());
    let web = Web::new(&base);

    // Two connections: the first linked and synced while there is room, the second linked
    // (its row committed) and never synced yet.
    let mut ids = Vec::new();
    for (i, user) in ["full-a", "full-b"].into_iter().enumerate() {
        let client = add_client(&store, &format!("Full disk {i}"));
        let start = links
            .start_connect(client, advisor_desk_core::links::LinkFlow::FlanksLink)
            .await
            .unwrap();
        let (_, body, to) = web
            .flanks_link(&start.url, user, "SCA_SMS", Some("1"))
            .await;
        let url = to.unwrap_or_else(|| panic!("no callback: {body}"));
        links
            .handle_callback(
                url.as_bytes(),
                Some(start.session_id),
                advisor_desk_core::links::CallbackSource::EmbeddedWindow,
            )
            .await
            .unwrap();
        ids.push(connections::list(&store, Some(client)).unwrap()[0].id);
    }
    let (synced, unsynced) = (ids[0], ids[1]);
    // The link's first sync filled both; the second's data is dropped so its next sync
    // has rows to write.
    assert_eq!(sync(&store, &base, secrets.clone(), synced).await.synced, 1);
    forget_data(&db, unsynced);
    let before = committed(&db, synced);
    assert!(
        !before[2].is_empty(),
        "the synced connection has transactions"
    );

    let filler = fill_leaving(disk.path(), ROOM_LEFT);

    // A sync that runs out of space: a disk_full error, nothing of it half-written.
    let summary = sync(&store, &base, secrets.clone(), unsynced).await;
    let error = match &summary.outcomes[0].result {
        SyncResult::Error { error } => error.clone(),
        other => panic!("the sync on a full disk: {other:?}"),
    };
    println!("disk full, sync: {} — {}", error.code, error.message);
    assert_eq!(error.code, ErrorCode::DiskFull.as_str(), "{error:?}");
    assert!(error.message.contains("full"), "{}", error.message);
    assert!(rows_of(&db, "transactions", unsynced).is_empty());

    // A backup that runs out of space: disk_full, and no partial file left.
    let err = store.take_backup(BackupKind::OnDemand).unwrap_err();
    println!("disk full, backup: {} — {err}", err.code().as_str());
    assert_eq!(err.code(), ErrorCode::DiskFull, "{err:?}");
    assert_eq!(files_in(&backup_dir(&db)), Vec::<String>::new());

    // The database is whole, and holds exactly what was committed.
    assert_eq!(full_check(&db).unwrap(), Vec::<String>::new());
    assert_eq!(committed(&db, synced), before);
    drop((links, store));
    let store = Arc::new(Store::open(&db).expect("opens again on the full disk"));
    assert_eq!(committed(&db, synced), before);

    // Room again: the same book syncs and backs up.
    std::fs::remove_file(filler).unwrap();
    assert_eq!(
        sync(&store, &base, secrets.clone(), unsynced).await.synced,
        1
    );
    assert!(!rows_of(&db, "transactions", unsynced).is_empty());
    let taken = store.take_backup(BackupKind::OnDemand).unwrap().unwrap();
    assert_eq!(full_check(&taken.file.path).unwrap(), Vec::<String>::new());
    assert_eq!(full_check(&db).unwrap(), Vec::<String>::new());
}

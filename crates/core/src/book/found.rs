//! Connections a restore would forget: rows of the files kept in `backups/` (the databases
//! set aside by restores, and the backups) whose credential the book does not hold, and whose
//! keychain entry is still there (a connection removed on purpose had its entry deleted). They are listed
//! for the advisor to confirm (each re-attached to the client the advisor names), never
//! inserted silently. Provider-side reconciliation (credentials of link sessions still open in
//! the restored book) is `LinkService::resume_and_reconcile`, which runs at every start.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::credentials::{self, NewConnectionRow, RowAudit};
use crate::domain::Provider;
use crate::error::{CoreError, Result};
use crate::secrets::{SecretKey, SecretStore};
use crate::store::queries::{clients, connections};
use crate::store::{backup_dir, Store};
use crate::time;

/// A credential found again: what the set-aside file said about it (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct FoundConnection {
    pub provider: Provider,
    pub flow: String,
    pub institution_id: Option<String>,
    pub institution_name: Option<String>,
    /// The client it belonged to in the set-aside file (that client may not exist now).
    pub former_client_id: i64,
    pub former_client_name: Option<String>,
    pub token_hash: String,
    /// The keychain name the kept file gave it (a name, not a secret). It differs from this
    /// book's when the backup predates the book's installation id.
    #[serde(skip)]
    pub secret_ref: String,
}

/// The connections of the files kept beside the database at `db` (newest first) that `book`
/// lacks and whose keychain entry exists, each once.
pub fn found_in_kept_files(
    db: &Path,
    book: &Store,
    secrets: &dyn SecretStore,
) -> Result<Vec<FoundConnection>> {
    let mut found: Vec<FoundConnection> = Vec::new();
    for file in kept_files(db)? {
        for f in found_in(&file, book, secrets)? {
            if !found.iter().any(|known| known.token_hash == f.token_hash) {
                found.push(f);
            }
        }
    }
    Ok(found)
}

/// Set-aside databases and backups in `backups/`, newest first (names carry the time).
fn kept_files(db: &Path) -> Result<Vec<PathBuf>> {
    let dir = backup_dir(db);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            let stamp = name
                .strip_prefix("set-aside-")
                .or_else(|| name.strip_prefix("backup-"))?;
            name.ends_with(".sqlite3").then(|| (stamp.to_string(), p))
        })
        .collect();
    files.sort();
    Ok(files.into_iter().rev().map(|(_, p)| p).collect())
}

/// The connections of one kept file missing from `book`. A file too damaged to read gives
/// none (it is kept for a person to look at).
fn found_in(file: &Path, book: &Store, secrets: &dyn SecretStore) -> Result<Vec<FoundConnection>> {
    let Ok(old) = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return Ok(Vec::new());
    };
    let Ok(rows) = connections::read::list(&old, None) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for row in rows {
        let Ok(Some(hash)) = connections::read::token_hash(&old, row.id) else {
            continue;
        };
        if crate::sync::connections::by_token_hash(book, &hash)?.is_some() {
            continue;
        }
        if secrets
            .get(&SecretKey::new(row.secret_ref.as_str())?)?
            .is_none()
        {
            continue;
        }
        let former_client_name = clients::read::by_id(&old, row.client_id)
            .ok()
            .flatten()
            .map(|c| c.name);
        found.push(FoundConnection {
            provider: row.provider,
            flow: row.flow,
            institution_id: row.institution_id,
            institution_name: row.institution_name,
            former_client_id: row.client_id,
            former_client_name,
            token_hash: hash,
            secret_ref: row.secret_ref,
        });
    }
    Ok(found)
}

/// The advisor confirmed `found` belongs to `client_id`: its row is inserted again (through
/// the one insert of `credentials`), pointing at the keychain entry that is still there.
pub fn reattach_found(
    store: &Store,
    secrets: &dyn SecretStore,
    found: &FoundConnection,
    client_id: i64,
    actor: &str,
) -> Result<i64> {
    crate::clients::get(store, client_id)?;
    let token = secrets
        .get(&SecretKey::new(found.secret_ref.as_str())?)?
        .ok_or_else(|| {
            CoreError::not_found("keychain entry of credential", &found.token_hash[..12])
        })?;
    if credentials::saved_token(store, secrets, &found.token_hash)?.is_none() {
        // Kept under another installation's name (a backup older than the book's id): this
        // book's name gets its own entry; the old one stays with the file that names it.
        credentials::put_token(store, secrets, &token)?;
    }
    let installation = store.installation_id()?;
    let row = NewConnectionRow {
        client_id,
        provider: found.provider,
        flow: &found.flow,
        token_hash: &found.token_hash,
        institution_id: found.institution_id.as_deref(),
        institution_name: found.institution_name.as_deref(),
    };
    let audit = RowAudit {
        actor,
        action: "connection.reattached",
        detail: "found again in the keychain after a restore; confirmed by the advisor",
    };
    store
        .write(|tx| {
            credentials::insert_connection_row(tx, &installation, &row, audit, time::now())
        })?
        .ok_or_else(|| CoreError::invalid("this credential is already a connection"))
}

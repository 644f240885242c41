//! Moving the book to a new computer: one file holding a consistent copy of the database and
//! every secret it refers to (the provider API keys, each connection's credentials token or
//! loginId), in the app's passphrase-protected file format (`crate::encrypted_file`: age's
//! passphrase mode, the firm invite's format too). No cryptography is written here.
//!
//! Inside the age stream: the line `advisor-desk-book`, a manifest line (JSON, no secret:
//! format, schema version, database length and SHA-256, row counts), one JSON line per secret,
//! then the database bytes. Import reads and checks all of it — age authenticates every
//! chunk and the end of the stream, the database must match its length, hash and counts —
//! before anything is written outside a staging file; then the secrets go into this
//! computer's keychain under a new installation id's names, and only then does the staged
//! database take its place. Any refusal leaves the data folder and the keychain as they were.

use std::io::Write;
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::restore::set_aside;
use crate::credentials::{secret_ref_for, token_hash};
use crate::encrypted_file::{
    new_passphrase, write_json_line, write_new, EncryptedReader, FileError,
};
use crate::error::{CoreError, Result};
use crate::secrets::{Secret, SecretKey, SecretStore};
use crate::settings::KEY_FIELDS;
use crate::store::queries::{connections, settings};
use crate::store::verified_copy::{row_counts, write_verified, RowCounts};
use crate::store::{
    backup_dir, create_private_dir, create_private_file, fresh_installation_id, integrity, Store,
    INSTALLATION_SETTING, LATEST_VERSION,
};

/// The layout this version writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &str = "advisor-desk-book";

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    app_version: String,
    schema_version: i64,
    database_bytes: u64,
    database_sha256: String,
    rows: RowCounts,
    secrets: usize,
}

/// One secret as the file carries it. Provider keys keep their name (they are the advisor's,
/// not a folder's); a connection's token is named on import by its hash.
#[derive(Serialize, Deserialize)]
struct SecretLine {
    kind: String,
    name: String,
    value: String,
}

impl Drop for SecretLine {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.value);
    }
}

/// What an export wrote (no secret).
#[derive(Debug, Serialize)]
pub struct Exported {
    pub path: PathBuf,
    pub rows: RowCounts,
    pub provider_keys: usize,
    pub connection_tokens: usize,
    /// Connections whose keychain entry was missing: they arrive without a token.
    pub tokens_missing: usize,
}

/// What an import brought in (no secret).
#[derive(Debug, Serialize)]
pub struct Imported {
    pub rows: RowCounts,
    pub provider_keys: usize,
    pub connection_tokens: usize,
    pub installation_id: String,
    /// An empty database this installation had created, kept aside.
    pub set_aside: Option<PathBuf>,
}

/// The book's words for the shared file format's refusals.
impl From<FileError> for CoreError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::PassphraseTooShort | FileError::Exists(_) => {
                CoreError::invalid(e.to_string())
            }
            FileError::WrongPassphrase => CoreError::WrongPassphrase,
            FileError::Damaged(problem) => CoreError::BookFileDamaged { problem },
            FileError::Io(e) => CoreError::from(e),
        }
    }
}

/// Writes the book of `store` and its secrets to `out` (which must not exist), encrypted
/// with `passphrase`.
pub fn export_book(
    store: &Store,
    secrets: &dyn SecretStore,
    out: &Path,
    passphrase: &str,
) -> Result<Exported> {
    let passphrase = new_passphrase(passphrase)?;
    let db = store
        .path()
        .ok_or_else(|| CoreError::invalid("this store has no file to export"))?;
    let dir = backup_dir(db);
    create_private_dir(&dir)?;
    let snapshot = dir.join(format!(
        "export-{}.sqlite3",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    ));
    let source = store
        .separate_reader()?
        .ok_or_else(|| CoreError::invalid("this store has no file to export"))?;
    let written = write_verified(&source, &snapshot)
        .and_then(|rows| write_file(&snapshot, rows, secrets, out, passphrase));
    let _ = std::fs::remove_file(&snapshot);
    written
}

fn write_file(
    snapshot: &Path,
    rows: RowCounts,
    secrets: &dyn SecretStore,
    out: &Path,
    passphrase: SecretString,
) -> Result<Exported> {
    let copy = Connection::open(snapshot)?;
    let mut lines: Vec<SecretLine> = Vec::new();
    for (provider, field) in KEY_FIELDS {
        let key = SecretKey::provider_key(provider, field);
        if let Some(value) = secrets.get(&key)? {
            lines.push(secret_line("provider", key.as_str(), &value));
        }
    }
    let provider_keys = lines.len();
    let mut tokens_missing = 0;
    for conn in connections::read::list(&copy, None)? {
        let hash = connections::read::token_hash(&copy, conn.id)?.unwrap_or_default();
        match secrets.get(&SecretKey::new(conn.secret_ref.as_str())?)? {
            Some(token) => lines.push(secret_line("connection", &hash, &token)),
            None => tokens_missing += 1,
        }
    }
    let schema_version = crate::store::migrations_version(&copy)?;
    drop(copy);
    let database = Zeroizing::new(std::fs::read(snapshot)?);
    let manifest = Manifest {
        format: FORMAT_VERSION,
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version,
        database_bytes: database.len() as u64,
        database_sha256: hex::encode(Sha256::digest(&database[..])),
        rows: rows.clone(),
        secrets: lines.len(),
    };

    write_new(out, passphrase, MAGIC, |writer| {
        write_json_line(writer, &manifest)?;
        for line in &lines {
            write_json_line(writer, line)?;
        }
        writer.write_all(&database)
    })?;
    Ok(Exported {
        path: out.to_path_buf(),
        rows,
        provider_keys,
        connection_tokens: lines.len() - provider_keys,
        tokens_missing,
    })
}

fn secret_line(kind: &str, name: &str, value: &Secret) -> SecretLine {
    SecretLine {
        kind: kind.to_string(),
        name: name.to_string(),
        value: value.expose().to_string(),
    }
}

/// Imports the book file `from` into the data folder of the database at `db`, which must
/// hold no book yet (no client, no connection); its secrets go into `secrets` under a new
/// installation id.
pub fn import_book(
    db: &Path,
    secrets: &dyn SecretStore,
    from: &Path,
    passphrase: &str,
) -> Result<Imported> {
    let passphrase = SecretString::from(passphrase.to_owned());
    refuse_a_book_already_there(db)?;
    if let Some(dir) = db.parent() {
        create_private_dir(dir)?;
    }
    let staging = PathBuf::from(format!("{}.importing", db.display()));
    let _ = std::fs::remove_file(&staging);
    let read = read_file(from, passphrase, &staging);
    let (manifest, lines) = match read {
        Ok(read) => read,
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            return Err(e);
        }
    };
    let placed = place(db, secrets, &staging, &manifest, &lines);
    let _ = std::fs::remove_file(&staging);
    placed
}

fn refuse_a_book_already_there(db: &Path) -> Result<()> {
    if !db.exists() {
        return Ok(());
    }
    let store = Store::open(db)?;
    let rows = store.read(row_counts)?;
    let held = |t: &str| rows.get(t).copied().unwrap_or(0);
    if held("clients") > 0 || held("connections") > 0 {
        return Err(CoreError::invalid(
            "this data folder already holds a book; import only into a new installation \
             (an empty data folder) — nothing was imported",
        ));
    }
    Ok(())
}

/// Decrypts and checks the whole file; the database goes to `staging`.
fn read_file(
    from: &Path,
    passphrase: SecretString,
    staging: &Path,
) -> Result<(Manifest, Vec<SecretLine>)> {
    let mut reader = EncryptedReader::open(from, passphrase, MAGIC)?;
    let manifest: Manifest = serde_json::from_str(&reader.line()?)
        .map_err(|e| damaged(&format!("unreadable manifest: {e}")))?;
    if manifest.format > FORMAT_VERSION {
        return Err(CoreError::BookFileTooNew {
            found: manifest.format,
            supported: FORMAT_VERSION,
        });
    }
    if manifest.schema_version > LATEST_VERSION {
        return Err(CoreError::SchemaTooNew {
            found: manifest.schema_version,
            supported: LATEST_VERSION,
        });
    }
    let mut lines = Vec::with_capacity(manifest.secrets);
    for _ in 0..manifest.secrets {
        let line = reader.line()?;
        let secret: SecretLine =
            serde_json::from_str(&line).map_err(|_| damaged("unreadable secret entry"))?;
        lines.push(secret);
    }

    let mut out = create_private_file(staging)?;
    let mut hasher = Sha256::new();
    let mut remaining = manifest.database_bytes;
    let mut buf = vec![0u8; 64 * 1024];
    while remaining > 0 {
        let want = remaining.min(buf.len() as u64) as usize;
        let n = reader.read(&mut buf[..want])?;
        if n == 0 {
            return Err(damaged("the database ends early"));
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        remaining -= n as u64;
    }
    reader.finish("the database")?;
    out.sync_all()?;
    drop(out);
    if hex::encode(hasher.finalize()) != manifest.database_sha256 {
        return Err(damaged("the database does not match its hash"));
    }
    let problems = integrity::full_check(staging)?;
    if !problems.is_empty() {
        return Err(damaged(&problems.join("; ")));
    }
    if row_counts(&Connection::open(staging)?)? != manifest.rows {
        return Err(damaged(
            "the database does not hold the rows the manifest lists",
        ));
    }
    Ok((manifest, lines))
}

/// Gives the staged database a new installation id and its connections this id's keychain
/// names, puts every secret in the keychain, then moves the database into place. A failure
/// takes back the entries already written.
fn place(
    db: &Path,
    secrets: &dyn SecretStore,
    staging: &Path,
    manifest: &Manifest,
    lines: &[SecretLine],
) -> Result<Imported> {
    let installation = fresh_installation_id()?;
    let mut conn = Connection::open(staging)?;
    let tx = conn.transaction()?;
    settings::write::set(&tx, INSTALLATION_SETTING, &installation)?;
    let mut names = Vec::new();
    for row in connections::read::list(&tx, None)? {
        let hash = connections::read::token_hash(&tx, row.id)?.unwrap_or_default();
        let name = secret_ref_for(&installation, &hash);
        connections::write::move_secret_ref(&tx, row.id, &row.secret_ref, &name)?;
        names.push((hash, name));
    }
    tx.commit()?;
    drop(conn);

    let mut written: Vec<(SecretKey, Option<Secret>)> = Vec::new();
    let put = put_all(secrets, lines, &names, &mut written);
    let placed = put.and_then(|counts| {
        let aside = set_aside(db)?;
        std::fs::rename(staging, db)?;
        Ok((counts, aside))
    });
    let ((provider_keys, connection_tokens), set_aside) = match placed {
        Ok(done) => done,
        Err(e) => {
            for (key, before) in written.into_iter().rev() {
                let _ = match before {
                    Some(value) => secrets.put(&key, &value),
                    None => secrets.delete(&key).map(|_| ()),
                };
            }
            return Err(e);
        }
    };
    let store = Store::open(db)?;
    tracing::info!(rows = ?manifest.rows, "book imported");
    Ok(Imported {
        rows: store.read(row_counts)?,
        provider_keys,
        connection_tokens,
        installation_id: installation,
        set_aside,
    })
}

/// Each secret into the keychain (checked against the name it claims), remembering what it
/// replaced so a failure can put it back.
fn put_all(
    secrets: &dyn SecretStore,
    lines: &[SecretLine],
    names: &[(String, String)],
    written: &mut Vec<(SecretKey, Option<Secret>)>,
) -> Result<(usize, usize)> {
    let (mut provider_keys, mut tokens) = (0, 0);
    for line in lines {
        let value = Secret::new(line.value.as_str());
        let key = match line.kind.as_str() {
            "provider" => {
                let known = KEY_FIELDS
                    .iter()
                    .any(|(p, f)| SecretKey::provider_key(p, f).as_str() == line.name);
                if !known {
                    return Err(damaged("an unknown provider key"));
                }
                provider_keys += 1;
                SecretKey::new(line.name.as_str())?
            }
            "connection" => {
                if token_hash(&value) != line.name {
                    return Err(damaged("a token does not match its hash"));
                }
                let Some((_, name)) = names.iter().find(|(hash, _)| *hash == line.name) else {
                    return Err(damaged("a token no connection names"));
                };
                tokens += 1;
                SecretKey::new(name.as_str())?
            }
            _ => return Err(damaged("an unknown kind of secret")),
        };
        let before = secrets.get(&key)?;
        secrets.put(&key, &value)?;
        written.push((key, before));
    }
    Ok((provider_keys, tokens))
}

fn damaged(problem: &str) -> CoreError {
    CoreError::BookFileDamaged {
        problem: problem.to_string(),
    }
}

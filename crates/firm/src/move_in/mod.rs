//! Moving a solo book into the firm database, all or nothing: in ONE firm transaction the
//! book's rows are copied (`copy_in`, ids preserved, no secret), every moved client is
//! assigned to the moving advisor, each connection's credentials token / loginId is read from
//! the solo keychain and sealed under the firm key into `sealed_secrets`, the provider API keys
//! too when the firm has none (`secrets.rs`), the count of every table is verified (`counts.rs`)
//! and one `book.moved_in` entry joins the audit log that came along. Any failure — a keychain
//! entry missing, ids the firm already holds, a count that differs — rolls all of it back.
//!
//! The solo book is held still meanwhile (its writer's transaction is open from the first read
//! to the end) and, once the firm has committed, marked moved (`marker.rs`) — never deleted.
//! Should marking fail after the firm committed, the firm keeps the book and a second move-in
//! is refused by the ids it already holds.

mod counts;
mod error;
mod marker;
mod secrets;

use advisor_desk_core::firm::FirmKey;
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::store::queries::{connections, settings};
use advisor_desk_core::Store;
use postgres::Transaction;
use serde::Serialize;

pub use counts::TableCounts;
pub use error::MoveInError;
pub use marker::{moved_to, MovedTo, MOVED_OUT_ACTION, MOVED_TO_SETTING};
pub use secrets::ProviderKeys;

use crate::copy_in::{self, CopyInError};
use crate::secrets::{current_key_version, firm_id};
use crate::{FirmDbError, FirmStore};

/// The firm audit log's action for a solo book moved in.
pub const MOVED_IN_ACTION: &str = "book.moved_in";

/// Who moves the book in, and to whom its clients go.
pub struct MoveInPlan<'a> {
    /// The firm's name, as the moving desktop knows it (for the solo book's mark).
    pub firm_name: &'a str,
    /// The firm member every moved client is assigned to.
    pub advisor_role: &'a str,
}

/// Where a move-in is, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveInStep {
    CopyingRows,
    SealingCredentials { done: usize, total: usize },
    VerifyingCounts,
    MarkingSoloBook,
}

/// What moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoveInReport {
    pub firm_id: String,
    /// Rows per table: the solo book's, verified equal to what the firm received.
    pub rows: TableCounts,
    pub credentials_sealed: usize,
    pub provider_keys: ProviderKeys,
    pub assigned_to: String,
    pub moved_at: String,
}

/// Moves `solo` into the firm database `firm` (see the module comment). `keychain` holds the
/// solo book's secrets and the firm key (one OS keychain on a desktop).
pub fn move_in(
    solo: &Store,
    keychain: &dyn SecretStore,
    firm: &FirmStore,
    plan: &MoveInPlan<'_>,
    progress: &mut dyn FnMut(MoveInStep),
) -> Result<MoveInReport, MoveInError> {
    let installation = solo.installation_id()?;
    let moved = solo.write(|solo_tx| {
        if let Some(to) = settings::read::value(solo_tx, MOVED_TO_SETTING)? {
            let to: Option<MovedTo> = serde_json::from_str(&to).ok();
            return Ok(Err(MoveInError::AlreadyMoved {
                firm_name: to
                    .as_ref()
                    .map_or("?", |t| t.firm_name.as_str())
                    .to_string(),
                moved_at: to.map_or_else(|| "?".to_string(), |t| t.moved_at),
            }));
        }
        let report = firm.write_as(|tx| {
            move_rows_and_secrets(solo_tx, tx, keychain, plan, &installation, progress)
        });
        let Ok(report) = report else {
            return Ok(report);
        };
        progress(MoveInStep::MarkingSoloBook);
        let to = MovedTo {
            firm_id: report.firm_id.clone(),
            firm_name: plan.firm_name.to_string(),
            moved_at: report.moved_at.clone(),
        };
        marker::mark_in(solo_tx, &to, &summary(&report))?;
        Ok(Ok(report))
    })?;
    moved
}

/// Everything that happens in the firm's transaction.
fn move_rows_and_secrets(
    solo: &rusqlite::Connection,
    tx: &mut Transaction<'_>,
    keychain: &dyn SecretStore,
    plan: &MoveInPlan<'_>,
    installation: &str,
    progress: &mut dyn FnMut(MoveInStep),
) -> Result<MoveInReport, MoveInError> {
    let firm = firm_id(tx)?;
    let key = FirmKey::load(keychain, &firm, current_key_version(tx)?)
        .map_err(crate::secrets::FirmSecretsError::from)?;
    require_member(tx, plan.advisor_role)?;
    let solo_connections = connections::read::list(solo, None)?;
    let client_ids = solo_ids(solo, "clients")?;
    refuse_taken_ids(tx, "clients", &client_ids)?;
    refuse_taken_ids(
        tx,
        "connections",
        &solo_connections.iter().map(|c| c.id).collect::<Vec<_>>(),
    )?;

    progress(MoveInStep::CopyingRows);
    let solo_rows = counts::solo_counts(solo)?;
    let before = counts::firm_counts(tx)?;
    copy_in::copy_book(solo, tx).map_err(ids_taken_or_copy)?;
    assign(tx, plan.advisor_role, &client_ids)?;

    let total = solo_connections.len();
    progress(MoveInStep::SealingCredentials { done: 0, total });
    secrets::seal_credentials(tx, keychain, &key, &solo_connections, &mut |done| {
        progress(MoveInStep::SealingCredentials { done, total })
    })?;
    let provider_keys = secrets::carry_provider_keys(tx, keychain, &key)?;

    progress(MoveInStep::VerifyingCounts);
    counts::verify(&solo_rows, &before, &counts::firm_counts(tx)?)?;
    let sealed: i64 = tx
        .query_one(
            "SELECT count(*) FROM sealed_secrets WHERE connection_id = ANY($1)",
            &[&solo_connections.iter().map(|c| c.id).collect::<Vec<_>>()],
        )?
        .get(0);
    if sealed != total as i64 {
        return Err(MoveInError::CountMismatch {
            table: "sealed_secrets (credentials)".into(),
            solo: total as i64,
            firm: sealed,
        });
    }

    let report = MoveInReport {
        firm_id: firm.to_string(),
        rows: solo_rows,
        credentials_sealed: total,
        provider_keys,
        assigned_to: plan.advisor_role.to_string(),
        moved_at: advisor_desk_core::time::to_db(advisor_desk_core::time::now()),
    };
    tx.execute(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES (now(), 'advisor', $1, $2)",
        &[
            &MOVED_IN_ACTION,
            &format!("from installation {installation}: {}", summary(&report)),
        ],
    )?;
    Ok(report)
}

/// One line for both audit logs: counts and names, never a secret.
fn summary(report: &MoveInReport) -> String {
    let rows = |t: &str| report.rows.get(t).copied().unwrap_or(0);
    format!(
        "{} clients, {} connections ({} credentials sealed), {} audit entries; assigned to {}",
        rows("clients"),
        rows("connections"),
        report.credentials_sealed,
        rows("audit_log"),
        report.assigned_to
    )
}

fn require_member(tx: &mut Transaction<'_>, role: &str) -> Result<(), MoveInError> {
    let member = tx
        .query_opt("SELECT 1 FROM advisors WHERE role_name = $1", &[&role])?
        .is_some();
    if member {
        Ok(())
    } else {
        Err(MoveInError::UnknownAdvisor(role.to_string()))
    }
}

fn solo_ids(solo: &rusqlite::Connection, table: &str) -> Result<Vec<i64>, MoveInError> {
    let read = || -> rusqlite::Result<Vec<i64>> {
        let mut statement = solo.prepare(&format!("SELECT id FROM {table} ORDER BY id"))?;
        let ids = statement.query_map([], |r| r.get(0))?;
        ids.collect()
    };
    read().map_err(|e| MoveInError::Solo(e.into()))
}

/// The clear refusal of a second move-in, before anything is written (as far as the caller's
/// row-level security lets them see; a row they cannot see still conflicts in the copy, and
/// [`ids_taken_or_copy`] names it).
fn refuse_taken_ids(tx: &mut Transaction<'_>, table: &str, ids: &[i64]) -> Result<(), MoveInError> {
    let taken: Option<i64> = tx
        .query_one(
            &format!("SELECT min(id) FROM {table} WHERE id = ANY($1)"),
            &[&ids],
        )?
        .get(0);
    match taken {
        Some(id) => Err(MoveInError::IdsTaken {
            table: table.to_string(),
            which: format!("id {id}"),
        }),
        None => Ok(()),
    }
}

/// A unique violation in the copy is a row the firm already holds.
fn ids_taken_or_copy(error: CopyInError) -> MoveInError {
    if let CopyInError::Firm(FirmDbError::Database(db)) = &error {
        if let Some(db) = db.as_db_error() {
            if *db.code() == postgres::error::SqlState::UNIQUE_VIOLATION {
                return MoveInError::IdsTaken {
                    table: db.table().unwrap_or("a table").to_string(),
                    which: db.detail().unwrap_or("a key").to_string(),
                };
            }
        }
    }
    MoveInError::Copy(error)
}

/// Every moved client assigned to the moving advisor (an advisor's own insert may have
/// assigned them already: the schema assigns a client's creator).
fn assign(tx: &mut Transaction<'_>, role: &str, client_ids: &[i64]) -> Result<(), MoveInError> {
    tx.execute(
        "INSERT INTO client_assignments (client_id, advisor_role, kind)
         SELECT id, $1, 'assigned' FROM unnest($2::bigint[]) AS id
         ON CONFLICT (client_id, advisor_role) DO NOTHING",
        &[&role, &client_ids],
    )?;
    Ok(())
}

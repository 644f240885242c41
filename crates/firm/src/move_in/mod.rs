//! Moving a solo book into the firm database, all or nothing: in ONE firm transaction the
//! book is claimed (`moved_books`, by its installation id: a book moves in once), its rows are
//! copied under fresh firm ids (`copy_in::copy_book_renumbered`, every reference and the audit
//! log's numbers mapped, no secret), every moved client is assigned to the moving advisor, each
//! connection's credentials token / loginId is read from the solo keychain and sealed under the
//! firm key into `sealed_secrets` bound to the connection's NEW id, the provider API keys and
//! the book's settings too when the firm has none (`secrets.rs`, `book_settings.rs`), the count
//! of every table is verified (`counts.rs`) and one `book.moved_in` entry joins the audit log
//! that came along. Any failure — a keychain entry missing, a count that differs — rolls all of
//! it back.
//!
//! One rule for ids: every book is renumbered, the first as the tenth, so several advisors'
//! books (each numbered from 1) move into one firm and none depends on which came first.
//!
//! The solo book is held still meanwhile (its writer's transaction is open from the first read
//! to the end) and, once the firm has committed, marked moved (`marker.rs`) — never deleted.
//! Should marking fail after the firm committed, the firm keeps the book and a second move-in
//! is refused by the firm's `moved_books`.

mod book_settings;
mod carried;
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

pub use book_settings::{BookSettings, BOOK_SETTINGS};
pub use carried::CarriedOver;
pub use counts::TableCounts;
pub use error::MoveInError;
pub use marker::{moved_to, MovedTo, MOVED_OUT_ACTION, MOVED_TO_SETTING};
pub use secrets::ProviderKeys;

use crate::copy_in::{self, CopyInError, IdMap};
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
    /// Rows of the firm's shared reference data (exchange rates) the firm already held, so
    /// not copied again.
    pub already_in_firm: TableCounts,
    pub credentials_sealed: usize,
    pub provider_keys: ProviderKeys,
    /// The book's rules (freshness, SCA consent period) and whether they became the firm's.
    pub book_settings: BookSettings,
    pub assigned_to: String,
    pub moved_at: String,
    /// Each moved row's firm id, by its solo id (not reported: a book has thousands).
    #[serde(skip)]
    pub ids: IdMap,
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
    claim_the_book(tx, installation)?;
    let solo_connections = connections::read::list(solo, None)?;

    progress(MoveInStep::CopyingRows);
    let solo_rows = counts::solo_counts(solo)?;
    let before = counts::firm_counts(tx)?;
    let copied = copy_in::copy_book_renumbered(solo, tx).map_err(rows_taken_or_copy)?;
    let client_ids = copied.ids.firm_ids("clients");
    assign(tx, plan.advisor_role, &client_ids)?;

    let total = solo_connections.len();
    progress(MoveInStep::SealingCredentials { done: 0, total });
    secrets::seal_credentials(
        tx,
        keychain,
        &key,
        &solo_connections,
        &copied.ids,
        &mut |done| progress(MoveInStep::SealingCredentials { done, total }),
    )?;
    let provider_keys = secrets::carry_provider_keys(tx, keychain, &key)?;
    let book_settings = book_settings::carry_book_settings(solo, tx)?;

    progress(MoveInStep::VerifyingCounts);
    let already_in_firm: TableCounts = copied
        .already_held
        .iter()
        .map(|(table, n)| (table.to_string(), *n as i64))
        .collect();
    counts::verify(
        &solo_rows,
        &already_in_firm,
        &before,
        &counts::firm_counts(tx)?,
    )?;
    let firm_connections = copied.ids.firm_ids("connections");
    let sealed: i64 = tx
        .query_one(
            "SELECT count(*) FROM sealed_secrets WHERE connection_id = ANY($1)",
            &[&firm_connections],
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
        already_in_firm,
        credentials_sealed: total,
        provider_keys,
        book_settings,
        assigned_to: plan.advisor_role.to_string(),
        moved_at: advisor_desk_core::time::to_db(advisor_desk_core::time::now()),
        ids: copied.ids,
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

/// Records this book (by its installation id) as moved into the firm, before anything is
/// copied: a book the firm already took — its own mark lost, or a copy of its folder — is
/// refused here, whoever moved it (the key is unique even across rows the caller cannot see).
fn claim_the_book(tx: &mut Transaction<'_>, installation: &str) -> Result<(), MoveInError> {
    let claimed = tx
        .query_opt(
            "INSERT INTO moved_books (installation_id) VALUES ($1)
             ON CONFLICT (installation_id) DO NOTHING RETURNING 1",
            &[&installation],
        )?
        .is_some();
    if claimed {
        Ok(())
    } else {
        Err(MoveInError::AlreadyInFirm {
            installation: installation.to_string(),
        })
    }
}

/// A unique violation in the copy is a row the firm already holds under a key other than an
/// id (renumbered rows cannot meet on their ids): a connection's token hash — the same bank
/// login, moved in with another book — or a link session's state hash.
fn rows_taken_or_copy(error: CopyInError) -> MoveInError {
    if let CopyInError::Firm(FirmDbError::Database(db)) = &error {
        if let Some(db) = db.as_db_error() {
            if *db.code() == postgres::error::SqlState::UNIQUE_VIOLATION {
                // Row security may keep the detail (the other row's values) from the caller:
                // the constraint's name says which key it is.
                return MoveInError::RowsTaken {
                    table: db.table().unwrap_or("a table").to_string(),
                    which: db
                        .detail()
                        .or(db.constraint())
                        .unwrap_or("a key")
                        .to_string(),
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

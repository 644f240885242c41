//! A household's CSV exports, with the same columns and the same writer as a client's
//! (`reads::export`): its holdings and its transactions, each joint account's once.

use super::overview::household_overview;
use crate::error::{CoreError, Result};
use crate::reads::export::{
    holdings_table, transactions_table, validate_export_path, write_export, ExportKind,
    ExportResult,
};
use crate::store::queries::households;
use crate::store::Store;
use crate::time::Timestamp;

/// The CSV of `kind` for a household, without writing it.
pub fn household_csv(
    store: &Store,
    kind: ExportKind,
    household_id: i64,
    now: Timestamp,
) -> Result<(String, u64)> {
    match kind {
        ExportKind::Holdings => Ok(holdings_table(
            &household_overview(store, household_id, now)?.holdings,
        )),
        ExportKind::Transactions => {
            crate::households::get(store, household_id)?;
            let members = store.read(|c| households::read::member_ids(c, household_id))?;
            transactions_table(store, &members)
        }
        ExportKind::Book => Err(CoreError::invalid(
            "the book export covers every client; it is not for one household",
        )),
    }
}

/// Builds the CSV and writes it to a new file at `path` (validated, never overwritten).
pub fn export_household_csv(
    store: &Store,
    kind: ExportKind,
    household_id: i64,
    path: &str,
    now: Timestamp,
) -> Result<ExportResult> {
    validate_export_path(path)?;
    let (csv, rows) = household_csv(store, kind, household_id, now)?;
    write_export(path, &csv, rows)
}

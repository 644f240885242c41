//! A household's CSV exports, with the same columns and the same writer as a client's
//! (`reads::export`): its holdings and its transactions, each joint account's once.

use super::overview::household_overview_from;
use crate::error::{CoreError, Result};
use crate::reads::export::{
    export_to, holdings_table, transactions_table_from, ExportKind, ExportResult,
};
use crate::store::book_reads::BookReads;
use crate::store::Store;
use crate::time::Timestamp;

/// The CSV of `kind` for a household, without writing it.
pub fn household_csv(
    store: &Store,
    kind: ExportKind,
    household_id: i64,
    now: Timestamp,
) -> Result<(String, u64)> {
    store.read(|r| household_csv_from(r, kind, household_id, now))
}

/// [`household_csv`] from either engine's reader.
pub fn household_csv_from(
    reads: &impl BookReads,
    kind: ExportKind,
    household_id: i64,
    now: Timestamp,
) -> Result<(String, u64)> {
    match kind {
        ExportKind::Holdings => Ok(holdings_table(
            &household_overview_from(reads, household_id, now)?.holdings,
        )),
        ExportKind::Transactions => {
            reads
                .household(household_id)?
                .ok_or_else(|| CoreError::not_found("household", household_id))?;
            let members = reads.household_member_ids(household_id)?;
            transactions_table_from(reads, &members)
        }
        ExportKind::Book => Err(CoreError::invalid(
            "the book export covers every client; it is not for one household",
        )),
    }
}

/// The name a suggested household export file starts with: `<household>-<kind>-<date>`.
pub fn household_export_stem_from(
    reads: &impl BookReads,
    kind: ExportKind,
    household_id: i64,
    now: Timestamp,
) -> Result<String> {
    let household = reads
        .household(household_id)?
        .ok_or_else(|| CoreError::not_found("household", household_id))?;
    Ok(format!(
        "{}-{}-{}",
        household.name,
        kind.as_str(),
        now.format("%Y-%m-%d")
    ))
}

/// Whose rows an export holds: the whole book, one client or one household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportOf {
    Book,
    Client(i64),
    Household(i64),
}

impl ExportOf {
    /// From the app's and the CLI's arguments: the book export names nobody; a holdings or
    /// transactions export names one client or one household.
    pub fn from_args(
        kind: ExportKind,
        client_id: Option<i64>,
        household_id: Option<i64>,
    ) -> Result<ExportOf> {
        match (kind, client_id, household_id) {
            (ExportKind::Book, None, None) => Ok(ExportOf::Book),
            (ExportKind::Book, _, _) => Err(CoreError::invalid(
                "the book export covers every client: a client or a household does not apply",
            )),
            (_, Some(c), None) => Ok(ExportOf::Client(c)),
            (_, None, Some(h)) => Ok(ExportOf::Household(h)),
            (_, Some(_), Some(_)) => {
                Err(CoreError::invalid("name a client or a household, not both"))
            }
            (kind, None, None) => Err(CoreError::invalid(format!(
                "a {} export needs a client or a household",
                kind.as_str()
            ))),
        }
    }

    /// The CSV of `kind` for this book, client or household, from either engine's reader.
    pub fn csv_from(
        self,
        reads: &impl BookReads,
        kind: ExportKind,
        now: Timestamp,
    ) -> Result<(String, u64)> {
        match self {
            ExportOf::Household(h) => household_csv_from(reads, kind, h, now),
            ExportOf::Client(c) => crate::reads::export::csv_from(reads, kind, Some(c), now),
            ExportOf::Book => crate::reads::export::csv_from(reads, kind, None, now),
        }
    }

    /// The name a suggested file for this export starts with.
    pub fn stem_from(
        self,
        reads: &impl BookReads,
        kind: ExportKind,
        now: Timestamp,
    ) -> Result<String> {
        match self {
            ExportOf::Household(h) => household_export_stem_from(reads, kind, h, now),
            ExportOf::Client(c) => {
                crate::reads::export::export_stem_from(reads, kind, Some(c), now)
            }
            ExportOf::Book => crate::reads::export::export_stem_from(reads, kind, None, now),
        }
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
    export_to(path, || household_csv(store, kind, household_id, now))
}

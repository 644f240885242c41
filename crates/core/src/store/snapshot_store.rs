//! The engine-neutral seam of the snapshot writer: exactly the statements
//! `sync/snapshot_writer.rs` needs (and the connection's after-sync update), as a trait, so the
//! same writer — its dedupe keys, row hashes, presence rules — writes into the solo book's
//! SQLite transaction and into a firm's PostgreSQL transaction (`crates/firm/src/snapshot/`).
//!
//! The writer decides what changed; an implementation only says it in its SQL, inside the
//! transaction it was built on (so readers see the old snapshot or the new one, never a mix).
//! Dates and times travel as the text the writer computed (`time::to_db`, `YYYY-MM-DD`): the
//! SQLite book stores that text, another engine converts it to its own types.
//!
//! The SQLite implementation is on `rusqlite::Transaction` and delegates to
//! `store/queries/snapshot_rows.rs` and `store/queries/connections.rs`.
//!
//! [`HolderCheckStore`] is its sibling for the holder check (`sync/holder_check.rs`) that runs
//! on a new connection's first snapshot in the same transaction: the check's state, the names
//! to compare with, the state's change and its audit entry.

use std::collections::HashMap;

use crate::domain::holders::HolderCheckState;
use crate::domain::model::{Card, Holding, Liability};
use crate::domain::{ConnectionStatus, ProviderFailure};
use crate::error::CoreError;
use crate::store::audit::NewAuditEntry;
use crate::store::queries::{audit, connections, snapshot_rows};
use crate::time::Timestamp;

/// A point-in-time position table: rows absent from an answer are removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionTable {
    Holdings,
    Liabilities,
    Cards,
}

impl PositionTable {
    /// The table's name, the same in both engines.
    pub fn name(self) -> &'static str {
        match self {
            PositionTable::Holdings => "holdings",
            PositionTable::Liabilities => "liabilities",
            PositionTable::Cards => "cards",
        }
    }

    /// The table's own columns, after `connection_id`, `dedupe_key` and `row_hash`, in the
    /// order each engine's upsert binds their values.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            PositionTable::Holdings => &[
                "account_id",
                "provider_id",
                "name",
                "isin",
                "asset_class",
                "units",
                "value_minor",
                "currency",
                "as_of",
            ],
            PositionTable::Liabilities => &[
                "provider_id",
                "kind",
                "name",
                "currency",
                "balance_minor",
                "as_of",
            ],
            PositionTable::Cards => &[
                "provider_id",
                "name",
                "pan_masked",
                "currency",
                "balance_minor",
                "as_of",
            ],
        }
    }
}

/// An account row as the writer compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAccount {
    pub id: i64,
    pub dedupe_key: String,
    pub hash: i64,
    pub presence: String,
    pub provider_id: String,
}

/// A transaction row as the writer compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTxn {
    pub id: i64,
    pub account_id: i64,
    pub dedupe_key: String,
    pub provider_id: String,
    pub hash: i64,
    pub active: bool,
    /// `YYYY-MM-DD`.
    pub booking_date: String,
}

/// An account's columns as the writer computed them.
pub struct AccountRow<'a> {
    pub provider_id: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub number_masked: Option<&'a str>,
    pub currency: &'a str,
    pub balance_minor: i64,
    pub available_minor: Option<i64>,
    pub asset_class: Option<&'a str>,
    /// `time::to_db` text.
    pub as_of: Option<&'a str>,
    pub hash: i64,
}

/// The identity of a position row being written.
pub struct PositionKey<'a> {
    pub connection_id: i64,
    pub dedupe_key: &'a str,
    pub hash: i64,
}

/// A transaction's columns as the writer computed them.
pub struct TxnRow<'a> {
    pub provider_id: &'a str,
    pub dedupe_key: &'a str,
    /// `YYYY-MM-DD`.
    pub booking_date: &'a str,
    pub value_date: Option<String>,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub balance_minor: Option<i64>,
    pub description: &'a str,
    pub category: Option<&'a str>,
    pub counterparty: Option<&'a str>,
    /// Last seen (and, for a new row, first seen), `time::to_db` text.
    pub now: &'a str,
    pub hash: i64,
}

/// The statements of one connection's snapshot, inside one open transaction of some engine.
pub trait SnapshotStore {
    type Error;

    // --- reads: what is stored now, for the writer to compare against
    fn accounts(&self, connection_id: i64) -> Result<Vec<StoredAccount>, Self::Error>;
    /// dedupe key → (id, row hash) of one connection's rows in a position table.
    fn positions(
        &self,
        table: PositionTable,
        connection_id: i64,
    ) -> Result<HashMap<String, (i64, i64)>, Self::Error>;
    fn transactions(&self, connection_id: i64) -> Result<Vec<StoredTxn>, Self::Error>;

    // --- accounts
    /// A new active account; its id.
    fn insert_account(
        &self,
        connection_id: i64,
        dedupe_key: &str,
        a: &AccountRow<'_>,
    ) -> Result<i64, Self::Error>;
    /// Rewrites a changed (or returning) account; it is active again.
    fn update_account(&self, id: i64, a: &AccountRow<'_>) -> Result<(), Self::Error>;
    /// Kept but marked missing (the provider stopped returning it).
    fn mark_account_missing(&self, id: i64) -> Result<(), Self::Error>;
    /// Adds the account's owners (blank names skipped, repeats ignored).
    fn add_owners(&self, account_id: i64, owners: &[String]) -> Result<(), Self::Error>;
    /// Replaces the account's owners.
    fn replace_owners(&self, account_id: i64, owners: &[String]) -> Result<(), Self::Error>;

    // --- positions: inserted, or updated in place (same id) by (connection, dedupe key)
    fn upsert_holding(
        &self,
        k: &PositionKey<'_>,
        h: &Holding,
        account_id: Option<i64>,
        units: Option<&str>,
        as_of: Option<&str>,
    ) -> Result<(), Self::Error>;
    fn upsert_liability(
        &self,
        k: &PositionKey<'_>,
        l: &Liability,
        as_of: Option<&str>,
    ) -> Result<(), Self::Error>;
    fn upsert_card(
        &self,
        k: &PositionKey<'_>,
        c: &Card,
        as_of: Option<&str>,
    ) -> Result<(), Self::Error>;
    fn delete_position(&self, table: PositionTable, id: i64) -> Result<(), Self::Error>;

    // --- transactions
    fn insert_transaction(
        &self,
        connection_id: i64,
        account_id: i64,
        t: &TxnRow<'_>,
    ) -> Result<(), Self::Error>;
    /// Rewrites a matched transaction; it is active again.
    fn update_transaction(&self, id: i64, t: &TxnRow<'_>) -> Result<(), Self::Error>;
    /// Kept but marked missing (not returned inside the provider's date window).
    fn mark_transaction_missing(&self, id: i64) -> Result<(), Self::Error>;

    /// Called by the writer after its last statement of a snapshot. An implementation may
    /// defer statements until then (the firm's batches new transactions into one insert: a
    /// round trip per row to a server is what makes a first snapshot slow); nothing it
    /// deferred may depend on the order.
    fn finish(&self) -> Result<(), Self::Error> {
        Ok(())
    }

    // --- the connection, after its sync
    /// A successful sync: ready, no one must act, failures reset, `data_as_of` moved when the
    /// provider gave one, the institution's name kept when already known.
    fn record_success(
        &self,
        connection_id: i64,
        now: Timestamp,
        data_as_of: Option<Timestamp>,
        institution_name: Option<&str>,
    ) -> Result<(), Self::Error>;
    /// A failed sync: the status it leads to, who must act, the provider's code and wording.
    fn record_failure(
        &self,
        connection_id: i64,
        status: ConnectionStatus,
        failure: &ProviderFailure,
        consecutive_failures: u32,
        now: Timestamp,
    ) -> Result<(), Self::Error>;
}

/// The solo book: the statements of `store/queries/`, in the caller's write transaction.
impl SnapshotStore for rusqlite::Transaction<'_> {
    type Error = CoreError;

    fn accounts(&self, connection_id: i64) -> Result<Vec<StoredAccount>, CoreError> {
        snapshot_rows::read::accounts(self, connection_id)
    }

    fn positions(
        &self,
        table: PositionTable,
        connection_id: i64,
    ) -> Result<HashMap<String, (i64, i64)>, CoreError> {
        snapshot_rows::read::positions(self, table, connection_id)
    }

    fn transactions(&self, connection_id: i64) -> Result<Vec<StoredTxn>, CoreError> {
        snapshot_rows::read::transactions(self, connection_id)
    }

    fn insert_account(
        &self,
        connection_id: i64,
        dedupe_key: &str,
        a: &AccountRow<'_>,
    ) -> Result<i64, CoreError> {
        snapshot_rows::write::insert_account(self, connection_id, dedupe_key, a)
    }

    fn update_account(&self, id: i64, a: &AccountRow<'_>) -> Result<(), CoreError> {
        snapshot_rows::write::update_account(self, id, a)
    }

    fn mark_account_missing(&self, id: i64) -> Result<(), CoreError> {
        snapshot_rows::write::mark_account_missing(self, id)
    }

    fn add_owners(&self, account_id: i64, owners: &[String]) -> Result<(), CoreError> {
        snapshot_rows::write::add_owners(self, account_id, owners)
    }

    fn replace_owners(&self, account_id: i64, owners: &[String]) -> Result<(), CoreError> {
        snapshot_rows::write::replace_owners(self, account_id, owners)
    }

    fn upsert_holding(
        &self,
        k: &PositionKey<'_>,
        h: &Holding,
        account_id: Option<i64>,
        units: Option<&str>,
        as_of: Option<&str>,
    ) -> Result<(), CoreError> {
        snapshot_rows::write::upsert_holding(self, k, h, account_id, units, as_of)
    }

    fn upsert_liability(
        &self,
        k: &PositionKey<'_>,
        l: &Liability,
        as_of: Option<&str>,
    ) -> Result<(), CoreError> {
        snapshot_rows::write::upsert_liability(self, k, l, as_of)
    }

    fn upsert_card(
        &self,
        k: &PositionKey<'_>,
        c: &Card,
        as_of: Option<&str>,
    ) -> Result<(), CoreError> {
        snapshot_rows::write::upsert_card(self, k, c, as_of)
    }

    fn delete_position(&self, table: PositionTable, id: i64) -> Result<(), CoreError> {
        snapshot_rows::write::delete_position(self, table, id)
    }

    fn insert_transaction(
        &self,
        connection_id: i64,
        account_id: i64,
        t: &TxnRow<'_>,
    ) -> Result<(), CoreError> {
        snapshot_rows::write::insert_transaction(self, connection_id, account_id, t)
    }

    fn update_transaction(&self, id: i64, t: &TxnRow<'_>) -> Result<(), CoreError> {
        snapshot_rows::write::update_transaction(self, id, t)
    }

    fn mark_transaction_missing(&self, id: i64) -> Result<(), CoreError> {
        snapshot_rows::write::mark_transaction_missing(self, id)
    }

    fn record_success(
        &self,
        connection_id: i64,
        now: Timestamp,
        data_as_of: Option<Timestamp>,
        institution_name: Option<&str>,
    ) -> Result<(), CoreError> {
        connections::write::record_success(self, connection_id, now, data_as_of, institution_name)
    }

    fn record_failure(
        &self,
        connection_id: i64,
        status: ConnectionStatus,
        failure: &ProviderFailure,
        consecutive_failures: u32,
        now: Timestamp,
    ) -> Result<(), CoreError> {
        connections::write::record_failure(
            self,
            connection_id,
            status,
            failure,
            consecutive_failures,
            now,
        )
    }
}

/// What the holder check reads and writes, inside the transaction that writes the snapshot, so
/// a held connection's data is never readable before the decision.
pub trait HolderCheckStore {
    type Error;

    /// The connection's holder-check state; an error when it is gone.
    fn holder_check(&self, connection_id: i64) -> Result<HolderCheckState, Self::Error>;
    /// The names a login's holders are compared with: the client's, then each other member of
    /// the client's household.
    fn names_to_compare(&self, client_id: i64) -> Result<Vec<String>, Self::Error>;
    /// Moves the state from `from` to `to` (nothing when it is no longer `from`), keeping the
    /// holder names given (none: the stored ones stay); the rows changed.
    fn set_holder_check(
        &self,
        connection_id: i64,
        from: HolderCheckState,
        to: HolderCheckState,
        holder_names: &[String],
    ) -> Result<usize, Self::Error>;
    fn audit(&self, entry: &NewAuditEntry<'_>) -> Result<(), Self::Error>;
}

/// The solo book's holder check: `store/queries/`, in the caller's write transaction.
impl HolderCheckStore for rusqlite::Transaction<'_> {
    type Error = CoreError;

    fn holder_check(&self, connection_id: i64) -> Result<HolderCheckState, CoreError> {
        Ok(connections::read::by_id(self, connection_id)?
            .ok_or_else(|| CoreError::not_found("connection", connection_id))?
            .holder_check)
    }

    fn names_to_compare(&self, client_id: i64) -> Result<Vec<String>, CoreError> {
        crate::sync::holder_check::names_to_compare(self, client_id)
    }

    fn set_holder_check(
        &self,
        connection_id: i64,
        from: HolderCheckState,
        to: HolderCheckState,
        holder_names: &[String],
    ) -> Result<usize, CoreError> {
        connections::write::set_holder_check(self, connection_id, from, to, holder_names)
    }

    fn audit(&self, entry: &NewAuditEntry<'_>) -> Result<(), CoreError> {
        audit::write::append(self, entry)
    }
}

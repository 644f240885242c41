//! The core's read models on the firm database: [`FirmReads`] implements the core's
//! engine-neutral `BookReads` with this crate's `queries`, so the book page, client and
//! household pages, transactions pages and health queue are the core's own code
//! (`reads::book::book_summary_from`, …) reading PostgreSQL.
//!
//! One `FirmReads` is one read-only REPEATABLE READ transaction: every statement of a read
//! model sees the same snapshot, as a solo page's statements see one SQLite connection's.
//! Row-level security answers each statement as the signed-in member.

use std::cell::RefCell;
use std::collections::BTreeMap;

use advisor_desk_core::clients::Client;
use advisor_desk_core::error::{CoreError, Result};
use advisor_desk_core::households::Household;
use advisor_desk_core::links::LinkSession;
use advisor_desk_core::reads::book::Position;
use advisor_desk_core::reads::client::TransactionLine;
use advisor_desk_core::store::book_reads::BookReads;
use advisor_desk_core::store::queries::set_copies::{AccountCopy, HoldingCopy, LiabilityCopy};
use advisor_desk_core::store::queries::transactions::PageFilter;
use advisor_desk_core::store::queries::Clients;
use advisor_desk_core::sync::Connection;
use postgres::{Client as PgClient, IsolationLevel, Transaction};

use crate::queries::{
    clients, connections, households, link_sessions, positions, set_copies, settings, transactions,
};
use crate::{FirmDbError, FirmStore};

pub struct FirmReads<'a> {
    tx: RefCell<Transaction<'a>>,
}

impl<'a> FirmReads<'a> {
    /// Opens the read-only snapshot on `client`.
    pub fn begin(client: &'a mut PgClient) -> std::result::Result<Self, FirmDbError> {
        let tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(IsolationLevel::RepeatableRead)
            .start()?;
        Ok(FirmReads {
            tx: RefCell::new(tx),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Transaction<'a>) -> std::result::Result<T, FirmDbError>,
    ) -> Result<T> {
        f(&mut self.tx.borrow_mut()).map_err(to_core)
    }
}

/// The core's error for a failed firm read (its message; never a password): `FirmUnreachable`
/// when the server is gone (the app then shows what it last loaded), else `FirmDatabase`.
pub fn to_core(e: FirmDbError) -> CoreError {
    if e.is_unreachable() {
        CoreError::FirmUnreachable(e.to_string())
    } else {
        CoreError::FirmDatabase(e.to_string())
    }
}

impl FirmStore {
    /// Runs one read model on a pooled connection, in one read-only snapshot, e.g.
    /// `store.reading(|r| book_summary_from(r, now))`.
    pub fn reading<T>(&self, f: impl FnOnce(&FirmReads<'_>) -> Result<T>) -> Result<T> {
        self.read(|client| {
            let reads = FirmReads::begin(client)?;
            Ok(f(&reads))
        })
        .map_err(to_core)?
    }
}

impl BookReads for FirmReads<'_> {
    fn client(&self, id: i64) -> Result<Option<Client>> {
        self.with(|tx| clients::read::by_id(tx, id))
    }
    fn clients(&self, include_archived: bool) -> Result<Vec<Client>> {
        self.with(|tx| clients::read::list(tx, include_archived))
    }
    fn connections(&self, client_id: Option<i64>) -> Result<Vec<Connection>> {
        self.with(|tx| connections::read::list(tx, client_id))
    }
    fn connections_of(&self, set: Clients<'_>) -> Result<Vec<Connection>> {
        self.with(|tx| connections::read::of_clients(tx, set.0))
    }
    fn household(&self, id: i64) -> Result<Option<Household>> {
        self.with(|tx| households::read::household(tx, id))
    }
    fn household_member_ids(&self, household_id: i64) -> Result<Vec<i64>> {
        self.with(|tx| households::read::member_ids(tx, household_id))
    }
    fn households(&self) -> Result<Vec<Household>> {
        self.with(households::read::households)
    }
    fn household_memberships(&self) -> Result<BTreeMap<i64, i64>> {
        self.with(households::read::memberships)
    }
    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.with(|tx| settings::read::value(tx, key))
    }
    fn newest_sent_links(&self) -> Result<Vec<LinkSession>> {
        self.with(link_sessions::read::newest_sent_per_connection)
    }
    fn positions_of_each_client(&self) -> Result<Vec<Position>> {
        self.with(positions::read::each_client)
    }
    fn account_copies(&self, set: Clients<'_>) -> Result<Vec<AccountCopy>> {
        self.with(|tx| set_copies::read::accounts(tx, set.0))
    }
    fn holding_copies(&self, set: Clients<'_>) -> Result<Vec<HoldingCopy>> {
        self.with(|tx| set_copies::read::holdings(tx, set.0))
    }
    fn liability_copies(&self, set: Clients<'_>) -> Result<Vec<LiabilityCopy>> {
        self.with(|tx| set_copies::read::liabilities(tx, set.0))
    }
    fn monthly_flows(
        &self,
        accounts: &[i64],
        since: &str,
    ) -> Result<BTreeMap<(String, String), i64>> {
        self.with(|tx| transactions::read::monthly_flows_of(tx, accounts, since))
    }
    fn transaction_count(&self, accounts: &[i64]) -> Result<i64> {
        self.with(|tx| transactions::read::count_of(tx, accounts))
    }
    fn transactions_page(
        &self,
        set: Clients<'_>,
        filter: &PageFilter<'_>,
        limit: u32,
        offset: u32,
    ) -> Result<(i64, Vec<TransactionLine>)> {
        self.with(|tx| transactions::read::page(tx, set.0, filter, limit, offset))
    }
}

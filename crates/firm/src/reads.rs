//! The core's read models on the firm database: [`FirmReads`] implements the core's
//! engine-neutral `BookReads` with this crate's `queries`, so the book page, client and
//! household pages, transactions pages and health queue are the core's own code
//! (`reads::book::book_summary_from`, …) reading PostgreSQL.
//!
//! One `FirmReads` is one read-only REPEATABLE READ transaction: every statement of a read
//! model sees the same snapshot, as a solo page's statements see one SQLite connection's.
//! Row-level security answers each statement as the signed-in member.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use advisor_desk_core::clients::Client;
use advisor_desk_core::error::{CoreError, Result};
use advisor_desk_core::households::Household;
use advisor_desk_core::links::LinkSession;
use advisor_desk_core::reads::book::Position;
use advisor_desk_core::reads::client::TransactionLine;
use advisor_desk_core::store::audit::AuditEntry;
use advisor_desk_core::store::book_reads::BookReads;
use advisor_desk_core::store::queries::set_copies::{AccountCopy, HoldingCopy, LiabilityCopy};
use advisor_desk_core::store::queries::transactions::PageFilter;
use advisor_desk_core::store::queries::Clients;
use advisor_desk_core::sync::Connection;
use postgres::{Client as PgClient, IsolationLevel, Transaction};
use r2d2::PooledConnection;

use crate::queries::prepared::Prepared;
use crate::queries::PreparedStatements;
use crate::queries::{
    audit, clients, connections, households, link_sessions, positions, set_copies, settings,
    transactions,
};
use crate::{FirmDbError, FirmStore};

pub struct FirmReads<'a> {
    tx: RefCell<Transaction<'a>>,
    /// The connection's prepared statements, lent to this read (see [`FirmStore::reading`]).
    statements: RefCell<PreparedStatements>,
    /// The firm's settings, read once on a page's first `setting` (one snapshot: they cannot
    /// change under it).
    settings: RefCell<Option<HashMap<String, String>>>,
}

impl<'a> FirmReads<'a> {
    /// Opens the read-only snapshot on `client`, each statement prepared for this read alone.
    pub fn begin(client: &'a mut PgClient) -> std::result::Result<Self, FirmDbError> {
        Self::begin_with(client, PreparedStatements::default())
    }

    /// Opens the read-only snapshot on `client`, reusing the statements already prepared on it
    /// (and keeping those it prepares: [`FirmReads::into_statements`]).
    pub fn begin_with(
        client: &'a mut PgClient,
        statements: PreparedStatements,
    ) -> std::result::Result<Self, FirmDbError> {
        // One statement: START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY.
        let tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(IsolationLevel::RepeatableRead)
            .start()?;
        Ok(FirmReads {
            tx: RefCell::new(tx),
            statements: RefCell::new(statements),
            settings: RefCell::new(None),
        })
    }

    /// Ends the read (rolled back: nothing was written) and hands back the connection's
    /// prepared statements.
    pub fn into_statements(self) -> PreparedStatements {
        let FirmReads { tx, statements, .. } = self;
        drop(tx);
        statements.into_inner()
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Prepared<'_, Transaction<'a>>) -> std::result::Result<T, FirmDbError>,
    ) -> Result<T> {
        let mut tx = self.tx.borrow_mut();
        let mut statements = self.statements.borrow_mut();
        f(&mut Prepared {
            client: &mut tx,
            statements: &mut statements,
        })
        .map_err(to_core)
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
    /// `store.reading(|r| book_summary_from(r, now))`. The statements it prepares stay with the
    /// connection (its r2d2 extensions), so the next page on it runs each in one round trip.
    pub fn reading<T>(&self, f: impl FnOnce(&FirmReads<'_>) -> Result<T>) -> Result<T> {
        let mut connection = self.pooled().map_err(to_core)?;
        let statements = PooledConnection::extensions_mut(&mut connection)
            .remove::<PreparedStatements>()
            .unwrap_or_default();
        let reads = FirmReads::begin_with(&mut connection, statements).map_err(to_core)?;
        let out = f(&reads);
        let statements = reads.into_statements();
        PooledConnection::extensions_mut(&mut connection).insert(statements);
        out
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
        self.with(|tx| households::read::households(tx))
    }
    fn household_memberships(&self) -> Result<BTreeMap<i64, i64>> {
        self.with(|tx| households::read::memberships(tx))
    }
    fn setting(&self, key: &str) -> Result<Option<String>> {
        let mut settings = self.settings.borrow_mut();
        if settings.is_none() {
            *settings = Some(self.with(|db| settings::read::all(db))?);
        }
        Ok(settings.as_ref().and_then(|all| all.get(key).cloned()))
    }
    fn newest_sent_links(&self) -> Result<Vec<LinkSession>> {
        self.with(|db| link_sessions::read::newest_sent_per_connection(db))
    }
    fn positions_of_each_client(&self) -> Result<Vec<Position>> {
        self.with(|db| positions::read::each_client(db))
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
    fn each_transaction(
        &self,
        set: Clients<'_>,
        each: &mut dyn FnMut(TransactionLine),
    ) -> Result<()> {
        // A portal belongs to the transaction itself, not to a prepared statement.
        transactions::read::each(&mut self.tx.borrow_mut(), set.0, each).map_err(to_core)
    }
    fn audit_entries(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.with(|db| audit::read::latest(db, limit))
    }
}

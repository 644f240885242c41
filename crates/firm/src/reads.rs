//! The core's read models on the firm database: [`FirmReads`] implements the core's
//! engine-neutral `BookReads` with this crate's `queries`, so the book page, client and
//! household pages, transactions pages and health queue are the core's own code
//! (`reads::book::book_summary_from`, …) reading PostgreSQL.
//!
//! One `FirmReads` is one snapshot: every statement of a read model sees the same one, as a
//! solo page's statements see one SQLite connection's. Its read-only REPEATABLE READ
//! transaction opens at the first per-part read; a page read in ONE statement (the client page,
//! [`BookReads::client_page`]) needs none, a statement being its own snapshot, and saves the
//! BEGIN and ROLLBACK round trips. Row-level security answers each statement as the signed-in
//! member.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};

use advisor_desk_core::clients::Client;
use advisor_desk_core::error::{CoreError, Result};
use advisor_desk_core::households::Household;
use advisor_desk_core::links::LinkSession;
use advisor_desk_core::reads::book::{CountedTotal, Position};
use advisor_desk_core::reads::client::TransactionLine;
use advisor_desk_core::reads::consent::consent_period_from;
use advisor_desk_core::reads::copies::SetCopies;
use advisor_desk_core::reads::outlook::Outlook;
use advisor_desk_core::reads::page_reads::{ClientPageReads, SetReads};
use advisor_desk_core::store::audit::AuditEntry;
use advisor_desk_core::store::book_reads::BookReads;
use advisor_desk_core::store::queries::set_copies::{AccountCopy, HoldingCopy, LiabilityCopy};
use advisor_desk_core::store::queries::transactions::PageFilter;
use advisor_desk_core::store::queries::Clients;
use advisor_desk_core::sync::{Connection, Freshness};
use advisor_desk_core::time::Timestamp;
use postgres::{Client as PgClient, IsolationLevel, Transaction};
use r2d2::PooledConnection;

use crate::queries::client_page::{self, ClientPageRows};
use crate::queries::prepared::Prepared;
use crate::queries::PreparedStatements;
use crate::queries::{
    audit, clients, connections, households, link_sessions, positions, set_copies, settings,
    transactions,
};
use crate::{FirmDbError, FirmStore};

/// Where a read's statements run.
enum Snapshot<'a> {
    /// Nothing read yet.
    NotYet(&'a mut PgClient),
    Open(Transaction<'a>),
    /// Opening the transaction failed (that read returned the error).
    Lost,
}

pub struct FirmReads<'a> {
    snapshot: RefCell<Snapshot<'a>>,
    /// The connection's prepared statements, lent to this read (see [`FirmStore::reading`]).
    statements: RefCell<PreparedStatements>,
    /// `statements.round_trips()` when the read began, and whether it sent a BEGIN.
    round_trips_before: u64,
    began: Cell<bool>,
    /// The firm's settings, read once on a page's first `setting` (one snapshot: they cannot
    /// change under it).
    settings: RefCell<Option<HashMap<String, String>>>,
}

impl<'a> FirmReads<'a> {
    /// A read on `client`, each statement prepared for this read alone.
    pub fn begin(client: &'a mut PgClient) -> std::result::Result<Self, FirmDbError> {
        Self::begin_with(client, PreparedStatements::default())
    }

    /// A read on `client`, reusing the statements already prepared on it (and keeping those it
    /// prepares: [`FirmReads::into_statements`]). Sends nothing yet.
    pub fn begin_with(
        client: &'a mut PgClient,
        statements: PreparedStatements,
    ) -> std::result::Result<Self, FirmDbError> {
        Ok(FirmReads {
            snapshot: RefCell::new(Snapshot::NotYet(client)),
            round_trips_before: statements.round_trips(),
            statements: RefCell::new(statements),
            began: Cell::new(false),
            settings: RefCell::new(None),
        })
    }

    /// Ends the read (rolled back if a transaction was opened: nothing was written) and hands
    /// back the connection's prepared statements.
    pub fn into_statements(self) -> PreparedStatements {
        let FirmReads {
            snapshot,
            statements,
            ..
        } = self;
        drop(snapshot);
        statements.into_inner()
    }

    /// Round trips this read made so far: BEGIN, each statement prepared or run (not the
    /// ROLLBACK that ends an opened transaction).
    pub fn round_trips(&self) -> u64 {
        let statements = self.statements.borrow().round_trips() - self.round_trips_before;
        statements + u64::from(self.began.get())
    }

    /// Runs per-part reads in the read's transaction, opened by the first of them.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Prepared<'_, Transaction<'a>>) -> std::result::Result<T, FirmDbError>,
    ) -> Result<T> {
        let mut snapshot = self.snapshot.borrow_mut();
        if let Snapshot::NotYet(_) = *snapshot {
            let Snapshot::NotYet(client) = std::mem::replace(&mut *snapshot, Snapshot::Lost) else {
                unreachable!("matched above");
            };
            self.began.set(true);
            // One statement: START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY.
            let tx = client
                .build_transaction()
                .read_only(true)
                .isolation_level(IsolationLevel::RepeatableRead)
                .start()
                .map_err(|e| to_core(e.into()))?;
            *snapshot = Snapshot::Open(tx);
        }
        let Snapshot::Open(tx) = &mut *snapshot else {
            return Err(lost());
        };
        let mut statements = self.statements.borrow_mut();
        f(&mut Prepared {
            client: tx,
            statements: &mut statements,
        })
        .map_err(to_core)
    }

    /// The client page's rows in one statement: in the read's transaction if one is open, else
    /// on its own (its own snapshot: no transaction needed) through the session's function,
    /// created on the connection's first page (its plan is made once).
    fn client_page_rows(&self, client_id: i64, since: &str) -> Result<ClientPageRows> {
        let mut snapshot = self.snapshot.borrow_mut();
        let mut statements = self.statements.borrow_mut();
        let read = match &mut *snapshot {
            Snapshot::NotYet(client) => {
                if !statements.client_page_function {
                    statements.count_round_trip();
                    client
                        .batch_execute(client_page::function_definition())
                        .map_err(|e| to_core(e.into()))?;
                    statements.client_page_function = true;
                }
                let read = client_page::read::client_page_by_function(
                    &mut Prepared {
                        client: &mut **client,
                        statements: &mut statements,
                    },
                    client_id,
                    since,
                );
                // Made afresh next time, should it have gone.
                statements.client_page_function = read.is_ok();
                read
            }
            Snapshot::Open(tx) => client_page::read::client_page(
                &mut Prepared {
                    client: tx,
                    statements: &mut statements,
                },
                client_id,
                since,
            ),
            Snapshot::Lost => return Err(lost()),
        };
        read.map_err(to_core)
    }
}

fn lost() -> CoreError {
    to_core(FirmDbError::Unreachable(
        "this read's connection failed earlier".into(),
    ))
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
    fn counted_totals(&self) -> Result<Vec<CountedTotal>> {
        self.with(|db| positions::read::counted_totals(db))
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
    /// The whole page in one statement; the core derives it as from the per-part reads.
    fn client_page(&self, client_id: i64, now: Timestamp, since: &str) -> Result<ClientPageReads> {
        let rows = self.client_page_rows(client_id, since)?;
        self.settings.borrow_mut().get_or_insert(rows.settings);
        let outlook = Outlook::of_rows(
            now,
            &rows.sent_links,
            Freshness::read_from(self)?,
            consent_period_from(self)?,
        );
        let copies = SetCopies::of(rows.accounts, rows.holdings, rows.liabilities);
        // The tallies of the accounts the core counts, summed as `monthly_flows` and
        // `transaction_count` sum them.
        let cash: HashSet<i64> = copies.transaction_accounts(true).into_iter().collect();
        let mut monthly = BTreeMap::new();
        for (account, currency, month, active) in rows.months {
            if cash.contains(&account) {
                *monthly.entry((currency, month)).or_default() += active;
            }
        }
        let transaction_count = copies
            .transaction_accounts(false)
            .iter()
            .filter_map(|account| rows.counts.get(account))
            .sum();
        Ok(ClientPageReads {
            outlook,
            client: rows.client,
            set: SetReads {
                connections: rows.connections,
                copies,
                monthly,
                transaction_count,
            },
        })
    }

    fn each_transaction(
        &self,
        set: Clients<'_>,
        each: &mut dyn FnMut(TransactionLine),
    ) -> Result<()> {
        // A portal belongs to the transaction itself, not to a prepared statement.
        self.with(|p| transactions::read::each(p.client, set.0, each))
    }
    fn audit_entries(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.with(|db| audit::read::latest(db, limit))
    }
}

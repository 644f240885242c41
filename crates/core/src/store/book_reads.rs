//! The engine-neutral read seam: every statement the read models (book page, client and
//! household pages, transactions pages, health queue, connection outlook, CSV exports, the
//! report's pages, the audit log) and the helpers they call read through. The solo book implements it on its SQLite connection by delegating to
//! `store::queries`; the firm database implements the same methods over PostgreSQL
//! (crates/firm's `reads`), returning the same domain types, so the read models above are one
//! code for both engines.
//!
//! One value of the implementing type is one reader for one read model: on SQLite the
//! connection `Store::read` lends, on PostgreSQL a read-only transaction (one snapshot).

use std::collections::BTreeMap;

use super::queries::set_copies::{AccountCopy, HoldingCopy, LiabilityCopy};
use super::queries::transactions::PageFilter;
use super::queries::{self, Clients, Db};
use crate::clients::Client;
use crate::error::Result;
use crate::households::Household;
use crate::links::sessions::LinkSession;
use crate::reads::book::{CountedTotal, Position};
use crate::reads::client::TransactionLine;
use crate::reads::page_reads::ClientPageReads;
use crate::store::audit::AuditEntry;
use crate::sync::Connection;
use crate::time::Timestamp;

pub trait BookReads {
    /// `clients::read::by_id`.
    fn client(&self, id: i64) -> Result<Option<Client>>;
    /// `clients::read::list`: in id order (the domain sorts by name).
    fn clients(&self, include_archived: bool) -> Result<Vec<Client>>;
    /// `connections::read::list`: every connection, or one client's.
    fn connections(&self, client_id: Option<i64>) -> Result<Vec<Connection>>;
    /// `connections::read::of_clients`.
    fn connections_of(&self, set: Clients<'_>) -> Result<Vec<Connection>>;
    /// `households::read::household`.
    fn household(&self, id: i64) -> Result<Option<Household>>;
    /// `households::read::member_ids`.
    fn household_member_ids(&self, household_id: i64) -> Result<Vec<i64>>;
    /// `household_pages::read::rows`: a household's counted rows as the writes kept them
    /// (JSON). An engine that does not keep them answers `None`, and the page counts them
    /// from its members' rows.
    fn household_page_rows(&self, _household_id: i64) -> Result<Option<String>> {
        Ok(None)
    }
    /// Every household, in id order.
    fn households(&self) -> Result<Vec<Household>>;
    /// Every membership: client id → household id.
    fn household_memberships(&self) -> Result<BTreeMap<i64, i64>>;
    /// `settings::read::value`: the book's rules (freshness, SCA period).
    fn setting(&self, key: &str) -> Result<Option<String>>;
    /// `link_sessions::read::newest_sent_per_connection`.
    fn newest_sent_links(&self) -> Result<Vec<LinkSession>>;
    /// `positions::read::each_client`: every client's de-duplicated positions.
    fn positions_of_each_client(&self) -> Result<Vec<Position>>;
    /// `counted_totals::read::all`: the same positions summed per client, connection and
    /// currency, as the writes kept them (what the book page and health queue read).
    fn counted_totals(&self) -> Result<Vec<CountedTotal>>;
    /// `set_copies::read::accounts`.
    fn account_copies(&self, set: Clients<'_>) -> Result<Vec<AccountCopy>>;
    /// `set_copies::read::holdings`.
    fn holding_copies(&self, set: Clients<'_>) -> Result<Vec<HoldingCopy>>;
    /// `set_copies::read::liabilities`.
    fn liability_copies(&self, set: Clients<'_>) -> Result<Vec<LiabilityCopy>>;
    /// `transactions::read::monthly_flows_of`: (currency, `YYYY-MM`) → active sum.
    fn monthly_flows(
        &self,
        accounts: &[i64],
        since: &str,
    ) -> Result<BTreeMap<(String, String), i64>>;
    /// `transactions::read::count_of`.
    fn transaction_count(&self, accounts: &[i64]) -> Result<i64>;
    /// `transactions::read::page`: (rows matching in all, the window).
    fn transactions_page(
        &self,
        set: Clients<'_>,
        filter: &PageFilter<'_>,
        limit: u32,
        offset: u32,
    ) -> Result<(i64, Vec<TransactionLine>)>;
    /// Everything a client's page reads (`since`: the first day of its history), in one
    /// snapshot. By default each part with its own read above; an engine where each read is a
    /// round trip may read it all at once.
    fn client_page(&self, client_id: i64, now: Timestamp, since: &str) -> Result<ClientPageReads>
    where
        Self: Sized,
    {
        ClientPageReads::by_parts(self, client_id, now, since)
    }
    /// `transactions::read::each`: every line of the set's de-duplicated accounts, newest
    /// first, handed over one at a time (exports: a 50k-line client is never a 50k-row `Vec`).
    fn each_transaction(
        &self,
        set: Clients<'_>,
        each: &mut dyn FnMut(TransactionLine),
    ) -> Result<()>;
    /// `audit::read::latest`: the newest `limit` audit entries, newest first.
    fn audit_entries(&self, limit: u32) -> Result<Vec<AuditEntry>>;
}

impl BookReads for Db {
    fn client(&self, id: i64) -> Result<Option<Client>> {
        queries::clients::read::by_id(self, id)
    }
    fn clients(&self, include_archived: bool) -> Result<Vec<Client>> {
        queries::clients::read::list(self, include_archived)
    }
    fn connections(&self, client_id: Option<i64>) -> Result<Vec<Connection>> {
        queries::connections::read::list(self, client_id)
    }
    fn connections_of(&self, set: Clients<'_>) -> Result<Vec<Connection>> {
        queries::connections::read::of_clients(self, set)
    }
    fn household(&self, id: i64) -> Result<Option<Household>> {
        queries::households::read::household(self, id)
    }
    fn household_member_ids(&self, household_id: i64) -> Result<Vec<i64>> {
        queries::households::read::member_ids(self, household_id)
    }
    fn household_page_rows(&self, household_id: i64) -> Result<Option<String>> {
        queries::household_pages::read::rows(self, household_id)
    }
    fn households(&self) -> Result<Vec<Household>> {
        queries::households::read::households(self)
    }
    fn household_memberships(&self) -> Result<BTreeMap<i64, i64>> {
        queries::households::read::memberships(self)
    }
    fn setting(&self, key: &str) -> Result<Option<String>> {
        queries::settings::read::value(self, key)
    }
    fn newest_sent_links(&self) -> Result<Vec<LinkSession>> {
        queries::link_sessions::read::newest_sent_per_connection(self)
    }
    fn positions_of_each_client(&self) -> Result<Vec<Position>> {
        queries::positions::read::each_client(self)
    }
    fn counted_totals(&self) -> Result<Vec<CountedTotal>> {
        queries::counted_totals::read::all(self)
    }
    fn account_copies(&self, set: Clients<'_>) -> Result<Vec<AccountCopy>> {
        queries::set_copies::read::accounts(self, set)
    }
    fn holding_copies(&self, set: Clients<'_>) -> Result<Vec<HoldingCopy>> {
        queries::set_copies::read::holdings(self, set)
    }
    fn liability_copies(&self, set: Clients<'_>) -> Result<Vec<LiabilityCopy>> {
        queries::set_copies::read::liabilities(self, set)
    }
    fn monthly_flows(
        &self,
        accounts: &[i64],
        since: &str,
    ) -> Result<BTreeMap<(String, String), i64>> {
        queries::transactions::read::monthly_flows_of(self, accounts, since)
    }
    fn transaction_count(&self, accounts: &[i64]) -> Result<i64> {
        queries::transactions::read::count_of(self, accounts)
    }
    fn transactions_page(
        &self,
        set: Clients<'_>,
        filter: &PageFilter<'_>,
        limit: u32,
        offset: u32,
    ) -> Result<(i64, Vec<TransactionLine>)> {
        queries::transactions::read::page(self, set, filter, limit, offset)
    }
    fn each_transaction(
        &self,
        set: Clients<'_>,
        each: &mut dyn FnMut(TransactionLine),
    ) -> Result<()> {
        queries::transactions::read::each(self, set, each)
    }
    fn audit_entries(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        queries::audit::read::latest(self, limit)
    }
}

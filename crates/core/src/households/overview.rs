//! The household page: every member's connections read as one — net worth per currency and
//! its history, allocation, accounts with their owners and the members who reach them,
//! holdings with weights, connections and health — with each member's own figures beside
//! the total.
//!
//! The total counts a joint account once even when two members reach it through their own
//! logins. A member's own figures are what that member's client page shows, so a joint
//! account appears under each member who reaches it: the members' figures do not add up to
//! the total, and are not meant to.

use serde::Serialize;

use super::counted_rows::HouseholdRows;
use super::Household;
use crate::clients::Client;
use crate::error::{CoreError, Result};
use crate::reads::book::{CurrencyTotal, Health};
use crate::reads::client::{
    history_since, set_transactions_page, worst_health, AccountView, HistoryPoint, HoldingView,
    Slice, TransactionPage, TransactionQuery, HISTORY_METHOD,
};
use crate::store::book_reads::BookReads;
use crate::store::queries::Clients;
use crate::store::Store;
use crate::sync::{Connection, ConnectionView};
use crate::time::Timestamp;

/// One member's own figures, as on their client page.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct MemberSummary {
    pub client_id: i64,
    pub name: String,
    pub net_worth: Vec<CurrencyTotal>,
    pub connection_count: u32,
    pub health: Health,
    pub stale: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct HouseholdAccount {
    #[serde(flatten)]
    pub account: AccountView,
    /// Members whose connections reach this account (two or more for a joint account).
    pub member_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct HouseholdOverview {
    pub household: Household,
    pub generated_at: Timestamp,
    pub members: Vec<MemberSummary>,
    pub health: Health,
    /// The household's total per currency, each joint account counted once.
    pub net_worth: Vec<CurrencyTotal>,
    pub history_method: &'static str,
    pub history: Vec<HistoryPoint>,
    pub by_class: Vec<Slice>,
    pub by_currency: Vec<Slice>,
    pub by_institution: Vec<Slice>,
    pub accounts: Vec<HouseholdAccount>,
    pub holdings: Vec<HoldingView>,
    pub connections: Vec<ConnectionView>,
    /// The oldest data among the connections (None if one never synced).
    pub data_as_of: Option<Timestamp>,
    pub stale: bool,
    pub transaction_count: i64,
}

pub fn household_overview(
    store: &Store,
    household_id: i64,
    now: Timestamp,
) -> Result<HouseholdOverview> {
    store.read(|db| household_overview_from(db, household_id, now))
}

/// [`household_overview`] from either engine's reader.
pub fn household_overview_from(
    reads: &impl BookReads,
    household_id: i64,
    now: Timestamp,
) -> Result<HouseholdOverview> {
    let outlook = crate::reads::Outlook::read_from(reads, now)?;
    let fresh = outlook.fresh;
    let household = reads
        .household(household_id)?
        .ok_or_else(|| CoreError::not_found("household", household_id))?;
    let member_ids = reads.household_member_ids(household_id)?;
    let clients = member_ids
        .iter()
        .map(|id| {
            reads
                .client(*id)?
                .ok_or_else(|| CoreError::not_found("client", *id))
        })
        .collect::<Result<Vec<Client>>>()?;
    let connections = reads.connections_of(Clients(&member_ids))?;
    // The page's counted rows as the writes kept them (one row), else counted now from the
    // members' rows: the same figures either way (`counted_rows`).
    let today = now.date_naive();
    let rows = match HouseholdRows::stored(reads, household_id, &member_ids, today)? {
        Some(rows) => rows,
        None => HouseholdRows::count(reads, &member_ids, &connections, history_since(today))?,
    };
    // The rows' members are `member_ids`, in the same order as `clients`.
    let members: Vec<MemberSummary> = clients
        .into_iter()
        .zip(rows.member_totals)
        .map(|(client, (_, net_worth))| {
            let own: Vec<&Connection> = connections
                .iter()
                .filter(|c| c.client_id == client.id)
                .collect();
            MemberSummary {
                client_id: client.id,
                net_worth,
                connection_count: own.len() as u32,
                health: worst_health(own.iter().copied()),
                stale: own.iter().any(|c| c.is_stale(now, fresh)),
                name: client.name,
            }
        })
        .collect();
    let p = rows.set.page(connections, &outlook);
    Ok(HouseholdOverview {
        household,
        generated_at: now,
        members,
        health: p.health,
        net_worth: p.net_worth,
        history_method: HISTORY_METHOD,
        history: p.history,
        by_class: p.by_class,
        by_currency: p.by_currency,
        by_institution: p.by_institution,
        accounts: p
            .accounts
            .into_iter()
            .map(|row| HouseholdAccount {
                account: row.account,
                member_ids: row.reached_by,
            })
            .collect(),
        holdings: p.holdings,
        connections: p.connections,
        data_as_of: p.data_as_of,
        stale: p.stale,
        transaction_count: p.transaction_count,
    })
}

/// A window of the household's transactions (every member's, a joint account's once),
/// newest first, with the same filters as a client's.
pub fn household_transactions(
    store: &Store,
    household_id: i64,
    q: &TransactionQuery,
) -> Result<TransactionPage> {
    store.read(|db| household_transactions_from(db, household_id, q))
}

/// [`household_transactions`] from either engine's reader.
pub fn household_transactions_from(
    reads: &impl BookReads,
    household_id: i64,
    q: &TransactionQuery,
) -> Result<TransactionPage> {
    reads
        .household(household_id)?
        .ok_or_else(|| CoreError::not_found("household", household_id))?;
    let member_ids = reads.household_member_ids(household_id)?;
    set_transactions_page(reads, &member_ids, q)
}

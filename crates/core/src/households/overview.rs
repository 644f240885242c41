//! The household page: every member's connections read as one — net worth per currency and
//! its history, allocation, accounts with their owners and the members who reach them,
//! holdings with weights, connections and health — with each member's own figures beside
//! the total.
//!
//! The total counts a joint account once even when two members reach it through their own
//! logins. A member's own figures are what that member's client page shows, so a joint
//! account appears under each member who reaches it: the members' figures do not add up to
//! the total, and are not meant to.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{queries, Household};
use crate::error::Result;
use crate::reads::book::{connection_health, data_as_of, positions, totals, CurrencyTotal, Health};
use crate::reads::client::{
    history, institution_label, slices, AccountView, HistoryPoint, HoldingView, Slice,
    HISTORY_METHOD,
};
use crate::store::Store;
use crate::sync::{Connection, ConnectionView};
use crate::time::{self, Timestamp};

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
    let fresh = crate::sync::Freshness::of(store)?;
    let household = crate::households::get(store, household_id)?;
    let member_ids = store.read(|c| queries::member_ids(c, household_id))?;
    let mut connections: Vec<Connection> = Vec::new();
    let mut members = Vec::with_capacity(member_ids.len());
    for id in &member_ids {
        let client = crate::clients::get(store, *id)?;
        let own = crate::sync::connections::list(store, Some(*id))?;
        let own_positions = store.read(|db| positions(db, Some(*id)))?;
        members.push(MemberSummary {
            client_id: client.id,
            name: client.name,
            net_worth: totals(&own_positions),
            connection_count: own.len() as u32,
            health: worst_health(&own),
            stale: own.iter().any(|c| c.is_stale(now, fresh)),
        });
        connections.extend(own);
    }

    let by_id: BTreeMap<i64, &Connection> = connections.iter().map(|c| (c.id, c)).collect();
    let label = |id: i64| {
        by_id
            .get(&id)
            .map(|c| institution_label(c))
            .unwrap_or_default()
    };
    let stale = |id: i64| by_id.get(&id).is_none_or(|c| c.is_stale(now, fresh));
    let as_of = |own: Option<String>, id: i64| {
        own.or_else(|| by_id.get(&id).and_then(|c| data_as_of(c)).map(time::to_db))
    };

    let (pos, accounts, holdings, monthly, count) = store.read(|db| {
        Ok((
            queries::positions(db, household_id)?,
            queries::accounts(db, household_id)?,
            queries::holdings(db, household_id)?,
            queries::monthly_flows(db, household_id)?,
            queries::transaction_count(db, household_id)?,
        ))
    })?;
    let net_worth = totals(&pos);
    let history = history(&net_worth, &monthly, now.date_naive());
    let accounts = accounts
        .into_iter()
        .map(|row| {
            let mut a = row.account;
            a.institution = label(a.connection_id);
            a.as_of = as_of(a.as_of.take(), a.connection_id);
            a.stale = stale(a.connection_id);
            HouseholdAccount {
                account: a,
                member_ids: row.member_ids,
            }
        })
        .collect();
    let holdings = with_weights(holdings)
        .into_iter()
        .map(|(conn, mut h)| {
            h.stale = stale(conn);
            h.as_of = as_of(h.as_of.take(), conn);
            h
        })
        .collect();

    let never = connections.iter().any(|c| data_as_of(c).is_none());
    Ok(HouseholdOverview {
        household,
        generated_at: now,
        members,
        health: worst_health(&connections),
        by_class: slices(&pos, |p| p.class.clone()),
        by_currency: slices(&pos, |p| p.currency.clone()),
        by_institution: slices(&pos, |p| label(p.connection_id)),
        net_worth,
        history_method: HISTORY_METHOD,
        history,
        accounts,
        holdings,
        data_as_of: if never {
            None
        } else {
            connections.iter().filter_map(data_as_of).min()
        },
        stale: connections.iter().any(|c| c.is_stale(now, fresh)),
        connections: connections
            .into_iter()
            .map(|c| c.view(now, fresh))
            .collect(),
        transaction_count: count,
    })
}

fn worst_health(connections: &[Connection]) -> Health {
    connections
        .iter()
        .map(connection_health)
        .max()
        .unwrap_or(Health::None)
}

/// Each holding's share of the household's holdings in its currency, in basis points.
fn with_weights(holdings: Vec<(i64, HoldingView)>) -> Vec<(i64, HoldingView)> {
    let mut per_currency: BTreeMap<String, i64> = BTreeMap::new();
    for (_, h) in &holdings {
        *per_currency.entry(h.currency.clone()).or_default() += h.value_minor;
    }
    holdings
        .into_iter()
        .map(|(conn, mut h)| {
            let total = per_currency.get(&h.currency).copied().unwrap_or(0);
            if total > 0 {
                h.weight_bp = ((i128::from(h.value_minor) * 10_000 + i128::from(total) / 2)
                    / i128::from(total)) as i64;
            }
            (conn, h)
        })
        .collect()
}

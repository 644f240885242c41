//! The whole book at a glance: per client, value per currency (never summed across
//! currencies), connection count, a health verdict derived from connection statuses and who
//! must act, and the age of the oldest data.
//!
//! Values come from [`positions`]: one row per account / holding / liability *after*
//! de-duplication within a client. A joint account reached through two of a client's
//! connections has the same `dedupe_key` in both; it is counted once (the copy with the
//! freshest data: its `as_of`, else its connection's). Two different clients who share an account each count it once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::copies::{Counted, SetCopies};
use crate::clients;
use crate::clients::ClientKind;
use crate::domain::holders::HolderCheckState;
use crate::domain::{Actor, ConnectionStatus};
use crate::error::Result;
use crate::store::book_reads::BookReads;
use crate::store::queries::{self, Db};
use crate::store::Store;
use crate::sync::Connection;
use crate::time::Timestamp;

/// What the advisor needs to know about one connection, or a whole client (the worst of its
/// connections). Ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// No connection yet.
    None,
    Good,
    /// Nobody can act: first extraction, a delayed code, a transient failure being retried.
    Waiting,
    /// The client must act (SCA, new password, MFA).
    NeedsClient,
    /// The advisor must act (keys, configuration, a removed connection), or a transient
    /// failure that keeps repeating.
    Failing,
}

/// Consecutive transient failures after which "retry later" counts as failing.
pub const FAILING_AFTER_FAILURES: u32 = 3;

pub fn connection_health(c: &Connection) -> Health {
    // Data held back until the advisor confirms the holder: the advisor must act.
    if c.holder_check == HolderCheckState::Pending {
        return Health::Failing;
    }
    match c.status {
        ConnectionStatus::Ready => Health::Good,
        ConnectionStatus::RetryLater if c.consecutive_failures >= FAILING_AFTER_FAILURES => {
            Health::Failing
        }
        _ => match c.action_by.max_with(c.status.action_by()) {
            Actor::Client => Health::NeedsClient,
            Actor::Advisor => Health::Failing,
            Actor::Nobody => Health::Waiting,
        },
    }
}

trait ActorExt {
    fn max_with(self, other: Actor) -> Actor;
}

impl ActorExt for Actor {
    /// The stored `action_by` wins unless it says nobody while the status says someone.
    fn max_with(self, other: Actor) -> Actor {
        if self == Actor::Nobody {
            other
        } else {
            self
        }
    }
}

/// When the connection's data was true: the provider's own date, else the last success.
pub fn data_as_of(c: &Connection) -> Option<Timestamp> {
    c.data_as_of.or(c.last_success_at)
}

/// One de-duplicated position of a client. `value_minor` is signed: debt is negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub client_id: i64,
    pub connection_id: i64,
    /// `account`, `holding` or `liability`.
    pub source: &'static str,
    /// Asset class (`cash`, `equity`, `fund`, …) or `debt`.
    pub class: String,
    pub currency: String,
    pub value_minor: i64,
}

/// De-duplicated positions of every client on its own. Accounts whose holdings are known
/// are counted through their holdings, never both.
pub fn positions(db: &Db) -> Result<Vec<Position>> {
    queries::positions::read::each_client(db)
}

/// De-duplicated positions of a set of clients read as one (one copy of each account across
/// the set), as a client's or a household's page counts them.
pub fn set_positions(reads: &impl BookReads, clients: &[i64]) -> Result<Vec<Position>> {
    Ok(SetCopies::read(reads, queries::Clients(clients))?.positions(Counted::Together))
}

/// One currency's totals. Amounts in different currencies are different rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct CurrencyTotal {
    pub currency: String,
    pub assets_minor: i64,
    pub liabilities_minor: i64,
    pub net_minor: i64,
}

/// Sums positions per currency: debt (negative values, class `debt`) as liabilities.
pub fn totals<'a>(positions: impl IntoIterator<Item = &'a Position>) -> Vec<CurrencyTotal> {
    let mut by: BTreeMap<&str, CurrencyTotal> = BTreeMap::new();
    for p in positions {
        let t = by.entry(&p.currency).or_insert_with(|| CurrencyTotal {
            currency: p.currency.clone(),
            ..Default::default()
        });
        if p.class == "debt" || p.value_minor < 0 {
            t.liabilities_minor -= p.value_minor;
        } else {
            t.assets_minor += p.value_minor;
        }
        t.net_minor += p.value_minor;
    }
    by.into_values().collect()
}

/// One connection's part of its client's totals in one currency: the counted copies it supplied
/// (after the client's de-duplication), summed as [`totals`] sums positions. Kept as the writes
/// make them (`counted_totals`), so the book page and the health queue need not de-duplicate
/// the whole book.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CountedTotal {
    pub client_id: i64,
    pub connection_id: i64,
    pub currency: String,
    pub assets_minor: i64,
    pub liabilities_minor: i64,
}

/// Adds up counted parts per currency, as [`totals`] adds up the positions they sum.
pub fn counted_sums<'a>(parts: impl IntoIterator<Item = &'a CountedTotal>) -> Vec<CurrencyTotal> {
    let mut by: BTreeMap<&str, CurrencyTotal> = BTreeMap::new();
    for p in parts {
        let t = by.entry(&p.currency).or_insert_with(|| CurrencyTotal {
            currency: p.currency.clone(),
            ..Default::default()
        });
        t.assets_minor += p.assets_minor;
        t.liabilities_minor += p.liabilities_minor;
        t.net_minor += p.assets_minor - p.liabilities_minor;
    }
    by.into_values().collect()
}

/// What `counted_totals` must hold, from the live de-duplicated positions
/// ([`BookReads::positions_of_each_client`]): the oracle the kept rows are tested against.
pub fn counted_of(positions: &[Position]) -> Vec<CountedTotal> {
    let mut by: BTreeMap<(i64, i64), Vec<&Position>> = BTreeMap::new();
    for p in positions {
        by.entry((p.client_id, p.connection_id))
            .or_default()
            .push(p);
    }
    by.into_iter()
        .flat_map(|((client_id, connection_id), ps)| {
            totals(ps).into_iter().map(move |t| CountedTotal {
                client_id,
                connection_id,
                currency: t.currency,
                assets_minor: t.assets_minor,
                liabilities_minor: t.liabilities_minor,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct BookRow {
    pub client_id: i64,
    pub name: String,
    pub kind: ClientKind,
    pub totals: Vec<CurrencyTotal>,
    pub connection_count: u32,
    pub health: Health,
    /// How many connections are in each state other than good.
    pub needs_client: u32,
    pub waiting: u32,
    pub failing: u32,
    /// The oldest "data as of" among the client's connections (None when one never synced).
    pub data_as_of: Option<Timestamp>,
    /// Whole days since `data_as_of`.
    pub data_age_days: Option<i64>,
    /// At least one connection's data is stale.
    pub stale: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct BookSummary {
    pub generated_at: Timestamp,
    pub clients: Vec<BookRow>,
}

/// Every active client, in name order.
pub fn book_summary(store: &Store, now: Timestamp) -> Result<BookSummary> {
    store.read(|db| book_summary_from(db, now))
}

/// [`book_summary`] from either engine's reader.
pub fn book_summary_from(reads: &impl BookReads, now: Timestamp) -> Result<BookSummary> {
    let fresh = crate::sync::Freshness::read_from(reads)?;
    let clients = clients::list_from(reads, false)?;
    let connections = reads.connections(None)?;
    let counted = reads.counted_totals()?;
    let mut by_client: BTreeMap<i64, Vec<&CountedTotal>> = BTreeMap::new();
    for p in &counted {
        by_client.entry(p.client_id).or_default().push(p);
    }
    let mut conns: BTreeMap<i64, Vec<&Connection>> = BTreeMap::new();
    for c in &connections {
        conns.entry(c.client_id).or_default().push(c);
    }
    let rows = clients
        .into_iter()
        .map(|client| {
            let cs = conns.remove(&client.id).unwrap_or_default();
            let healths: Vec<Health> = cs.iter().map(|c| connection_health(c)).collect();
            let count = |h: Health| healths.iter().filter(|x| **x == h).count() as u32;
            let never = cs.iter().any(|c| data_as_of(c).is_none());
            let oldest = if never {
                None
            } else {
                cs.iter().filter_map(|c| data_as_of(c)).min()
            };
            BookRow {
                client_id: client.id,
                name: client.name,
                kind: client.kind,
                totals: counted_sums(by_client.remove(&client.id).unwrap_or_default()),
                connection_count: cs.len() as u32,
                health: healths.iter().copied().max().unwrap_or(Health::None),
                needs_client: count(Health::NeedsClient),
                waiting: count(Health::Waiting),
                failing: count(Health::Failing),
                data_as_of: oldest,
                data_age_days: oldest.map(|t| (now - t).num_days().max(0)),
                stale: cs.iter().any(|c| c.is_stale(now, fresh)),
            }
        })
        .collect();
    Ok(BookSummary {
        generated_at: now,
        clients: rows,
    })
}

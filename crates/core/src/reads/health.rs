//! The health queue: every connection in the book that needs someone, grouped by who must
//! act, ranked by value at risk and days stale. When several clients at one institution fail
//! at about the same time, that is shown once as a probable institution outage instead of N
//! separate repairs.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::book::{connection_health, data_as_of, CurrencyTotal, Health};
use super::client::institution_label;
use super::consent::ConsentPeriod;
use super::outlook::Outlook;
use crate::clients;
use crate::domain::ConnectionStatus;
use crate::error::Result;
use crate::store::book_reads::BookReads;
use crate::store::Store;
use crate::sync::{Connection, ConnectionView, Freshness};
use crate::time::Timestamp;

/// This many distinct clients failing at one institution within [`OUTAGE_WINDOW`] make a
/// probable outage.
pub const OUTAGE_MIN_CLIENTS: usize = 3;
pub const OUTAGE_WINDOW: chrono::Duration = chrono::Duration::hours(6);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS), ts(rename = "QueueGroup"))]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Client,
    Wait,
    Advisor,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct QueueItem {
    pub connection: ConnectionView,
    pub client_name: String,
    pub institution: String,
    pub health: Health,
    pub group: Group,
    /// The connection's own positions per currency (not de-duplicated against the client's
    /// other connections: this is what its failure leaves unrefreshed).
    pub value_at_risk: Vec<CurrencyTotal>,
    /// Whole days since its data was true; None when it never synced.
    pub days_stale: Option<i64>,
    /// The ranking key (higher first): see [`score`].
    pub score: f64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct Outage {
    pub institution: String,
    pub institution_id: Option<String>,
    pub client_count: usize,
    pub connection_count: usize,
    pub since: Option<Timestamp>,
    pub value_at_risk: Vec<CurrencyTotal>,
    pub items: Vec<QueueItem>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct HealthQueue {
    pub generated_at: Timestamp,
    pub outages: Vec<Outage>,
    pub client: Vec<QueueItem>,
    pub wait: Vec<QueueItem>,
    pub advisor: Vec<QueueItem>,
    /// Healthy Flanks connections whose next SCA is due within
    /// [`DUE_SOON_DAYS`](super::consent::DUE_SOON_DAYS) (or overdue): "Renew now" with the
    /// client present keeps them from going down. Soonest first.
    pub due_soon: Vec<QueueItem>,
    /// The SCA period the forecast assumed (the `consent.sca_period_days` setting).
    pub consent_period: ConsentPeriod,
}

/// Ranking: the largest single-currency value at risk in major units, weighted by staleness
/// `(1 + days_stale)` (a never-synced connection counts as 30 days). Amounts of different
/// currencies are compared, never added; the ranking is an order, not a figure shown.
pub fn score(value_at_risk: &[CurrencyTotal], days_stale: Option<i64>) -> f64 {
    let largest = value_at_risk
        .iter()
        .map(|t| t.assets_minor.max(0) as f64 / 100.0)
        .fold(0.0, f64::max);
    let days = days_stale.unwrap_or(30).max(0) as f64;
    (1.0 + largest) * (1.0 + days)
}

fn needs_someone(c: &Connection, now: Timestamp, f: Freshness) -> bool {
    connection_health(c) != Health::Good || c.is_stale(now, f)
}

/// As the book shows it, except that frozen Flinks data needs the client: only a refresh with
/// the client present moves it.
fn queue_health(c: &Connection, now: Timestamp, f: Freshness) -> Health {
    if c.is_frozen(now, f) {
        Health::NeedsClient
    } else {
        connection_health(c)
    }
}

fn group_of(health: Health) -> Group {
    match health {
        Health::NeedsClient => Group::Client,
        // The advisor must fix it, or a transient failure keeps repeating: someone should
        // look rather than wait.
        Health::Failing => Group::Advisor,
        _ => Group::Wait,
    }
}

/// A failure (not a first extraction still running) that an institution outage could cause.
fn is_failure(c: &Connection) -> bool {
    !matches!(
        c.status,
        ConnectionStatus::Ready | ConnectionStatus::Pending | ConnectionStatus::Delayed
    ) && c.status != ConnectionStatus::NeedsAdvisor
}

pub fn health_queue(store: &Store, now: Timestamp) -> Result<HealthQueue> {
    store.read(|db| health_queue_from(db, now))
}

/// [`health_queue`] from either engine's reader.
pub fn health_queue_from(reads: &impl BookReads, now: Timestamp) -> Result<HealthQueue> {
    let names: BTreeMap<i64, String> = clients::list_from(reads, false)?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let connections = reads.connections(None)?;
    let outlook = Outlook::read_from(reads, now)?;
    let fresh = outlook.fresh;
    let counted = reads.counted_totals()?;
    let mut at_risk: BTreeMap<i64, Vec<&super::book::CountedTotal>> = BTreeMap::new();
    for p in &counted {
        at_risk.entry(p.connection_id).or_default().push(p);
    }

    let period = outlook.period;
    let item = |c: Connection, value: Vec<CurrencyTotal>| {
        let days = data_as_of(&c).map(|t| (now - t).num_days().max(0));
        let health = queue_health(&c, now, fresh);
        QueueItem {
            client_name: names.get(&c.client_id).cloned().unwrap_or_default(),
            institution: institution_label(&c),
            health,
            group: group_of(health),
            score: score(&value, days),
            value_at_risk: value,
            days_stale: days,
            connection: outlook.view(c),
        }
    };
    let (needing, healthy): (Vec<Connection>, Vec<Connection>) = connections
        .into_iter()
        .filter(|c| names.contains_key(&c.client_id))
        .partition(|c| needs_someone(c, now, fresh));
    let mut due_soon: Vec<QueueItem> = healthy
        .into_iter()
        .map(|c| {
            let value = super::book::counted_sums(at_risk.remove(&c.id).unwrap_or_default());
            item(c, value)
        })
        .filter(|it| it.connection.consent.as_ref().is_some_and(|f| f.due_soon))
        .collect();
    due_soon.sort_by_key(|it| {
        (
            it.connection.consent.as_ref().and_then(|f| f.next_sca_at),
            it.connection.connection.id,
        )
    });
    let mut items: Vec<QueueItem> = needing
        .into_iter()
        .map(|c| {
            let value = super::book::counted_sums(at_risk.remove(&c.id).unwrap_or_default());
            item(c, value)
        })
        .collect();
    items.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.connection.connection.id.cmp(&b.connection.connection.id))
    });

    // Probable outages: failures at one institution, recent and close together, across
    // at least OUTAGE_MIN_CLIENTS clients.
    let mut by_inst: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        let c = &it.connection.connection;
        let recent = c
            .last_attempt_at
            .is_some_and(|at| now - at <= OUTAGE_WINDOW);
        if is_failure(c) && recent {
            let key = c
                .institution_id
                .clone()
                .unwrap_or_else(|| it.institution.clone());
            by_inst.entry(key).or_default().push(i);
        }
    }
    let mut in_outage = BTreeSet::new();
    let mut outage_members = Vec::new();
    for idx in by_inst.into_values() {
        let clients: BTreeSet<i64> = idx
            .iter()
            .map(|&i| items[i].connection.connection.client_id)
            .collect();
        if clients.len() >= OUTAGE_MIN_CLIENTS {
            in_outage.extend(idx.iter().copied());
            outage_members.push((clients.len(), idx));
        }
    }
    let mut outages: Vec<Outage> = outage_members
        .into_iter()
        .map(|(client_count, idx)| {
            let members: Vec<QueueItem> = idx.iter().map(|&i| items[i].clone()).collect();
            let mut value: BTreeMap<String, CurrencyTotal> = BTreeMap::new();
            for m in &members {
                for t in &m.value_at_risk {
                    let e = value
                        .entry(t.currency.clone())
                        .or_insert_with(|| CurrencyTotal {
                            currency: t.currency.clone(),
                            ..Default::default()
                        });
                    e.assets_minor += t.assets_minor;
                    e.liabilities_minor += t.liabilities_minor;
                    e.net_minor += t.net_minor;
                }
            }
            let first = &members[0].connection.connection;
            Outage {
                institution: members[0].institution.clone(),
                institution_id: first.institution_id.clone(),
                client_count,
                connection_count: members.len(),
                since: members
                    .iter()
                    .filter_map(|m| m.connection.connection.last_attempt_at)
                    .min(),
                value_at_risk: value.into_values().collect(),
                items: members,
            }
        })
        .collect();
    outages.sort_by_key(|o| std::cmp::Reverse(o.client_count));

    let mut queue = HealthQueue {
        generated_at: now,
        outages,
        client: Vec::new(),
        wait: Vec::new(),
        advisor: Vec::new(),
        due_soon,
        consent_period: period,
    };
    for (i, it) in items.into_iter().enumerate() {
        if in_outage.contains(&i) {
            continue;
        }
        match it.group {
            Group::Client => queue.client.push(it),
            Group::Wait => queue.wait.push(it),
            Group::Advisor => queue.advisor.push(it),
        }
    }
    Ok(queue)
}

//! One client's page: net worth per currency and its history, allocation (asset class,
//! currency, institution), accounts with their owners, holdings with weights, and a paged,
//! filterable transactions query for a virtualised table.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rusqlite::{params_from_iter, types::Value, Connection as Db};
use serde::{Deserialize, Serialize};

use super::book::{
    connection_health, data_as_of, positions, totals, CurrencyTotal, Health, Position,
};
use crate::clients::Client;
use crate::error::{CoreError, Result};
use crate::store::Store;
use crate::sync::{Connection, ConnectionView};
use crate::time::{self, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct Slice {
    pub currency: String,
    /// An asset class, a currency code or an institution name, depending on the chart.
    pub key: String,
    pub value_minor: i64,
}

/// Net worth of one currency at the end of one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct HistoryPoint {
    pub currency: String,
    /// The last day of the month (today for the current month), ISO `YYYY-MM-DD`.
    pub date: String,
    pub net_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct AccountView {
    pub id: i64,
    pub connection_id: i64,
    pub institution: String,
    pub kind: String,
    pub name: String,
    pub number_masked: Option<String>,
    pub currency: String,
    pub balance_minor: i64,
    pub as_of: Option<String>,
    /// Every owner the provider named, across all copies of the account.
    pub owners: Vec<String>,
    /// How many of this client's connections reach the account (2+ for a joint account
    /// linked by both holders under the same client).
    pub copies: u32,
    pub stale: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct HoldingView {
    pub id: i64,
    pub account_id: Option<i64>,
    pub name: String,
    pub isin: Option<String>,
    pub asset_class: String,
    /// Exact decimal text, as the provider gave it.
    pub units: Option<String>,
    pub value_minor: i64,
    pub currency: String,
    /// Share of the client's holdings in the same currency, in basis points (1/100 %).
    pub weight_bp: i64,
    pub as_of: Option<String>,
    pub stale: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct ClientOverview {
    pub client: Client,
    pub generated_at: Timestamp,
    pub health: Health,
    pub net_worth: Vec<CurrencyTotal>,
    /// How `history` was derived, for the screen to say so.
    pub history_method: &'static str,
    pub history: Vec<HistoryPoint>,
    pub by_class: Vec<Slice>,
    pub by_currency: Vec<Slice>,
    pub by_institution: Vec<Slice>,
    pub accounts: Vec<AccountView>,
    pub holdings: Vec<HoldingView>,
    pub connections: Vec<ConnectionView>,
    /// The oldest data among the connections (None if one never synced).
    pub data_as_of: Option<Timestamp>,
    pub stale: bool,
    pub transaction_count: i64,
}

/// Months of history the overview returns.
pub const HISTORY_MONTHS: u32 = 12;

pub const HISTORY_METHOD: &str = "backward_from_balances";

pub fn institution_label(c: &Connection) -> String {
    c.institution_name
        .clone()
        .or_else(|| c.institution_id.clone())
        .unwrap_or_else(|| c.provider.as_str().to_string())
}

pub fn client_overview(store: &Store, client_id: i64, now: Timestamp) -> Result<ClientOverview> {
    let client = store.client(client_id)?;
    let connections = store.connections(Some(client_id))?;
    let by_id: BTreeMap<i64, &Connection> = connections.iter().map(|c| (c.id, c)).collect();
    let label = |id: i64| {
        by_id
            .get(&id)
            .map(|c| institution_label(c))
            .unwrap_or_default()
    };
    let stale = |id: i64| by_id.get(&id).is_none_or(|c| c.is_stale(now));
    // A row without its own date is as old as its connection's data.
    let as_of = |own: Option<String>, id: i64| {
        own.or_else(|| by_id.get(&id).and_then(|c| data_as_of(c)).map(time::to_db))
    };

    let (pos, accounts, holdings, monthly, count) = store.read(|db| {
        Ok((
            positions(db, Some(client_id))?,
            accounts(db, client_id)?,
            holdings(db, client_id)?,
            monthly_flows(db, client_id)?,
            db.query_row(
                &format!(
                    "SELECT count(*) FROM transactions t WHERE {}",
                    CLIENT_ACCOUNTS
                ),
                [client_id],
                |r| r.get(0),
            )?,
        ))
    })?;

    let net_worth = totals(&pos);
    let by_class = slices(&pos, |p| p.class.clone());
    let by_currency = slices(&pos, |p| p.currency.clone());
    let by_institution = slices(&pos, |p| label(p.connection_id));
    let history = history(&net_worth, &monthly, now.date_naive());

    let accounts = accounts
        .into_iter()
        .map(|mut a| {
            a.institution = label(a.connection_id);
            a.as_of = as_of(a.as_of.take(), a.connection_id);
            a.stale = stale(a.connection_id);
            a
        })
        .collect();
    let held_totals: BTreeMap<String, i64> =
        holdings.iter().fold(BTreeMap::new(), |mut m, (_, h)| {
            *m.entry(h.currency.clone()).or_default() += h.value_minor;
            m
        });
    let holdings = holdings
        .into_iter()
        .map(|(conn, mut h)| {
            let total = held_totals.get(&h.currency).copied().unwrap_or(0);
            h.weight_bp = if total > 0 {
                ((i128::from(h.value_minor) * 10_000 + i128::from(total) / 2) / i128::from(total))
                    as i64
            } else {
                0
            };
            h.stale = stale(conn);
            h.as_of = as_of(h.as_of.take(), conn);
            h
        })
        .collect();

    let never = connections.iter().any(|c| data_as_of(c).is_none());
    let data_as_of = if never {
        None
    } else {
        connections.iter().filter_map(data_as_of).min()
    };
    Ok(ClientOverview {
        client,
        generated_at: now,
        health: connections
            .iter()
            .map(connection_health)
            .max()
            .unwrap_or(Health::None),
        net_worth,
        history_method: HISTORY_METHOD,
        history,
        by_class,
        by_currency,
        by_institution,
        accounts,
        holdings,
        stale: connections.iter().any(|c| c.is_stale(now)),
        connections: connections.into_iter().map(|c| c.view(now)).collect(),
        data_as_of,
        transaction_count: count,
    })
}

/// Assets only (debt is not an allocation), per currency, largest first.
pub(crate) fn slices(pos: &[Position], key: impl Fn(&Position) -> String) -> Vec<Slice> {
    let mut m: BTreeMap<(String, String), i64> = BTreeMap::new();
    for p in pos
        .iter()
        .filter(|p| p.class != "debt" && p.value_minor > 0)
    {
        *m.entry((p.currency.clone(), key(p))).or_default() += p.value_minor;
    }
    let mut out: Vec<Slice> = m
        .into_iter()
        .map(|((currency, key), value_minor)| Slice {
            currency,
            key,
            value_minor,
        })
        .collect();
    out.sort_by(|a, b| {
        a.currency
            .cmp(&b.currency)
            .then(b.value_minor.cmp(&a.value_minor))
    });
    out
}

/// The de-duplicated accounts of a client: one per `dedupe_key`, the copy with the freshest data
/// `as_of`. Used by the transactions queries too, so a joint account's transactions are
/// listed once.
const CLIENT_ACCOUNTS: &str = "t.account_id IN (
        SELECT id FROM (
            SELECT a.id, row_number() OVER (PARTITION BY a.dedupe_key
                                            ORDER BY coalesce(a.as_of, c.data_as_of, c.last_success_at) DESC, a.id) AS rn
            FROM accounts a JOIN connections c ON c.id = a.connection_id
            WHERE c.client_id = ?1)
        WHERE rn = 1)";

fn accounts(db: &Db, client_id: i64) -> Result<Vec<AccountView>> {
    let mut stmt = db.prepare_cached(
        "WITH ca AS (
             SELECT a.*, row_number() OVER (PARTITION BY a.dedupe_key
                                            ORDER BY coalesce(a.as_of, c.data_as_of, c.last_success_at) DESC, a.id) AS rn,
                    count(*) OVER (PARTITION BY a.dedupe_key) AS copies
             FROM accounts a JOIN connections c ON c.id = a.connection_id
             WHERE c.client_id = ?1 AND a.presence = 'active')
         SELECT ca.id, ca.connection_id, ca.kind, ca.name, ca.number_masked, ca.currency,
                ca.balance_minor, ca.as_of, ca.copies,
                (SELECT group_concat(owner_name, char(31)) FROM (
                    SELECT DISTINCT o.owner_name FROM account_owners o
                    JOIN accounts a2 ON a2.id = o.account_id
                    JOIN connections c2 ON c2.id = a2.connection_id
                    WHERE c2.client_id = ?1 AND a2.dedupe_key = ca.dedupe_key
                    ORDER BY o.owner_name))
         FROM ca WHERE rn = 1
         ORDER BY ca.currency, ca.balance_minor DESC, ca.id",
    )?;
    let rows = stmt
        .query_map([client_id], account_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// An account row: id, connection_id, kind, name, number_masked, currency, balance_minor,
/// as_of, copies, owners (joined by U+001F). Shared with the household read model.
pub(crate) fn account_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountView> {
    let owners: Option<String> = r.get(9)?;
    Ok(AccountView {
        id: r.get(0)?,
        connection_id: r.get(1)?,
        institution: String::new(),
        kind: r.get(2)?,
        name: r.get(3)?,
        number_masked: r.get(4)?,
        currency: r.get(5)?,
        balance_minor: r.get(6)?,
        as_of: r.get(7)?,
        copies: r.get(8)?,
        owners: owners
            .map(|s| s.split('\u{1f}').map(str::to_string).collect())
            .unwrap_or_default(),
        stale: false,
    })
}

/// A holding row with its connection: id, connection_id, account_id, name, isin,
/// asset_class, units, value_minor, currency, as_of. Shared with the household read model.
pub(crate) fn holding_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, HoldingView)> {
    Ok((
        r.get(1)?,
        HoldingView {
            id: r.get(0)?,
            account_id: r.get(2)?,
            name: r.get(3)?,
            isin: r.get(4)?,
            asset_class: r.get(5)?,
            units: r.get(6)?,
            value_minor: r.get(7)?,
            currency: r.get(8)?,
            weight_bp: 0,
            as_of: r.get(9)?,
            stale: false,
        },
    ))
}

fn holdings(db: &Db, client_id: i64) -> Result<Vec<(i64, HoldingView)>> {
    let mut stmt = db.prepare_cached(
        "SELECT id, connection_id, account_id, name, isin, asset_class, units, value_minor,
                currency, as_of FROM (
             SELECT h.*, row_number() OVER (PARTITION BY h.dedupe_key
                                            ORDER BY coalesce(h.as_of, c.data_as_of, c.last_success_at) DESC, h.id) AS rn
             FROM holdings h JOIN connections c ON c.id = h.connection_id
             WHERE c.client_id = ?1)
         WHERE rn = 1 ORDER BY currency, value_minor DESC, id",
    )?;
    let rows = stmt
        .query_map([client_id], holding_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Sum of active transaction amounts per (currency, `YYYY-MM`) over the de-duplicated
/// accounts that count as cash (not those valued through holdings).
fn monthly_flows(db: &Db, client_id: i64) -> Result<BTreeMap<(String, String), i64>> {
    let mut stmt = db.prepare_cached(&format!(
        "SELECT t.currency, substr(t.booking_date, 1, 7), sum(t.amount_minor)
         FROM transactions t
         WHERE {CLIENT_ACCOUNTS} AND t.presence = 'active'
           AND t.account_id NOT IN (SELECT account_id FROM holdings WHERE account_id IS NOT NULL)
         GROUP BY 1, 2"
    ))?;
    let mut out = BTreeMap::new();
    let mut rows = stmt.query([client_id])?;
    while let Some(r) = rows.next()? {
        out.insert((r.get(0)?, r.get(1)?), r.get(2)?);
    }
    Ok(out)
}

/// Net worth at each month end, derived backwards from today's net worth: the net worth at
/// the end of month M is today's minus every transaction booked after M. Holdings and
/// liabilities have no history from the providers, so they are held at today's value.
pub(crate) fn history(
    net: &[CurrencyTotal],
    monthly: &BTreeMap<(String, String), i64>,
    today: NaiveDate,
) -> Vec<HistoryPoint> {
    let mut out = Vec::new();
    for t in net {
        let mut value = t.net_minor;
        let mut month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
        let mut points = Vec::new();
        for i in 0..HISTORY_MONTHS {
            let date = if i == 0 {
                today
            } else {
                month
                    .checked_add_months(chrono::Months::new(1))
                    .and_then(|d| d.pred_opt())
                    .unwrap_or(month)
            };
            points.push(HistoryPoint {
                currency: t.currency.clone(),
                date: date.format("%Y-%m-%d").to_string(),
                net_minor: value,
            });
            // Step back: undo this month's flows to get the previous month's end.
            let key = (t.currency.clone(), month.format("%Y-%m").to_string());
            value -= monthly.get(&key).copied().unwrap_or(0);
            month = month
                .checked_sub_months(chrono::Months::new(1))
                .unwrap_or(month);
        }
        points.reverse();
        out.extend(points);
    }
    out
}

/// Filters and a window for the transactions table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct TransactionQuery {
    /// Words that must all appear in the description (prefix match, accents ignored).
    #[serde(default)]
    #[cfg_attr(feature = "ipc-types", ts(optional = nullable))]
    pub search: Option<String>,
    /// Inclusive ISO dates `YYYY-MM-DD`.
    #[serde(default)]
    #[cfg_attr(feature = "ipc-types", ts(optional = nullable))]
    pub from: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ipc-types", ts(optional = nullable))]
    pub to: Option<String>,
    /// Only these accounts (ids from the overview); empty means all.
    #[serde(default)]
    #[cfg_attr(feature = "ipc-types", ts(as = "Option<Vec<i64>>", optional))]
    pub account_ids: Vec<i64>,
    pub offset: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct TransactionLine {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub booking_date: String,
    pub amount_minor: i64,
    pub currency: String,
    pub balance_minor: Option<i64>,
    pub description: String,
    pub category: Option<String>,
    pub counterparty: Option<String>,
    pub presence: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct TransactionPage {
    /// Rows matching the filters (all of them, not only this window).
    pub total: i64,
    pub offset: u32,
    pub rows: Vec<TransactionLine>,
}

pub const MAX_PAGE: u32 = 1_000;
/// Longest search text accepted (a sentence, not a document).
pub const MAX_SEARCH_LEN: usize = 200;
/// Most accounts one filter may name.
pub const MAX_ACCOUNT_FILTER: usize = 500;

fn fts_query(search: &str) -> Option<String> {
    let words: Vec<String> = search
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn valid_date(d: &Option<String>) -> Result<Option<String>> {
    match d.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(|_| Some(s.to_string()))
            .map_err(|_| CoreError::invalid(format!("\"{s}\" is not a date (YYYY-MM-DD)"))),
    }
}

/// A window of a client's transactions, newest first, with the total matching the filters.
pub fn transactions_page(
    store: &Store,
    client_id: i64,
    q: &TransactionQuery,
) -> Result<TransactionPage> {
    if q.limit == 0 || q.limit > MAX_PAGE {
        return Err(CoreError::invalid(format!(
            "a page holds 1 to {MAX_PAGE} rows"
        )));
    }
    if q.search
        .as_deref()
        .is_some_and(|s| s.chars().count() > MAX_SEARCH_LEN)
    {
        return Err(CoreError::invalid(format!(
            "a search can be at most {MAX_SEARCH_LEN} characters"
        )));
    }
    if q.account_ids.len() > MAX_ACCOUNT_FILTER {
        return Err(CoreError::invalid(format!(
            "at most {MAX_ACCOUNT_FILTER} accounts can be chosen"
        )));
    }
    store.client(client_id)?;
    let from = valid_date(&q.from)?;
    let to = valid_date(&q.to)?;
    let mut filter = CLIENT_ACCOUNTS.to_string();
    let mut args: Vec<Value> = vec![Value::Integer(client_id)];
    if let Some(f) = q.search.as_deref().and_then(fts_query) {
        args.push(Value::Text(f));
        filter.push_str(&format!(
            " AND t.id IN (SELECT rowid FROM transactions_fts WHERE transactions_fts MATCH ?{})",
            args.len()
        ));
    }
    if let Some(f) = from {
        args.push(Value::Text(f));
        filter.push_str(&format!(" AND t.booking_date >= ?{}", args.len()));
    }
    if let Some(t) = to {
        args.push(Value::Text(t));
        filter.push_str(&format!(" AND t.booking_date <= ?{}", args.len()));
    }
    if !q.account_ids.is_empty() {
        let ids: Vec<String> = q.account_ids.iter().map(i64::to_string).collect();
        filter.push_str(&format!(" AND t.account_id IN ({})", ids.join(",")));
    }
    store.read(|db| {
        let total: i64 = db.query_row(
            &format!("SELECT count(*) FROM transactions t WHERE {filter}"),
            params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        let mut stmt = db.prepare(&format!(
            "SELECT t.id, t.account_id, a.name, t.booking_date, t.amount_minor, t.currency,
                    t.balance_minor, t.description, t.category, t.counterparty, t.presence
             FROM transactions t JOIN accounts a ON a.id = t.account_id
             WHERE {filter}
             ORDER BY t.booking_date DESC, t.id DESC LIMIT {} OFFSET {}",
            q.limit, q.offset
        ))?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), |r| {
                Ok(TransactionLine {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    account_name: r.get(2)?,
                    booking_date: r.get(3)?,
                    amount_minor: r.get(4)?,
                    currency: r.get(5)?,
                    balance_minor: r.get(6)?,
                    description: r.get(7)?,
                    category: r.get(8)?,
                    counterparty: r.get(9)?,
                    presence: r.get(10)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(TransactionPage {
            total,
            offset: q.offset,
            rows,
        })
    })
}

/// Today in the store's terms, for callers that need a date string.
pub fn today_iso(now: Timestamp) -> String {
    time::to_db(now)[..10].to_string()
}

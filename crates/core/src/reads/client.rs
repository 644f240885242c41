//! One client's page: net worth per currency and its history, allocation (asset class,
//! currency, institution), accounts with their owners, holdings with weights, and a paged,
//! filterable transactions query for a virtualised table.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::book::{connection_health, data_as_of, totals, CurrencyTotal, Health, Position};
use super::copies::{Counted, SetCopies};
use super::outlook::Outlook;
use super::page_reads::SetReads;
use crate::clients;
use crate::clients::Client;
use crate::error::{CoreError, Result};
use crate::store::book_reads::BookReads;
use crate::store::queries::transactions::PageFilter;
use crate::store::queries::Clients;
use crate::store::Store;
use crate::sync::{Connection, ConnectionView};
use crate::time::{self, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    store.read(|db| client_overview_from(db, client_id, now))
}

/// [`client_overview`] from either engine's reader.
pub fn client_overview_from(
    reads: &impl BookReads,
    client_id: i64,
    now: Timestamp,
) -> Result<ClientOverview> {
    let since = history_since(now.date_naive());
    let read = reads.client_page(client_id, now, &since)?;
    let client = read
        .client
        .ok_or_else(|| CoreError::not_found("client", client_id))?;
    let p = set_page_of(read.set, since, &read.outlook);
    Ok(ClientOverview {
        client,
        generated_at: now,
        health: p.health,
        net_worth: p.net_worth,
        history_method: HISTORY_METHOD,
        history: p.history,
        by_class: p.by_class,
        by_currency: p.by_currency,
        by_institution: p.by_institution,
        accounts: p.accounts.into_iter().map(|row| row.account).collect(),
        holdings: p.holdings,
        connections: p.connections,
        data_as_of: p.data_as_of,
        stale: p.stale,
        transaction_count: p.transaction_count,
    })
}

/// What a client's page and a household's page share: the data of a set of clients read as
/// one (each account once across the set), from `connections`, the set's connections.
pub(crate) struct SetPage {
    pub health: Health,
    pub net_worth: Vec<CurrencyTotal>,
    pub history: Vec<HistoryPoint>,
    pub by_class: Vec<Slice>,
    pub by_currency: Vec<Slice>,
    pub by_institution: Vec<Slice>,
    pub accounts: Vec<AccountRow>,
    pub holdings: Vec<HoldingView>,
    pub connections: Vec<ConnectionView>,
    /// The oldest data among the connections (None if one never synced).
    pub data_as_of: Option<Timestamp>,
    pub stale: bool,
    pub transaction_count: i64,
}

/// What a set's page derives from its stored rows and its connections' labels and data dates
/// alone, nothing that depends on the time of reading: no row is marked stale yet, and the
/// history is still its monthly flows. [`SetRows::page`] finishes it at the time of reading;
/// a household keeps its own as the writes make them (`households::counted_rows`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SetRows {
    pub net_worth: Vec<CurrencyTotal>,
    /// Active flows per (currency, `YYYY-MM`) from the month of `since` on.
    pub monthly: Vec<((String, String), i64)>,
    /// The first day of the oldest month `monthly` holds (ISO date).
    pub since: String,
    pub by_class: Vec<Slice>,
    pub by_currency: Vec<Slice>,
    pub by_institution: Vec<Slice>,
    pub accounts: Vec<AccountRow>,
    pub holdings: Vec<HoldingRow>,
    pub transaction_count: i64,
}

/// One holding of a set's page, with the connection whose staleness it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HoldingRow {
    pub holding: HoldingView,
    pub connection_id: i64,
}

/// What a page's rows show of their connection.
struct RowFacts {
    institution: String,
    /// The connection's data date, for rows without their own.
    data_as_of: Option<String>,
}

/// One account of a set's page, with the clients of the set who reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AccountRow {
    pub account: AccountView,
    /// Clients of the set whose connections reach the account, in id order (two or more
    /// for a joint account of a household).
    pub reached_by: Vec<i64>,
}

/// A set's page from what was read for it (`since`: the first day its monthly flows cover).
fn set_page_of(read: SetReads, since: String, outlook: &Outlook) -> SetPage {
    let SetReads {
        connections,
        copies,
        monthly,
        transaction_count,
    } = read;
    let rows = SetRows::count(&copies, monthly, transaction_count, &connections, since);
    rows.page(connections, outlook)
}

impl SetRows {
    /// The set's rows as stored now, with the monthly flows from the month of `since` (an ISO
    /// date, see [`history_since`]) on, and the copies they were counted from (a household's
    /// members' own figures come from them).
    pub fn read(
        reads: &impl BookReads,
        clients: &[i64],
        connections: &[Connection],
        since: String,
    ) -> Result<(SetRows, SetCopies)> {
        let read = SetReads::by_parts(reads, Clients(clients), connections.to_vec(), &since)?;
        let rows = SetRows::count(
            &read.copies,
            read.monthly,
            read.transaction_count,
            connections,
            since,
        );
        Ok((rows, read.copies))
    }

    /// The rows of a set whose stored `copies`, monthly flows and transaction count were read
    /// (by parts, or in one statement on the firm's server).
    fn count(
        copies: &SetCopies,
        monthly: BTreeMap<(String, String), i64>,
        count: i64,
        connections: &[Connection],
        since: String,
    ) -> SetRows {
        // What each row shows of its connection, worked out once per connection, not per row.
        let facts: HashMap<i64, RowFacts> = connections
            .iter()
            .map(|c| {
                let facts = RowFacts {
                    institution: institution_label(c),
                    data_as_of: data_as_of(c).map(time::to_db),
                };
                (c.id, facts)
            })
            .collect();
        let label = |id: i64| facts.get(&id).map_or("", |f| f.institution.as_str());
        // A row without its own date is as old as its connection's data.
        let as_of = |own: &Option<String>, id: i64| {
            own.clone()
                .or_else(|| facts.get(&id).and_then(|f| f.data_as_of.clone()))
        };

        let pos = copies.positions(Counted::Together);
        let accounts = copies
            .listed_accounts()
            .into_iter()
            .map(|listed| {
                let a = listed.copy;
                AccountRow {
                    account: AccountView {
                        id: a.id,
                        connection_id: a.connection_id,
                        institution: label(a.connection_id).to_string(),
                        kind: a.kind.clone(),
                        name: a.name.clone(),
                        number_masked: a.number_masked.clone(),
                        currency: a.currency.clone(),
                        balance_minor: a.balance_minor,
                        as_of: as_of(&a.as_of, a.connection_id),
                        owners: listed.owners.into_iter().map(str::to_string).collect(),
                        copies: listed.copies,
                        stale: false,
                    },
                    reached_by: listed.reached_by.into_iter().collect(),
                }
            })
            .collect();
        let holdings = copies.listed_holdings();
        let held_totals: BTreeMap<&str, i64> = holdings.iter().fold(BTreeMap::new(), |mut m, h| {
            *m.entry(h.currency.as_str()).or_default() += h.value_minor;
            m
        });
        let holdings = holdings
            .iter()
            .map(|h| {
                let total = held_totals.get(h.currency.as_str()).copied().unwrap_or(0);
                let holding = HoldingView {
                    id: h.id,
                    account_id: h.account_id,
                    name: h.name.clone(),
                    isin: h.isin.clone(),
                    asset_class: h.asset_class.clone(),
                    units: h.units.clone(),
                    value_minor: h.value_minor,
                    currency: h.currency.clone(),
                    weight_bp: if total > 0 {
                        ((i128::from(h.value_minor) * 10_000 + i128::from(total) / 2)
                            / i128::from(total)) as i64
                    } else {
                        0
                    },
                    as_of: as_of(&h.as_of, h.connection_id),
                    stale: false,
                };
                HoldingRow {
                    holding,
                    connection_id: h.connection_id,
                }
            })
            .collect();
        SetRows {
            net_worth: totals(&pos),
            monthly: monthly.into_iter().collect(),
            since,
            by_class: slices(&pos, |p| &p.class),
            by_currency: slices(&pos, |p| &p.currency),
            by_institution: slices(&pos, |p| label(p.connection_id)),
            accounts,
            holdings,
            transaction_count: count,
        }
    }

    /// Whether these rows hold every month of flows the history of `today` reads.
    pub fn covers(&self, today: NaiveDate) -> bool {
        self.since <= history_since(today)
    }

    /// The page at the time of reading: each row marked stale as its connection is now, the
    /// history stepped back from today, health and data dates from `connections` as they are.
    pub fn page(self, connections: Vec<Connection>, outlook: &Outlook) -> SetPage {
        let (now, fresh) = (outlook.now, outlook.fresh);
        let stale_now: HashMap<i64, bool> = connections
            .iter()
            .map(|c| (c.id, c.is_stale(now, fresh)))
            .collect();
        let stale = |id: i64| stale_now.get(&id).copied().unwrap_or(true);
        let mut accounts = self.accounts;
        for a in &mut accounts {
            a.account.stale = stale(a.account.connection_id);
        }
        let holdings = self
            .holdings
            .into_iter()
            .map(|row| HoldingView {
                stale: stale(row.connection_id),
                ..row.holding
            })
            .collect();
        let monthly: BTreeMap<(String, String), i64> = self.monthly.into_iter().collect();
        let history = history(&self.net_worth, &monthly, now.date_naive());
        let never = connections.iter().any(|c| data_as_of(c).is_none());
        SetPage {
            health: worst_health(&connections),
            net_worth: self.net_worth,
            history,
            by_class: self.by_class,
            by_currency: self.by_currency,
            by_institution: self.by_institution,
            accounts,
            holdings,
            data_as_of: if never {
                None
            } else {
                connections.iter().filter_map(data_as_of).min()
            },
            stale: stale_now.values().any(|s| *s),
            connections: connections.into_iter().map(|c| outlook.view(c)).collect(),
            transaction_count: self.transaction_count,
        }
    }
}

/// The worst health among connections ([`Health::None`] without any).
pub(crate) fn worst_health<'a>(connections: impl IntoIterator<Item = &'a Connection>) -> Health {
    connections
        .into_iter()
        .map(connection_health)
        .max()
        .unwrap_or(Health::None)
}

/// The first day of the oldest month [`history`] reads flows for: older transactions
/// cannot change the figures it returns, so they are not read.
pub(crate) fn history_since(today: NaiveDate) -> String {
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    this_month
        .checked_sub_months(chrono::Months::new(HISTORY_MONTHS - 1))
        .unwrap_or(this_month)
        .format("%Y-%m-%d")
        .to_string()
}

/// Assets only (debt is not an allocation), per currency, largest first.
pub(crate) fn slices<'a>(pos: &'a [Position], key: impl Fn(&'a Position) -> &'a str) -> Vec<Slice> {
    let mut m: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for p in pos
        .iter()
        .filter(|p| p.class != "debt" && p.value_minor > 0)
    {
        *m.entry((p.currency.as_str(), key(p))).or_default() += p.value_minor;
    }
    let mut out: Vec<Slice> = m
        .into_iter()
        .map(|((currency, key), value_minor)| Slice {
            currency: currency.to_string(),
            key: key.to_string(),
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
    store.read(|db| transactions_page_from(db, client_id, q))
}

/// [`transactions_page`] from either engine's reader.
pub fn transactions_page_from(
    reads: &impl BookReads,
    client_id: i64,
    q: &TransactionQuery,
) -> Result<TransactionPage> {
    clients::get_from(reads, client_id)?;
    set_transactions_page(reads, &[client_id], q)
}

/// A window of the transactions of a set of clients read as one (each account once).
pub(crate) fn set_transactions_page(
    reads: &impl BookReads,
    clients: &[i64],
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
    let from = valid_date(&q.from)?;
    let to = valid_date(&q.to)?;
    let filter = PageFilter {
        search: q.search.as_deref(),
        from,
        to,
        account_ids: &q.account_ids,
    };
    let (total, rows) = reads.transactions_page(Clients(clients), &filter, q.limit, q.offset)?;
    Ok(TransactionPage {
        total,
        offset: q.offset,
        rows,
    })
}

/// Today in the store's terms, for callers that need a date string.
pub fn today_iso(now: Timestamp) -> String {
    time::to_db(now)[..10].to_string()
}

//! What a report shows, gathered from the read models: a client's page or a household's, the
//! total in the base currency, the allocation charts valued in the base currency (a slice in a
//! currency without a usable rate is left out of the charts and named), and the settings that
//! sign the cover.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use advisor_desk_core::households::{household_overview, HouseholdOverview};
use advisor_desk_core::money::Currency;
use advisor_desk_core::rates::{self, convert_totals, BaseTotal};
use advisor_desk_core::reads::book::data_as_of;
use advisor_desk_core::reads::client::{AccountView, HistoryPoint, HoldingView, Slice};
use advisor_desk_core::reads::{client_overview, ClientOverview, CurrencyTotal, Health};
use advisor_desk_core::sync::ConnectionView;
use advisor_desk_core::time::Timestamp;
use advisor_desk_core::{CoreError, Store};

use crate::settings::ReportSettings;

#[derive(Debug, Clone)]
pub struct ReportAccount {
    pub institution: String,
    pub name: String,
    pub number_masked: Option<String>,
    pub owners: Vec<String>,
    pub currency: String,
    pub balance_minor: i64,
}

#[derive(Debug, Clone)]
pub struct ConnectionLine {
    pub institution: String,
    pub data_as_of: Option<NaiveDate>,
    pub health: Health,
    pub stale: bool,
}

/// A chart's bars, valued in the base currency.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    pub bars: Vec<(String, i64)>,
    /// Currencies whose slices have no usable rate (left out of the chart).
    pub left_out: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Report {
    /// The client's or the household's name.
    pub title: String,
    /// Members' names for a household; empty for a client.
    pub members: Vec<String>,
    pub generated_on: NaiveDate,
    pub settings: ReportSettings,
    pub base_total: BaseTotal,
    pub net_worth: Vec<CurrencyTotal>,
    /// Each member's own totals (households only).
    pub member_totals: Vec<(String, Vec<CurrencyTotal>)>,
    pub history: Vec<HistoryPoint>,
    pub by_class: Chart,
    pub by_currency: Chart,
    pub by_institution: Chart,
    pub accounts: Vec<ReportAccount>,
    pub holdings: Vec<HoldingView>,
    pub connections: Vec<ConnectionLine>,
    pub stale: bool,
}

/// Slices (per currency) summed per key in the base currency.
fn chart(
    store: &Store,
    base: Currency,
    slices: &[Slice],
    on: NaiveDate,
    label: impl Fn(&str) -> String,
) -> Result<Chart, CoreError> {
    let mut bars: BTreeMap<String, i64> = BTreeMap::new();
    let mut left_out = Vec::new();
    for s in slices {
        let t =
            store.read(|c| convert_totals(c, base, &[(s.currency.clone(), s.value_minor)], on))?;
        match t.converted.first() {
            Some(v) => *bars.entry(label(&s.key)).or_default() += v.base_minor,
            None if !left_out.contains(&s.currency) => left_out.push(s.currency.clone()),
            None => {}
        }
    }
    let mut bars: Vec<_> = bars.into_iter().filter(|(_, v)| *v > 0).collect();
    bars.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(Chart { bars, left_out })
}

fn connection_lines(connections: &[ConnectionView]) -> Vec<ConnectionLine> {
    connections
        .iter()
        .map(|v| ConnectionLine {
            institution: advisor_desk_core::reads::client::institution_label(&v.connection),
            data_as_of: data_as_of(&v.connection).map(|t| t.date_naive()),
            health: advisor_desk_core::reads::book::connection_health(&v.connection),
            stale: v.stale,
        })
        .collect()
}

/// The parts of a client's or a household's page a report uses.
struct Page {
    title: String,
    members: Vec<String>,
    member_totals: Vec<(String, Vec<CurrencyTotal>)>,
    net_worth: Vec<CurrencyTotal>,
    history: Vec<HistoryPoint>,
    by_class: Vec<Slice>,
    by_currency: Vec<Slice>,
    by_institution: Vec<Slice>,
    accounts: Vec<ReportAccount>,
    holdings: Vec<HoldingView>,
    connections: Vec<ConnectionView>,
    stale: bool,
}

/// Values the page in the base currency and signs it with the settings.
fn assemble(
    store: &Store,
    p: Page,
    settings: &ReportSettings,
    now: Timestamp,
) -> Result<Report, CoreError> {
    let on = now.date_naive();
    let base = rates::base_currency(store)?;
    let lang = settings.lang;
    Ok(Report {
        base_total: rates::base_total_of(store, &p.net_worth, now)?,
        by_class: chart(store, base, &p.by_class, on, |k| lang.asset_class(k))?,
        by_currency: chart(store, base, &p.by_currency, on, str::to_string)?,
        by_institution: chart(store, base, &p.by_institution, on, str::to_string)?,
        title: p.title,
        members: p.members,
        generated_on: on,
        settings: settings.clone(),
        net_worth: p.net_worth,
        member_totals: p.member_totals,
        history: p.history,
        accounts: p.accounts,
        holdings: p.holdings,
        connections: connection_lines(&p.connections),
        stale: p.stale,
    })
}

fn account(a: AccountView) -> ReportAccount {
    ReportAccount {
        institution: a.institution,
        name: a.name,
        number_masked: a.number_masked,
        owners: a.owners,
        currency: a.currency,
        balance_minor: a.balance_minor,
    }
}

pub fn client_report(
    store: &Store,
    client_id: i64,
    settings: &ReportSettings,
    now: Timestamp,
) -> Result<Report, CoreError> {
    client_report_of(
        client_overview(store, client_id, now)?,
        store,
        settings,
        now,
    )
}

/// The report of a client's page already read (from either engine's book), valued with the
/// rates and base currency of `rates` (the desktop's own SQLite book: see ARCHITECTURE.md).
pub fn client_report_of(
    o: ClientOverview,
    rates: &Store,
    settings: &ReportSettings,
    now: Timestamp,
) -> Result<Report, CoreError> {
    let page = Page {
        title: o.client.name,
        members: vec![],
        member_totals: vec![],
        net_worth: o.net_worth,
        history: o.history,
        by_class: o.by_class,
        by_currency: o.by_currency,
        by_institution: o.by_institution,
        accounts: o.accounts.into_iter().map(account).collect(),
        holdings: o.holdings,
        connections: o.connections,
        stale: o.stale,
    };
    assemble(rates, page, settings, now)
}

pub fn household_report(
    store: &Store,
    household_id: i64,
    settings: &ReportSettings,
    now: Timestamp,
) -> Result<Report, CoreError> {
    household_report_of(
        household_overview(store, household_id, now)?,
        store,
        settings,
        now,
    )
}

/// [`client_report_of`] for a household's page.
pub fn household_report_of(
    o: HouseholdOverview,
    rates: &Store,
    settings: &ReportSettings,
    now: Timestamp,
) -> Result<Report, CoreError> {
    let page = Page {
        title: o.household.name,
        members: o.members.iter().map(|m| m.name.clone()).collect(),
        member_totals: o
            .members
            .into_iter()
            .map(|m| (m.name, m.net_worth))
            .collect(),
        net_worth: o.net_worth,
        history: o.history,
        by_class: o.by_class,
        by_currency: o.by_currency,
        by_institution: o.by_institution,
        accounts: o.accounts.into_iter().map(|a| account(a.account)).collect(),
        holdings: o.holdings,
        connections: o.connections,
        stale: o.stale,
    };
    assemble(rates, page, settings, now)
}

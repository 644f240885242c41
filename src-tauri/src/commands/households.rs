//! Households, the base-currency total, reference rates and the review report. Each command
//! is one line over `advisor-desk-core` / `advisor-desk-report`. In firm mode the households,
//! their pages and the figures of totals and reports are the firm's (`crate::book`); the
//! reference rates, the base currency and the report's signature and paper stay this
//! desktop's own (its SQLite book), as the advisor's preferences and a public-data cache.

use super::args::{Arg, Id, OptionalId};
use advisor_desk_core::households::overview::household_overview_from;
use advisor_desk_core::households::{
    self, BookByHousehold, Household, HouseholdOverview, HouseholdWithMembers,
};
use advisor_desk_core::money::Currency;
use advisor_desk_core::rates::{self, BaseTotal, Subject};
use advisor_desk_core::reads::client::client_overview_from;
use advisor_desk_core::reads::{TransactionPage, TransactionQuery};
use advisor_desk_core::{time, CoreError, IpcError};
use advisor_desk_providers::rates::{RateFeeds, RefreshOutcome};
use advisor_desk_report::model::{client_report_of, household_report_of};
use advisor_desk_report::settings::{load_profile, save_profile, ReportProfile};
use advisor_desk_report::{render, save_in_exports, ReportError, ReportSettings};
use serde::Serialize;
use tauri::State;

use super::ACTOR;
use crate::book::{page, write_book};
use crate::error::CommandError;
use crate::read_book;
use crate::state::AppState;
use advisor_desk_firm::book_writes::households as firm_households;

fn report_error(e: ReportError) -> CommandError {
    match e {
        ReportError::Core(c) => c.into(),
        other => CommandError(IpcError {
            code: "io".into(),
            message: other.to_string(),
        }),
    }
}

/// Exactly one of a client and a household.
fn subject(client_id: Option<i64>, household_id: Option<i64>) -> Result<Subject, CommandError> {
    match (client_id, household_id) {
        (Some(c), None) => Ok(Subject::Client(c)),
        (None, Some(h)) => Ok(Subject::Household(h)),
        _ => Err(CoreError::invalid("name a client or a household").into()),
    }
}

pub fn households_in(state: &AppState) -> Result<Vec<HouseholdWithMembers>, CommandError> {
    page(
        state,
        || "list_households".into(),
        || Ok(read_book!(state, |r| households::list_from(r))?),
    )
}

pub fn create_household_in(state: &AppState, name: &str) -> Result<Household, CommandError> {
    write_book(
        state,
        |store| households::create(store, name, ACTOR),
        |firm| firm_households::create(firm, name, ACTOR),
    )
}

pub fn add_household_member_in(
    state: &AppState,
    household: i64,
    client: i64,
) -> Result<(), CommandError> {
    write_book(
        state,
        |store| households::add_member(store, household, client, ACTOR),
        |firm| firm_households::add_member(firm, household, client, ACTOR),
    )
}

pub fn remove_household_member_in(
    state: &AppState,
    household: i64,
    client: i64,
) -> Result<(), CommandError> {
    write_book(
        state,
        |store| households::remove_member(store, household, client, ACTOR),
        |firm| firm_households::remove_member(firm, household, client, ACTOR),
    )
}

pub fn move_household_member_in(
    state: &AppState,
    client: i64,
    to: i64,
) -> Result<(), CommandError> {
    write_book(
        state,
        |store| households::move_member(store, client, to, ACTOR),
        |firm| firm_households::move_member(firm, client, to, ACTOR),
    )
}

pub fn delete_household_in(state: &AppState, household: i64) -> Result<(), CommandError> {
    write_book(
        state,
        |store| households::delete(store, household, ACTOR),
        |firm| firm_households::delete(firm, household, ACTOR),
    )
}

pub fn household_overview_in(
    state: &AppState,
    household: i64,
) -> Result<HouseholdOverview, CommandError> {
    let now = time::now();
    page(
        state,
        || format!("household_overview/{household}"),
        || {
            Ok(read_book!(state, |r| {
                households::overview::household_overview_from(r, household, now)
            })?)
        },
    )
}

pub fn household_transactions_in(
    state: &AppState,
    household: i64,
    query: &TransactionQuery,
) -> Result<TransactionPage, CommandError> {
    page(
        state,
        || format!("household_transactions/{household}/{query:?}"),
        || {
            Ok(read_book!(state, |r| {
                households::overview::household_transactions_from(r, household, query)
            })?)
        },
    )
}

pub fn book_by_household_in(state: &AppState) -> Result<BookByHousehold, CommandError> {
    let now = time::now();
    page(
        state,
        || "book_by_household".into(),
        || {
            Ok(read_book!(state, |r| {
                households::book::book_by_household_from(r, now)
            })?)
        },
    )
}

/// The base currency is this desktop's preference (the advisor's), in the solo SQLite book in
/// either mode, beside the reference rates it converts with.
pub fn set_base_currency_in(state: &AppState, code: &str) -> Result<Currency, CommandError> {
    Ok(rates::set_base_currency(state.store()?, code, ACTOR)?)
}

/// The report's profile. The advisor's name, the paper and the base currency are this
/// desktop's own settings in either mode; in firm mode the firm's name is the firm's (from
/// its invite), not a local setting.
pub fn report_profile_in(state: &AppState) -> Result<ReportProfile, CommandError> {
    let mut profile = load_profile(state.store()?)?;
    profile.firm = signing_firm(state, profile.firm);
    Ok(profile)
}

/// The firm a report is signed with: in firm mode the firm's (from its invite), else the one
/// this desktop's settings name.
fn signing_firm(state: &AppState, local: Option<String>) -> Option<String> {
    state.firm.firm_name().or(local)
}

/// Saves the profile on this desktop. In firm mode the firm's name is not the advisor's to
/// change: the one saved for solo mode is kept as it was.
pub fn set_report_profile_in(
    state: &AppState,
    profile: &ReportProfile,
) -> Result<ReportProfile, CommandError> {
    let store = state.store()?;
    let mut profile = profile.clone();
    if state.firm.firm_name().is_some() {
        profile.firm = load_profile(store)?.firm;
    }
    save_profile(store, &profile, ACTOR)?;
    report_profile_in(state)
}

/// The net worth of a client or a household as one total in the base currency: the figures
/// from the book in use (solo or firm), converted with this desktop's cached reference rates.
pub fn base_total_in(state: &AppState, who: Subject) -> Result<BaseTotal, CommandError> {
    let net_worth = read_book!(state, |r| rates::net_worth_from(r, who))?;
    Ok(rates::base_total_of(
        state.store()?,
        &net_worth,
        time::now(),
    )?)
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SavedReport {
    pub path: String,
    pub bytes: usize,
}

/// The report's settings: this desktop's (name, paper, interface language), signed with the
/// firm's name in firm mode.
fn report_settings(state: &AppState) -> Result<ReportSettings, CommandError> {
    let mut settings = ReportSettings::load(state.store()?, None)?;
    settings.firm = signing_firm(state, settings.firm);
    Ok(settings)
}

/// Renders the report in the interface language and saves it in the data folder's exports:
/// the page read from the book in use (solo or firm), valued with this desktop's rates.
pub fn save_report_in(state: &AppState, who: Subject) -> Result<SavedReport, CommandError> {
    let settings = report_settings(state)?;
    let rates_book = state.store()?;
    let now = time::now();
    let report = match who {
        Subject::Client(c) => {
            let page = read_book!(state, |r| client_overview_from(r, c, now))?;
            client_report_of(page, rates_book, &settings, now)?
        }
        Subject::Household(h) => {
            let page = read_book!(state, |r| household_overview_from(r, h, now))?;
            household_report_of(page, rates_book, &settings, now)?
        }
    };
    let bytes = render(&report).map_err(report_error)?;
    let stem = format!("{}-report-{}", report.title, now.format("%Y-%m-%d"));
    let path = save_in_exports(state.data_dir(), &stem, &bytes).map_err(report_error)?;
    Ok(SavedReport {
        path: path.display().to_string(),
        bytes: bytes.len(),
    })
}

#[tauri::command]
pub async fn list_households(
    state: State<'_, AppState>,
) -> Result<Vec<HouseholdWithMembers>, CommandError> {
    households_in(&state)
}

#[tauri::command]
pub async fn create_household(
    state: State<'_, AppState>,
    name: Arg<String>,
) -> Result<Household, CommandError> {
    create_household_in(&state, &name.0)
}

#[tauri::command]
pub async fn add_household_member(
    state: State<'_, AppState>,
    household_id: Id,
    client_id: Id,
) -> Result<(), CommandError> {
    add_household_member_in(&state, household_id.0, client_id.0)
}

#[tauri::command]
pub async fn remove_household_member(
    state: State<'_, AppState>,
    household_id: Id,
    client_id: Id,
) -> Result<(), CommandError> {
    remove_household_member_in(&state, household_id.0, client_id.0)
}

#[tauri::command]
pub async fn move_household_member(
    state: State<'_, AppState>,
    client_id: Id,
    to_household_id: Id,
) -> Result<(), CommandError> {
    move_household_member_in(&state, client_id.0, to_household_id.0)
}

#[tauri::command]
pub async fn delete_household(
    state: State<'_, AppState>,
    household_id: Id,
) -> Result<(), CommandError> {
    delete_household_in(&state, household_id.0)
}

#[tauri::command]
pub async fn household_overview(
    state: State<'_, AppState>,
    household_id: Id,
) -> Result<HouseholdOverview, CommandError> {
    household_overview_in(&state, household_id.0)
}

#[tauri::command]
pub async fn household_transactions(
    state: State<'_, AppState>,
    household_id: Id,
    query: Arg<TransactionQuery>,
) -> Result<TransactionPage, CommandError> {
    household_transactions_in(&state, household_id.0, &query.0)
}

#[tauri::command]
pub async fn book_by_household(
    state: State<'_, AppState>,
) -> Result<BookByHousehold, CommandError> {
    book_by_household_in(&state)
}

#[tauri::command]
pub async fn set_base_currency(
    state: State<'_, AppState>,
    code: Arg<String>,
) -> Result<Currency, CommandError> {
    set_base_currency_in(&state, &code.0)
}

#[tauri::command]
pub async fn report_profile(state: State<'_, AppState>) -> Result<ReportProfile, CommandError> {
    report_profile_in(&state)
}

#[tauri::command]
pub async fn set_report_profile(
    state: State<'_, AppState>,
    profile: Arg<ReportProfile>,
) -> Result<ReportProfile, CommandError> {
    set_report_profile_in(&state, &profile.0)
}

#[tauri::command]
pub async fn base_total(
    state: State<'_, AppState>,
    client_id: OptionalId,
    household_id: OptionalId,
) -> Result<BaseTotal, CommandError> {
    let who = subject(client_id.0, household_id.0)?;
    base_total_in(&state, who)
}

#[tauri::command]
pub async fn save_report(
    state: State<'_, AppState>,
    client_id: OptionalId,
    household_id: OptionalId,
) -> Result<SavedReport, CommandError> {
    let who = subject(client_id.0, household_id.0)?;
    save_report_in(&state, who)
}

/// Fetches the reference rates when due (at most once a day per feed), from the embedded
/// sandbox in sandbox mode. The daily-refresh timer calls it too.
pub async fn refresh_rates_in(state: &AppState) -> Result<Vec<RefreshOutcome>, CommandError> {
    let feeds = match state.providers()?.sandbox_url {
        Some(url) => RateFeeds::sandbox(&url)?,
        None => RateFeeds::production()?,
    };
    // Public reference data, cached on this desktop in either mode (see ARCHITECTURE.md).
    let store = state.store_arc()?;
    Ok(feeds
        .refresh_due(&store, time::now())
        .await
        .into_iter()
        .map(|(_, o)| o)
        .collect())
}

#[tauri::command]
pub async fn refresh_rates(
    state: State<'_, AppState>,
) -> Result<Vec<RefreshOutcome>, CommandError> {
    refresh_rates_in(&state).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn households_base_totals_and_reports_through_the_commands() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(dir.path());
        let store = state.store().unwrap();
        let ana = advisor_desk_core::clients::add(
            store,
            &advisor_desk_core::clients::NewClient {
                name: "Ana".into(),
                ..Default::default()
            },
            "t",
        )
        .unwrap()
        .id;
        let h = create_household_in(&state, "Ruiz").unwrap();
        add_household_member_in(&state, h.id, ana).unwrap();
        assert_eq!(households_in(&state).unwrap()[0].members[0].id, ana);
        assert_eq!(book_by_household_in(&state).unwrap().households.len(), 1);
        assert!(household_overview_in(&state, h.id)
            .unwrap()
            .net_worth
            .is_empty());
        let query: TransactionQuery =
            serde_json::from_value(serde_json::json!({"search": "rent", "offset": 0, "limit": 50}))
                .unwrap();
        let page = household_transactions_in(&state, h.id, &query).unwrap();
        assert_eq!((page.total, page.rows.len()), (0, 0));
        assert_eq!(
            household_transactions_in(&state, h.id + 1, &query)
                .unwrap_err()
                .0
                .code,
            "not_found"
        );
        assert_eq!(set_base_currency_in(&state, "cad").unwrap().as_str(), "CAD");
        let profile: ReportProfile = serde_json::from_value(serde_json::json!({
            "advisor_name": "Marta Gil", "firm": null, "paper": "letter", "base_currency": "CAD"
        }))
        .unwrap();
        assert_eq!(
            set_report_profile_in(&state, &profile).unwrap(),
            report_profile_in(&state).unwrap()
        );
        let total = base_total_in(&state, Subject::Household(h.id)).unwrap();
        assert_eq!(
            (total.base.as_str(), total.total_minor, total.partial),
            ("CAD", 0, false)
        );
        let saved = save_report_in(&state, Subject::Household(h.id)).unwrap();
        assert!(saved.path.ends_with(".pdf") && saved.path.contains("exports"));
        assert!(std::fs::read(&saved.path).unwrap().starts_with(b"%PDF-"));
        let second = save_report_in(&state, Subject::Household(h.id)).unwrap();
        assert_ne!(second.path, saved.path, "never over an earlier report");
        assert_eq!(subject(None, None).unwrap_err().0.code, "invalid_input");
        move_household_member_in(&state, ana, h.id).unwrap();
        remove_household_member_in(&state, h.id, ana).unwrap();
        delete_household_in(&state, h.id).unwrap();
        assert!(households_in(&state).unwrap().is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rates_come_from_the_embedded_sandbox_once_a_day() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(dir.path());
        let first = refresh_rates_in(&state).await.unwrap();
        assert_eq!(first.len(), 2);
        assert!(
            first
                .iter()
                .all(|o| matches!(o, RefreshOutcome::Fetched { .. })),
            "{first:?}"
        );
        let again = refresh_rates_in(&state).await.unwrap();
        assert!(
            again.iter().all(|o| *o == RefreshOutcome::NotDue),
            "{again:?}"
        );
    }
}

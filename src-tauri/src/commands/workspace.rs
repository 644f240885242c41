//! The advisor's workspace: book, client page, transactions windows, health queue, CSV
//! export. Each command is one line over `advisor_desk_core::reads`, on the book in use; each
//! page kept in firm mode for when the server is gone (`book::page`). An export is not kept:
//! a file written from what was last shown would pass for the firm's book of now.

use advisor_desk_core::households::export::ExportOf;
use advisor_desk_core::reads::export::{self, ExportKind, ExportResult};
use advisor_desk_core::reads::{
    self, BookSummary, ClientOverview, HealthQueue, TransactionPage, TransactionQuery,
};
use advisor_desk_core::time;
use tauri::State;

use super::args::{Arg, Id, OptionalId};
use crate::book::page;
use crate::error::CommandError;
use crate::read_book;
use crate::state::AppState;

pub fn book_summary_in(state: &AppState) -> Result<BookSummary, CommandError> {
    let now = time::now();
    page(
        state,
        || "book_summary".into(),
        || Ok(read_book!(state, |r| reads::book_summary_from(r, now))?),
    )
}

pub fn client_overview_in(
    state: &AppState,
    client_id: i64,
) -> Result<ClientOverview, CommandError> {
    let now = time::now();
    page(
        state,
        || format!("client_overview/{client_id}"),
        || {
            Ok(read_book!(state, |r| reads::client_overview_from(
                r, client_id, now
            ))?)
        },
    )
}

pub fn client_transactions_in(
    state: &AppState,
    client_id: i64,
    query: &TransactionQuery,
) -> Result<TransactionPage, CommandError> {
    page(
        state,
        || format!("client_transactions/{client_id}/{query:?}"),
        || {
            Ok(read_book!(state, |r| reads::transactions_page_from(
                r, client_id, query
            ))?)
        },
    )
}

pub fn health_queue_in(state: &AppState) -> Result<HealthQueue, CommandError> {
    let now = time::now();
    page(
        state,
        || "health_queue".into(),
        || Ok(read_book!(state, |r| reads::health_queue_from(r, now))?),
    )
}

/// A free file name in the data folder's `exports/`, named after the book, the client or the
/// household as the book in use (solo or firm) names them.
pub fn suggest_export_path_in(
    state: &AppState,
    kind: ExportKind,
    client_id: Option<i64>,
    household_id: Option<i64>,
) -> Result<String, CommandError> {
    let of = ExportOf::from_args(kind, client_id, household_id)?;
    let now = time::now();
    let stem = read_book!(state, |r| of.stem_from(r, kind, now))?;
    Ok(export::suggest_export_path(state.data_dir(), &stem)?)
}

/// Writes the CSV of the book in use (solo or firm) to a new file at `path`: the same CSV
/// code on either engine, the path checked before anything is read.
pub fn export_csv_in(
    state: &AppState,
    kind: ExportKind,
    client_id: Option<i64>,
    household_id: Option<i64>,
    path: &str,
) -> Result<ExportResult, CommandError> {
    let of = ExportOf::from_args(kind, client_id, household_id)?;
    let now = time::now();
    export::export_to(path, || {
        Ok(read_book!(state, |r| of.csv_from(r, kind, now))?)
    })
}

#[tauri::command]
pub async fn book_summary(state: State<'_, AppState>) -> Result<BookSummary, CommandError> {
    book_summary_in(&state)
}

#[tauri::command]
pub async fn client_overview(
    state: State<'_, AppState>,
    client_id: Id,
) -> Result<ClientOverview, CommandError> {
    client_overview_in(&state, client_id.0)
}

#[tauri::command]
pub async fn client_transactions(
    state: State<'_, AppState>,
    client_id: Id,
    query: Arg<TransactionQuery>,
) -> Result<TransactionPage, CommandError> {
    client_transactions_in(&state, client_id.0, &query.0)
}

#[tauri::command]
pub async fn health_queue(state: State<'_, AppState>) -> Result<HealthQueue, CommandError> {
    health_queue_in(&state)
}

#[tauri::command]
pub async fn suggest_export_path(
    state: State<'_, AppState>,
    kind: Arg<ExportKind>,
    client_id: OptionalId,
    household_id: OptionalId,
) -> Result<String, CommandError> {
    suggest_export_path_in(&state, kind.0, client_id.0, household_id.0)
}

#[tauri::command]
pub async fn export_csv(
    state: State<'_, AppState>,
    kind: Arg<ExportKind>,
    client_id: OptionalId,
    household_id: OptionalId,
    path: Arg<String>,
) -> Result<ExportResult, CommandError> {
    export_csv_in(&state, kind.0, client_id.0, household_id.0, &path.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipc_arguments_decode_and_export_refuses_a_relative_path() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(dir.path());
        let q: TransactionQuery = serde_json::from_value(serde_json::json!({
            "search": "café", "from": "2026-01-01", "to": null, "account_ids": [], "offset": 0, "limit": 100
        }))
        .unwrap();
        // An id that names no client is refused as such, not answered with an empty page.
        let err = client_transactions_in(&state, 1, &q).unwrap_err();
        assert_eq!(err.0.code, "not_found");
        assert!(book_summary_in(&state).unwrap().clients.is_empty());
        let kind: ExportKind = serde_json::from_value(serde_json::json!("book")).unwrap();
        let path = suggest_export_path_in(&state, kind, None, None).unwrap();
        assert!(path.starts_with(&dir.path().display().to_string()));
        let e = export_csv_in(&state, kind, None, None, "book.csv").unwrap_err();
        assert_eq!(e.0.code, "invalid_input");
        let both = export_csv_in(&state, ExportKind::Holdings, Some(1), Some(1), &path);
        assert_eq!(both.unwrap_err().0.code, "invalid_input");
        let ok = export_csv_in(&state, kind, None, None, &path).unwrap();
        assert_eq!(ok.rows, 0);
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("client_id,client,"));
    }
}

#[cfg(test)]
mod in_firm_mode;

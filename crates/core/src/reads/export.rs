//! CSV exports: a client's holdings, a client's transactions, the book summary. Each table is
//! built from either engine's reader (`BookReads`: the solo SQLite book or the firm's
//! PostgreSQL book), so both write the same bytes for the same book.
//!
//! Format: RFC 4180 (comma separated, CRLF line ends, a field quoted when it holds a comma,
//! a quote, CR or LF, quotes doubled), UTF-8 without a byte-order mark, dates ISO 8601,
//! amounts as exact decimals in major units with the currency in its own column.
//! Text that came from a provider and starts with `=`, `+`, `-`, `@`, tab or CR is prefixed
//! with `'` so a spreadsheet shows it instead of evaluating it as a formula.
//!
//! Files are written only to a path the advisor chose that passes [`validate_export_path`]:
//! absolute, no `..`, an existing folder, a `.csv` name, and a file that does not exist yet
//! (never overwritten). The file is created with `create_new`, so a file that appears
//! between the check and the write is not overwritten either.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use rust_decimal::Decimal;
use serde::Serialize;

use super::book::book_summary_from;
use super::client::{client_overview_from, HoldingView, TransactionLine};
use crate::clients;
use crate::error::{CoreError, Result};
use crate::money::Currency;
use crate::store::book_reads::BookReads;
use crate::store::queries::Clients;
use crate::store::Store;
use crate::time::Timestamp;

pub const EXPORTS_DIR: &str = "exports";
/// Longest export path accepted (PATH_MAX on Linux).
pub const MAX_EXPORT_PATH_LEN: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct ExportResult {
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
}

/// One CSV field, quoted when needed.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Provider or client text: defused against spreadsheet formulas, then quoted as needed.
pub fn text_field(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        field(&format!("'{s}"))
    } else {
        field(s)
    }
}

/// Exact decimal in major units: `-12.50` for -1250 EUR minor units.
pub fn amount(minor: i64, currency: &str) -> String {
    let exp = Currency::parse(currency).map_or(2, |c| c.exponent());
    Decimal::new(minor, exp).to_string()
}

struct Csv {
    out: String,
    rows: u64,
}

impl Csv {
    fn new(header: &[&str]) -> Csv {
        let mut c = Csv {
            out: String::new(),
            rows: 0,
        };
        c.line(header.iter().map(|h| field(h)).collect());
        c.rows = 0;
        c
    }

    fn line(&mut self, fields: Vec<String>) {
        self.out.push_str(&fields.join(","));
        self.out.push_str("\r\n");
        self.rows += 1;
    }
}

fn iso_date(ts: &str) -> String {
    ts.get(..10).unwrap_or(ts).to_string()
}

pub fn holdings_csv(store: &Store, client_id: i64, now: Timestamp) -> Result<(String, u64)> {
    store.read(|r| holdings_csv_from(r, client_id, now))
}

/// [`holdings_csv`] from either engine's reader.
pub fn holdings_csv_from(
    reads: &impl BookReads,
    client_id: i64,
    now: Timestamp,
) -> Result<(String, u64)> {
    Ok(holdings_table(
        &client_overview_from(reads, client_id, now)?.holdings,
    ))
}

/// The holdings CSV of any holdings view (a client's or a household's).
pub fn holdings_table(holdings: &[HoldingView]) -> (String, u64) {
    let mut csv = Csv::new(&[
        "name",
        "isin",
        "asset_class",
        "units",
        "value",
        "currency",
        "weight_percent",
        "as_of",
    ]);
    for h in holdings {
        csv.line(vec![
            text_field(&h.name),
            text_field(h.isin.as_deref().unwrap_or("")),
            field(&h.asset_class),
            field(h.units.as_deref().unwrap_or("")),
            amount(h.value_minor, &h.currency),
            field(&h.currency),
            Decimal::new(h.weight_bp, 2).to_string(),
            h.as_of.as_deref().map(iso_date).unwrap_or_default(),
        ]);
    }
    (csv.out, csv.rows)
}

/// The transactions CSV, one line at a time (a client's or a household's).
pub struct TransactionsCsv(Csv);

impl Default for TransactionsCsv {
    fn default() -> Self {
        TransactionsCsv(Csv::new(&[
            "date",
            "account",
            "description",
            "counterparty",
            "category",
            "amount",
            "currency",
            "balance_after",
            "status",
        ]))
    }
}

impl TransactionsCsv {
    pub fn push(&mut self, t: &TransactionLine) {
        self.0.line(vec![
            iso_date(&t.booking_date),
            text_field(&t.account_name),
            text_field(&t.description),
            text_field(t.counterparty.as_deref().unwrap_or("")),
            text_field(t.category.as_deref().unwrap_or("")),
            amount(t.amount_minor, &t.currency),
            field(&t.currency),
            t.balance_minor
                .map(|b| amount(b, &t.currency))
                .unwrap_or_default(),
            field(&t.presence),
        ]);
    }

    pub fn finish(self) -> (String, u64) {
        (self.0.out, self.0.rows)
    }
}

pub fn transactions_csv(store: &Store, client_id: i64) -> Result<(String, u64)> {
    store.read(|r| transactions_csv_from(r, client_id))
}

/// [`transactions_csv`] from either engine's reader.
pub fn transactions_csv_from(reads: &impl BookReads, client_id: i64) -> Result<(String, u64)> {
    clients::get_from(reads, client_id)?;
    transactions_table_from(reads, &[client_id])
}

/// The transactions CSV of a set of clients read as one (a client's, a household's), each
/// account's lines once, streamed from the reader a line at a time.
pub fn transactions_table_from(reads: &impl BookReads, clients: &[i64]) -> Result<(String, u64)> {
    let mut csv = TransactionsCsv::default();
    reads.each_transaction(Clients(clients), &mut |t| csv.push(&t))?;
    Ok(csv.finish())
}

/// One line per client and currency (a client with two currencies has two lines; a client
/// without data has one line with empty amounts).
pub fn book_csv(store: &Store, now: Timestamp) -> Result<(String, u64)> {
    store.read(|r| book_csv_from(r, now))
}

/// [`book_csv`] from either engine's reader.
pub fn book_csv_from(reads: &impl BookReads, now: Timestamp) -> Result<(String, u64)> {
    let book = book_summary_from(reads, now)?;
    let mut csv = Csv::new(&[
        "client_id",
        "client",
        "currency",
        "assets",
        "liabilities",
        "net",
        "connections",
        "health",
        "data_as_of",
        "stale",
    ]);
    for r in &book.clients {
        let health = serde_json::to_value(r.health)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let as_of = r
            .data_as_of
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let common = |cur: &str, a: String, l: String, n: String| {
            vec![
                r.client_id.to_string(),
                text_field(&r.name),
                field(cur),
                a,
                l,
                n,
                r.connection_count.to_string(),
                health.clone(),
                as_of.clone(),
                r.stale.to_string(),
            ]
        };
        if r.totals.is_empty() {
            csv.line(common("", String::new(), String::new(), String::new()));
        }
        for t in &r.totals {
            csv.line(common(
                &t.currency,
                amount(t.assets_minor, &t.currency),
                amount(t.liabilities_minor, &t.currency),
                amount(t.net_minor, &t.currency),
            ));
        }
    }
    Ok((csv.out, csv.rows))
}

/// Checks a path the UI sent before anything is written there.
pub fn validate_export_path(path: &str) -> Result<PathBuf> {
    if path.len() > MAX_EXPORT_PATH_LEN || path.chars().any(char::is_control) {
        return Err(CoreError::invalid(format!(
            "the export path must be at most {MAX_EXPORT_PATH_LEN} bytes, without control characters"
        )));
    }
    let p = Path::new(path.trim());
    if !p.is_absolute() {
        return Err(CoreError::invalid("the export path must be absolute"));
    }
    // `Path::components` drops inner `.` segments, so look at the text itself too.
    let dots = path
        .trim()
        .split(['/', '\\'])
        .any(|seg| seg == "." || seg == "..");
    if dots
        || p.components()
            .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
    {
        return Err(CoreError::invalid(
            "the export path must not contain \".\" or \"..\"",
        ));
    }
    let name = p
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CoreError::invalid("the export path needs a file name"))?;
    if !name.to_ascii_lowercase().ends_with(".csv") || name.len() <= 4 {
        return Err(CoreError::invalid("the export file name must end in .csv"));
    }
    let dir = p
        .parent()
        .ok_or_else(|| CoreError::invalid("the export path needs a folder"))?;
    if !dir.is_dir() {
        return Err(CoreError::invalid(format!(
            "the folder {} does not exist",
            dir.display()
        )));
    }
    if p.exists() || p.symlink_metadata().is_ok() {
        return Err(CoreError::invalid(format!(
            "{} already exists; choose another name (files are never overwritten)",
            p.display()
        )));
    }
    Ok(p.to_path_buf())
}

/// Checks `path`, then builds the CSV with `build` (from whichever book is in use) and writes
/// it to a new file there: a bad path costs no read. The app's, the CLI's and the `&Store`
/// exports all go through it.
pub fn export_to<E: From<CoreError>>(
    path: &str,
    build: impl FnOnce() -> std::result::Result<(String, u64), E>,
) -> std::result::Result<ExportResult, E> {
    validate_export_path(path)?;
    let (csv, rows) = build()?;
    Ok(write_export(path, &csv, rows)?)
}

/// Writes `content` to a new file at a validated path.
pub fn write_export(path: &str, content: &str, rows: u64) -> Result<ExportResult> {
    let p = validate_export_path(path)?;
    // 0600: an export holds client data like the database does.
    let mut f = crate::store::create_private_file(&p).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CoreError::invalid(format!("{} already exists", p.display()))
        } else {
            CoreError::Io(e)
        }
    })?;
    f.write_all(content.as_bytes())?;
    f.sync_all()?;
    Ok(ExportResult {
        path: p.display().to_string(),
        rows,
        bytes: content.len() as u64,
    })
}

/// A free file name in `<data_dir>/exports/` for `stem` (`stem.csv`, `stem-2.csv`, …); the
/// folder is created. The UI shows it pre-filled; the advisor may change it.
pub fn suggest_export_path(data_dir: &Path, stem: &str) -> Result<String> {
    let dir = data_dir.join(EXPORTS_DIR);
    crate::store::create_private_dir(&dir)?;
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let safe = if safe.is_empty() {
        "export".into()
    } else {
        safe
    };
    for n in 1..10_000 {
        let name = if n == 1 {
            format!("{safe}.csv")
        } else {
            format!("{safe}-{n}.csv")
        };
        let p = dir.join(name);
        if !p.exists() {
            return Ok(p.display().to_string());
        }
    }
    Err(CoreError::invalid("too many exports with this name"))
}

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    Holdings,
    Transactions,
    Book,
}

impl ExportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Holdings => "holdings",
            ExportKind::Transactions => "transactions",
            ExportKind::Book => "book",
        }
    }
}

fn client_for(kind: ExportKind, client_id: Option<i64>) -> Result<i64> {
    client_id
        .ok_or_else(|| CoreError::invalid(format!("a {} export needs a client", kind.as_str())))
}

/// A suggested file in the data folder's `exports/`: `<client>-<kind>-<date>.csv`.
pub fn suggest_path(
    store: &Store,
    kind: ExportKind,
    client_id: Option<i64>,
    now: Timestamp,
) -> Result<String> {
    let data_dir = store
        .path()
        .and_then(Path::parent)
        .ok_or_else(|| CoreError::invalid("this database has no data folder"))?;
    let stem = store.read(|r| export_stem_from(r, kind, client_id, now))?;
    suggest_export_path(data_dir, &stem)
}

/// The name a suggested export file starts with: `book-<date>` or `<client>-<kind>-<date>`.
pub fn export_stem_from(
    reads: &impl BookReads,
    kind: ExportKind,
    client_id: Option<i64>,
    now: Timestamp,
) -> Result<String> {
    Ok(match kind {
        ExportKind::Book => format!("book-{}", now.format("%Y-%m-%d")),
        _ => format!(
            "{}-{}-{}",
            clients::get_from(reads, client_for(kind, client_id)?)?.name,
            kind.as_str(),
            now.format("%Y-%m-%d")
        ),
    })
}

/// The CSV for `kind` (of one client for holdings and transactions), without writing it.
pub fn csv_from(
    reads: &impl BookReads,
    kind: ExportKind,
    client_id: Option<i64>,
    now: Timestamp,
) -> Result<(String, u64)> {
    match kind {
        ExportKind::Holdings => holdings_csv_from(reads, client_for(kind, client_id)?, now),
        ExportKind::Transactions => transactions_csv_from(reads, client_for(kind, client_id)?),
        ExportKind::Book => book_csv_from(reads, now),
    }
}

/// Builds the CSV for `kind` and writes it to a new file at `path` (validated first, so a bad
/// path costs no read).
pub fn export_csv(
    store: &Store,
    kind: ExportKind,
    client_id: Option<i64>,
    path: &str,
    now: Timestamp,
) -> Result<ExportResult> {
    export_to(path, || store.read(|r| csv_from(r, kind, client_id, now)))
}

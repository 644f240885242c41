//! The review report an advisor hands a client: a PDF of a client's or a household's
//! figures, in English, Spanish or French, on A4 or Letter.
//!
//! Built with [krilla](https://docs.rs/krilla) (the PDF writer behind Typst's PDF export):
//! fonts are embedded and subset, text stays selectable, charts are vector paths. The fonts
//! are DejaVu Sans and DejaVu Sans Bold (`fonts/`, with their licence), which cover the
//! Latin, Greek and Cyrillic names a book may hold.
//!
//! ```text
//! model.rs   what the report shows, gathered from the read models and the rates
//! render.rs  the sections, in order
//! layout.rs  flowing layout, tables, charts, page numbers
//! pdf.rs     fonts, text measurement and the krilla output
//! i18n.rs    words, numbers and dates in en / es / fr
//! ```

pub mod i18n;
mod layout;
pub mod model;
mod pdf;
mod render;
pub mod settings;

use std::io::Write;
use std::path::Path;

use advisor_desk_core::time::Timestamp;
use advisor_desk_core::{CoreError, Store};

pub use i18n::Lang;
pub use model::Report;
pub use settings::{Paper, ReportProfile, ReportSettings};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("the report's embedded font could not be read")]
    Font,
    #[error("the paper size is not valid")]
    Paper,
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error("cannot write the report to {path}: {reason}")]
    File { path: String, reason: String },
}

/// The PDF of a gathered report.
pub fn render(report: &Report) -> Result<Vec<u8>, ReportError> {
    let fonts = pdf::Fonts::load()?;
    let pages = render::pages(report, &fonts);
    let lang = report.settings.lang;
    pdf::write(
        &pages,
        report.settings.paper.size(),
        &format!("{} — {}", lang.t(i18n::Text::ReportTitle), report.title),
        lang.code(),
        report.settings.advisor_name.as_deref(),
    )
}

pub fn client_pdf(
    store: &Store,
    client_id: i64,
    settings: &ReportSettings,
    now: Timestamp,
) -> Result<Vec<u8>, ReportError> {
    render(&model::client_report(store, client_id, settings, now)?)
}

pub fn household_pdf(
    store: &Store,
    household_id: i64,
    settings: &ReportSettings,
    now: Timestamp,
) -> Result<Vec<u8>, ReportError> {
    render(&model::household_report(
        store,
        household_id,
        settings,
        now,
    )?)
}

/// Writes `bytes` to a new file (never over an existing one), readable by its owner only.
pub fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let fail = |e: std::io::Error| ReportError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let mut file = advisor_desk_core::store::create_private_file(path).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.sync_all().map_err(fail)
}

/// Saves a report in the data folder's `exports/` (0700) under a free name
/// (`<stem>.pdf`, `<stem>-2.pdf`, …), for the app's "Download report".
pub fn save_in_exports(
    data_dir: &Path,
    stem: &str,
    bytes: &[u8],
) -> Result<std::path::PathBuf, ReportError> {
    let dir = data_dir.join(advisor_desk_core::reads::export::EXPORTS_DIR);
    let fail = |e: std::io::Error| ReportError::File {
        path: dir.display().to_string(),
        reason: e.to_string(),
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).map_err(fail)?;
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
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
    for n in 1..10_000 {
        let name = if n == 1 {
            format!("{safe}.pdf")
        } else {
            format!("{safe}-{n}.pdf")
        };
        let path = dir.join(name);
        if !path.exists() {
            write_new_file(&path, bytes)?;
            return Ok(path);
        }
    }
    Err(ReportError::File {
        path: dir.display().to_string(),
        reason: "too many reports with this name".into(),
    })
}

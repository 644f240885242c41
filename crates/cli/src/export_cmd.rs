//! `export book|holdings|transactions [--client ID | --household ID] --out FILE`: the same CSV
//! code as the app's Export screen (RFC 4180, formula-safe, never over an existing file). The
//! CLI works on the solo book only (firm mode is the app's; see ARCHITECTURE.md).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use advisor_desk_core::households::export::ExportOf;
use advisor_desk_core::reads::export::{export_to, ExportKind};
use advisor_desk_core::{time, CoreError};

use crate::{output, Context};

#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    Book,
    Holdings,
    Transactions,
}

impl From<KindArg> for ExportKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Book => ExportKind::Book,
            KindArg::Holdings => ExportKind::Holdings,
            KindArg::Transactions => ExportKind::Transactions,
        }
    }
}

#[derive(Args)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_enum)]
    kind: KindArg,
    /// The client whose holdings or transactions to export.
    #[arg(long, conflicts_with = "household")]
    client: Option<i64>,
    /// The household whose holdings or transactions to export (joint accounts once).
    #[arg(long)]
    household: Option<i64>,
    /// The CSV file to write (a new `.csv` file in an existing folder).
    #[arg(long, value_name = "FILE.csv")]
    out: PathBuf,
}

pub fn run(ctx: &Context, args: ExportArgs) -> Result<ExitCode, CoreError> {
    let store = ctx.open_store()?;
    // The app's validator wants an absolute path; a script may give a relative one.
    let out = std::path::absolute(&args.out)?;
    let path = out
        .to_str()
        .ok_or_else(|| CoreError::invalid("the export path must be valid UTF-8"))?;
    let kind = ExportKind::from(args.kind);
    let of = ExportOf::from_args(kind, args.client, args.household)?;
    let now = time::now();
    let result = export_to(path, || store.read(|r| of.csv_from(r, kind, now)))?;
    if ctx.json {
        output::json(&result);
    } else {
        println!("Wrote {} rows to {}", result.rows, result.path);
    }
    Ok(ExitCode::SUCCESS)
}

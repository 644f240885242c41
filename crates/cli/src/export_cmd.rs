//! `export book|holdings|transactions [--client ID | --household ID] --out FILE`: the same CSV
//! code as the app's Export screen (RFC 4180, formula-safe, never over an existing file).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use advisor_desk_core::households::export::export_household_csv;
use advisor_desk_core::reads::export::{export_csv, ExportKind};
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
    if matches!(kind, ExportKind::Book) && (args.client.is_some() || args.household.is_some()) {
        return Err(CoreError::invalid(
            "the book export covers every client: --client and --household do not apply",
        ));
    }
    let result = match args.household {
        Some(h) => export_household_csv(&store, kind, h, path, time::now())?,
        None => export_csv(&store, kind, args.client, path, time::now())?,
    };
    if ctx.json {
        output::json(&result);
    } else {
        println!("Wrote {} rows to {}", result.rows, result.path);
    }
    Ok(ExitCode::SUCCESS)
}

//! `report --client ID | --household ID --out FILE.pdf` and `report --all --out-dir DIR`:
//! the review report PDF, in the language asked for (else the interface language).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use advisor_desk_core::{time, CoreError, Store};
use advisor_desk_report::{
    client_pdf, household_pdf, write_new_file, Lang, ReportError, ReportSettings,
};

use crate::{output, progress::Progress, rates_refresh, Context};

#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// One client's report.
    #[arg(long, requires = "out")]
    client: Option<i64>,
    /// One household's report.
    #[arg(long, requires = "out")]
    household: Option<i64>,
    /// Every active client's and every household's report, into --out-dir.
    #[arg(long, requires = "out_dir")]
    all: bool,
}

#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    target: Target,
    /// The PDF to write (never overwritten).
    #[arg(long, value_name = "FILE.pdf", conflicts_with = "all")]
    out: Option<PathBuf>,
    /// The folder for --all (created if missing; existing files are never overwritten).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// The report's language (default: the interface language).
    #[arg(long, value_enum)]
    lang: Option<LangArg>,
    /// Use the cached rates only (no fetch, even when due).
    #[arg(long)]
    offline: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LangArg {
    En,
    Es,
    Fr,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Self {
        match l {
            LangArg::En => Lang::En,
            LangArg::Es => Lang::Es,
            LangArg::Fr => Lang::Fr,
        }
    }
}

fn core(e: ReportError) -> CoreError {
    match e {
        ReportError::Core(c) => c,
        other => CoreError::Io(std::io::Error::other(other.to_string())),
    }
}

fn pdf_path(p: &Path) -> Result<(), CoreError> {
    let is_pdf = p
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    if !is_pdf {
        return Err(CoreError::invalid(format!(
            "{} must end in .pdf",
            p.display()
        )));
    }
    if p.exists() {
        return Err(CoreError::invalid(format!(
            "{} already exists; choose another name (files are never overwritten)",
            p.display()
        )));
    }
    Ok(())
}

/// A file name from an id and a name: `client-12-ana-ruiz.pdf`.
fn file_name(kind: &str, id: i64, name: &str) -> String {
    let slug: String = name
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
    format!("{kind}-{id}-{slug}.pdf")
}

pub fn run(ctx: &Context, args: ReportArgs) -> Result<ExitCode, CoreError> {
    let store = ctx.open_store()?;
    if !args.offline {
        rates_refresh::refresh(&store)?;
    }
    let settings = ReportSettings::load(&store, args.lang.map(Lang::from))?;
    let now = time::now();
    if args.target.all {
        let dir = args.out_dir.unwrap_or_default();
        return all(ctx, &store, &settings, &dir);
    }
    let out = args.out.unwrap_or_default();
    pdf_path(&out)?;
    let bytes = match (args.target.client, args.target.household) {
        (Some(id), _) => client_pdf(&store, id, &settings, now),
        (_, Some(id)) => household_pdf(&store, id, &settings, now),
        _ => return Err(CoreError::invalid("say --client, --household or --all")),
    }
    .map_err(core)?;
    write_new_file(&out, &bytes).map_err(core)?;
    if ctx.json {
        output::json(&serde_json::json!({"path": out.display().to_string(), "bytes": bytes.len()}));
    } else {
        println!("Wrote {} ({} bytes)", out.display(), bytes.len());
    }
    Ok(ExitCode::SUCCESS)
}

enum Subject {
    Household(i64),
    Client(i64),
}

/// Every household, then every active client, one PDF each, rendered and written one at a
/// time so memory does not grow with the book.
fn all(
    ctx: &Context,
    store: &Store,
    settings: &ReportSettings,
    dir: &Path,
) -> Result<ExitCode, CoreError> {
    std::fs::create_dir_all(dir)?;
    let households = advisor_desk_core::households::list(store)?;
    let clients = advisor_desk_core::clients::list(store, false)?;
    let mut jobs: Vec<(String, Subject)> = Vec::new();
    for h in &households {
        let id = h.household.id;
        jobs.push((
            file_name("household", id, &h.household.name),
            Subject::Household(id),
        ));
    }
    for c in &clients {
        jobs.push((file_name("client", c.id, &c.name), Subject::Client(c.id)));
    }
    let mut progress = Progress::new(jobs.len() as u64, "reports");
    let mut written = Vec::new();
    for (name, job) in jobs {
        let path = dir.join(&name);
        pdf_path(&path)?;
        let bytes = match job {
            Subject::Household(id) => household_pdf(store, id, settings, time::now()),
            Subject::Client(id) => client_pdf(store, id, settings, time::now()),
        }
        .map_err(core)?;
        write_new_file(&path, &bytes).map_err(core)?;
        written.push(path.display().to_string());
        progress.step(&name);
    }
    progress.finish();
    if ctx.json {
        output::json(&serde_json::json!({"written": written}));
    } else {
        println!("Wrote {} reports to {}", written.len(), dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

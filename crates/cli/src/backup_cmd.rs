//! `backup`: take a checked backup now, or list the backups.

use std::process::ExitCode;

use clap::Args;

use advisor_desk_core::store::{backup_summaries, BackupKind};
use advisor_desk_core::{paths, CoreError};

use crate::{output, Context};

#[derive(Args)]
pub struct BackupArgs {
    /// List the backups instead of taking one.
    #[arg(long)]
    list: bool,
}

pub fn run(ctx: &Context, args: BackupArgs) -> Result<ExitCode, CoreError> {
    if args.list {
        // Listing reads the backups only: it works even when the database does not open.
        let backups = backup_summaries(&paths::database_path(&ctx.data_dir))?;
        if ctx.json {
            output::json(&backups);
        } else if backups.is_empty() {
            println!("No backups yet. Take one with: advisor-desk-cli backup");
        } else {
            for b in &backups {
                let holds = match &b.rows {
                    Some(rows) => format!(
                        "{} clients, {} connections",
                        rows.get("clients").copied().unwrap_or(0),
                        rows.get("connections").copied().unwrap_or(0)
                    ),
                    None => "unreadable".to_string(),
                };
                println!(
                    "{}  {:<16} {:<28} {}",
                    b.file.taken_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    format!("{:?}", b.file.kind),
                    holds,
                    b.file.path.display()
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let store = ctx.open_store()?;
    let taken = store
        .take_backup(BackupKind::OnDemand)?
        .ok_or_else(|| CoreError::invalid("this store has no file to back up"))?;
    if ctx.json {
        output::json(&taken);
    } else {
        println!("Backup taken and checked: {}", taken.file.path.display());
        let count = |t: &str| taken.rows.get(t).copied().unwrap_or(0);
        println!(
            "It holds {} clients, {} connections, {} transactions.",
            count("clients"),
            count("connections"),
            count("transactions")
        );
    }
    Ok(ExitCode::SUCCESS)
}

//! `restore --latest | FILE`: the book back from a backup, the current file kept aside.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use advisor_desk_core::book::{self, Restored};
use advisor_desk_core::secrets::KeyringStore;
use advisor_desk_core::{paths, CoreError};

use crate::{output, Context};

#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct RestoreArgs {
    /// Restore the newest backup that passes the integrity check.
    #[arg(long)]
    latest: bool,
    /// The backup file to restore.
    file: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: RestoreArgs) -> Result<ExitCode, CoreError> {
    let db = paths::database_path(&ctx.data_dir);
    let from = match args.file {
        Some(file) => file,
        None => book::latest_backup(&db)?,
    };
    let keychain = KeyringStore::from_env();
    let restored = book::restore(&db, &from, &keychain)?;
    if ctx.json {
        output::json(&restored);
    } else {
        print_text(&restored);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(r: &Restored) {
    println!("Restored from {}", r.from.display());
    let count = |t: &str| r.rows.get(t).copied().unwrap_or(0);
    println!(
        "The book now holds {} clients, {} connections, {} transactions.",
        count("clients"),
        count("connections"),
        count("transactions")
    );
    if let Some(aside) = &r.set_aside {
        println!("The replaced database is kept at {}", aside.display());
    }
    if let Some(before) = &r.backup_before {
        println!("It was backed up first: {}", before.display());
    }
    if let Some(e) = &r.found_since_backup_error {
        println!(
            "The keychain could not be searched for connections made since: {}",
            e.message
        );
    }
    if r.found_since_backup.is_empty() {
        return;
    }
    println!(
        "{} connection(s) made since this backup are still in the keychain; confirm each for a client:",
        r.found_since_backup.len()
    );
    r.found_since_backup
        .iter()
        .for_each(crate::reattach_cmd::print_found);
    println!("Confirm one with: advisor-desk-cli reattach CREDENTIAL --client ID");
}

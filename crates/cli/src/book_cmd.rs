//! `book export --out FILE` / `book import FILE`: the whole book, secrets included, as one
//! passphrase-encrypted file. The passphrase is read from the terminal (typed twice for an
//! export) or, when stdin is not a terminal, from its first line — never from an argument.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use zeroize::Zeroizing;

use advisor_desk_core::book;
use advisor_desk_core::secrets::KeyringStore;
use advisor_desk_core::{paths, CoreError};

use crate::{output, Context};

#[derive(Subcommand)]
pub enum BookCommand {
    /// Write the book and every secret it refers to into one encrypted file.
    Export {
        /// The file to write (must not exist yet).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Bring a book file into this (new, empty) installation and its keychain.
    Import {
        /// The file written by `book export`.
        file: PathBuf,
    },
}

pub fn run(ctx: &Context, cmd: BookCommand) -> Result<ExitCode, CoreError> {
    let keychain = KeyringStore::from_env();
    match cmd {
        BookCommand::Export { out } => {
            let store = ctx.open_store()?;
            let passphrase = passphrase(true)?;
            let done = book::export_book(&store, &keychain, &out, &passphrase)?;
            if ctx.json {
                output::json(&done);
            } else {
                println!("Book written to {}", done.path.display());
                println!(
                    "It holds {} provider keys and {} connection credentials; keep the passphrase apart from the file.",
                    done.provider_keys, done.connection_tokens
                );
                if done.tokens_missing > 0 {
                    println!(
                        "{} connection(s) had no credential in the keychain and travel without one.",
                        done.tokens_missing
                    );
                }
            }
        }
        BookCommand::Import { file } => {
            let passphrase = passphrase(false)?;
            let db = paths::database_path(&ctx.data_dir);
            let done = book::import_book(&db, &keychain, &file, &passphrase)?;
            if ctx.json {
                output::json(&done);
            } else {
                let count = |t: &str| done.rows.get(t).copied().unwrap_or(0);
                println!(
                    "Book imported: {} clients, {} connections; {} provider keys and {} credentials are in this computer's keychain.",
                    count("clients"),
                    count("connections"),
                    done.provider_keys,
                    done.connection_tokens
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn passphrase(confirm: bool) -> Result<Zeroizing<String>, CoreError> {
    crate::prompt::secret_line(None, "Passphrase", confirm)
}

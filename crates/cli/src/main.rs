//! `advisor-desk-cli`: the Advisor Desk core without a window.

mod backup_cmd;
mod book_cmd;
mod clients_cmd;
mod doctor_cmd;
mod exit;
mod export_cmd;
mod firm_cmd;
mod health_cmd;
mod households_cmd;
mod links_cmd;
mod output;
mod progress;
mod prompt;
mod provider_cmd;
mod rates_refresh;
mod reattach_cmd;
mod rebuild_cmd;
mod report_cmd;
mod restore_cmd;
mod sandbox_cmd;
mod sync_cmd;
mod wiring;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use advisor_desk_core::{paths, Store};

#[derive(Parser)]
#[command(
    name = "advisor-desk-cli",
    version,
    about = "Advisor Desk from the command line"
)]
struct Cli {
    /// The data folder (defaults to the platform's application data folder).
    #[arg(long, global = true, env = paths::DATA_DIR_ENV, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Take a checked backup of the database now (or list the backups with --list).
    Backup(backup_cmd::BackupArgs),
    /// Move the whole book to another computer: export to / import from one encrypted file.
    #[command(subcommand)]
    Book(book_cmd::BookCommand),
    /// Manage the book of clients.
    #[command(subcommand)]
    Clients(clients_cmd::ClientsCommand),
    /// Check the data folder, database, keychain and provider configuration.
    Doctor,
    /// Export CSV like the app's Export screen: the book, or a client's or household's
    /// holdings or transactions.
    Export(export_cmd::ExportArgs),
    /// A firm's shared book on PostgreSQL: create the firm, invite and remove members, join,
    /// status, and move this data folder's solo book in.
    #[command(subcommand)]
    Firm(firm_cmd::FirmCommand),
    /// The health queue: each connection that needs someone, its state, who must act and the
    /// consent forecast (when the bank will probably ask for SCA again); then the healthy
    /// ones whose SCA is due within 14 days.
    Health,
    /// Reauthorization links for clients who are not in the room.
    #[command(subcommand)]
    Links(links_cmd::LinksCommand),
    /// Manage households (groups of clients).
    #[command(subcommand)]
    Households(households_cmd::HouseholdsCommand),
    /// Support tools for provider answers: `provider decode` runs a saved answer through the
    /// sync's own decoder and normaliser.
    #[command(subcommand)]
    Provider(provider_cmd::ProviderCommand),
    /// Write the review report PDF of a client, a household, or the whole book.
    Report(report_cmd::ReportArgs),
    /// Connections found again in the keychain after a restore: list them, or attach one to
    /// a client.
    Reattach(reattach_cmd::ReattachArgs),
    /// Rebuild the book from the provider when everything else is gone: list the Flanks
    /// credentials the book lacks with the client each one's link named, and attach them
    /// (then synced). Flinks logins cannot be listed: only a book export keeps them.
    Rebuild(rebuild_cmd::RebuildArgs),
    /// Restore the book from a backup (--latest or a file); the current database is kept aside.
    Restore(restore_cmd::RestoreArgs),
    /// Run the provider sandbox (Flanks + Flinks imitation) on this machine.
    #[command(subcommand)]
    Sandbox(sandbox_cmd::SandboxCommand),
    /// Sync provider data for one client's connections or all of them.
    Sync {
        #[command(flatten)]
        which: sync_cmd::SyncArgs,
        #[command(flatten)]
        options: sync_cmd::SyncOptionsArgs,
    },
}

/// What a command needs from the environment.
pub struct Context {
    pub data_dir: PathBuf,
    pub json: bool,
}

impl Context {
    pub fn open_store(&self) -> Result<Store, advisor_desk_core::CoreError> {
        Store::open(&paths::database_path(&self.data_dir))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = Context {
        data_dir: cli
            .data_dir
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(paths::data_dir),
        json: cli.json,
    };
    let result = match cli.command {
        Command::Backup(args) => backup_cmd::run(&ctx, args),
        Command::Book(cmd) => book_cmd::run(&ctx, cmd),
        Command::Clients(cmd) => clients_cmd::run(&ctx, cmd),
        Command::Doctor => doctor_cmd::run(&ctx),
        Command::Export(args) => export_cmd::run(&ctx, args),
        Command::Firm(cmd) => return firm_cmd::run(&ctx, cmd),
        Command::Health => health_cmd::run(&ctx),
        Command::Households(cmd) => households_cmd::run(&ctx, cmd),
        Command::Provider(cmd) => return provider_cmd::run(&ctx, cmd),
        Command::Links(cmd) => links_cmd::run(&ctx, cmd),
        Command::Report(args) => report_cmd::run(&ctx, args),
        Command::Reattach(args) => reattach_cmd::run(&ctx, args),
        Command::Rebuild(args) => rebuild_cmd::run(&ctx, args),
        Command::Restore(args) => restore_cmd::run(&ctx, args),
        Command::Sandbox(cmd) => return sandbox_cmd::run(cmd),
        Command::Sync { which, options } => sync_cmd::run(&ctx, which, options),
    };
    match result {
        Ok(code) => code,
        Err(e) => output::error(&ctx, &e),
    }
}

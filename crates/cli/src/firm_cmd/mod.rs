//! `advisor-desk-cli firm …`: a firm's shared book on PostgreSQL from the command line —
//! creating the firm (`create`), inviting a member (`invite`), joining (`join`), where this
//! data folder stands (`status`), moving its solo book in (`move-in`), removing a member with
//! the firm key's rotation (`remove-advisor`) and taking the new key (`accept-key-update`).
//! Secrets are read from files or the terminal, never from arguments, and live only in the
//! keychain; refusals are `{code, message}` with the exit codes of `crate::exit`.

mod create;
mod failure;
mod invite;
mod join;
mod key_update;
mod local;
mod move_in;
mod remove;
mod status;

use std::process::ExitCode;

use clap::Subcommand;

use advisor_desk_core::secrets::KeyringStore;

use crate::{exit, output, Context};
use failure::Failure;

#[derive(Subcommand)]
pub enum FirmCommand {
    /// Create the firm on its PostgreSQL database (as the database's owner role): the schema,
    /// the firm key in this computer's keychain, you as its first administrator.
    Create(create::CreateArgs),
    /// Add a member and write their passphrase-protected invite file (administrator).
    Invite(invite::InviteArgs),
    /// Join a firm with the invite file from its administrator.
    Join(join::JoinArgs),
    /// The firm this data folder belongs to, the server, your role, and whether it answers.
    Status,
    /// Move this data folder's solo book into the firm database (all or nothing; the solo
    /// book is kept, marked moved).
    MoveIn(move_in::MoveInArgs),
    /// Remove a member: the firm key is rotated and the new key written for the others
    /// (administrator).
    RemoveAdvisor(remove::RemoveArgs),
    /// File the new firm key from the administrator's key update file.
    AcceptKeyUpdate(key_update::AcceptKeyUpdateArgs),
}

pub fn run(ctx: &Context, cmd: FirmCommand) -> ExitCode {
    match run_command(ctx, cmd) {
        Ok(code) => code,
        Err(failure) => failure.report(ctx),
    }
}

fn run_command(ctx: &Context, cmd: FirmCommand) -> Result<ExitCode, Failure> {
    let keychain = KeyringStore::from_env();
    let solo = ctx.open_store()?;
    match cmd {
        FirmCommand::Create(args) => {
            let created = create::run(&solo, &keychain, args)?;
            if ctx.json {
                output::json(&created);
            } else {
                println!(
                    "Firm '{}' created ({}), schema version {}; you ({}) are its administrator.",
                    created.firm.firm_name,
                    created.firm.firm,
                    created.schema_version,
                    created.firm.role
                );
                println!(
                    "Its key is in this computer's keychain. Invite members with `firm invite`."
                );
            }
        }
        FirmCommand::Join(args) => {
            let joined = join::run(&solo, &keychain, args)?;
            if ctx.json {
                output::json(&joined);
            } else {
                println!(
                    "Joined the firm '{}' as {}; its keys and your database password are in \
                     this computer's keychain.",
                    joined.firm.firm_name, joined.firm.role
                );
                print_reach(&joined.database);
            }
        }
        FirmCommand::Status => {
            let firm = local::required(&solo)?;
            let status = status::run(&keychain, firm);
            let reachable = matches!(status.database, status::Reach::Reachable { .. });
            if ctx.json {
                output::json(&status);
            } else {
                println!("Firm:    {} ({})", status.firm.firm_name, status.firm.firm);
                println!("Server:  {}", status.server);
                println!("Role:    {}", status.firm.role);
                print_reach(&status.database);
            }
            if !reachable {
                return Ok(ExitCode::from(exit::FIRM_UNREACHABLE));
            }
        }
        FirmCommand::Invite(args) => {
            let firm = local::required(&solo)?;
            let store = local::connect(&keychain, &firm)?;
            let invited = invite::run(&firm, &store, &keychain, args)?;
            if ctx.json {
                output::json(&invited);
            } else {
                println!(
                    "{} is a member of the firm; their invite is {} — give it to them, and its \
                     passphrase apart.",
                    invited.role,
                    invited.file.display()
                );
            }
        }
        FirmCommand::MoveIn(args) => {
            let firm = local::required(&solo)?;
            let store = local::connect(&keychain, &firm)?;
            let report = move_in::run(&solo, &keychain, &firm, &store, args)?;
            if ctx.json {
                output::json(&report);
            } else {
                move_in::print(&report, &firm.firm_name);
            }
        }
        FirmCommand::RemoveAdvisor(args) => {
            let firm = local::required(&solo)?;
            let store = local::connect(&keychain, &firm)?;
            let removed = remove::run(&solo, &keychain, firm, &store, args)?;
            if ctx.json {
                output::json(&removed);
            } else {
                println!(
                    "{} removed; the firm key moved from version {} to {} ({} secrets re-sealed).",
                    removed.role,
                    removed.old_key_version,
                    removed.new_key_version,
                    removed.resealed
                );
                println!(
                    "Give every remaining member {} and its passphrase (apart): `firm accept-key-update`.",
                    removed.key_update_file.display()
                );
            }
        }
        FirmCommand::AcceptKeyUpdate(args) => {
            let firm = local::required(&solo)?;
            let firm = key_update::run(&solo, &keychain, firm, args)?;
            if ctx.json {
                output::json(&firm);
            } else {
                println!(
                    "The firm key version {} is in this computer's keychain.",
                    firm.current_key_version().unwrap_or(0)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_reach(reach: &status::Reach) {
    match reach {
        status::Reach::Reachable {
            schema_version,
            member_kind,
            ..
        } => {
            println!("Database: reachable, schema version {schema_version}; you are {member_kind}.")
        }
        status::Reach::Unavailable { reason, .. } => {
            println!("Database: not available now — {reason}")
        }
    }
}

//! `households create|list|add-member|remove-member|move-member|delete`, each change audited.

use std::process::ExitCode;

use clap::Subcommand;

use advisor_desk_core::CoreError;

use crate::{output, Context};

const ACTOR: &str = "cli";

#[derive(Subcommand)]
pub enum HouseholdsCommand {
    /// Create a household (no members yet).
    Create {
        #[arg(long)]
        name: String,
    },
    /// List households with their members.
    List,
    /// Add a client that belongs to no household yet.
    AddMember {
        household: i64,
        #[arg(long)]
        client: i64,
    },
    /// Remove a client from its household.
    RemoveMember {
        household: i64,
        #[arg(long)]
        client: i64,
    },
    /// Move a member to another household.
    MoveMember {
        #[arg(long)]
        client: i64,
        #[arg(long)]
        to: i64,
    },
    /// Delete a household; its members stay clients.
    Delete { household: i64 },
}

pub fn run(ctx: &Context, cmd: HouseholdsCommand) -> Result<ExitCode, CoreError> {
    let store = ctx.open_store()?;
    match cmd {
        HouseholdsCommand::Create { name } => {
            let h = advisor_desk_core::households::create(&store, &name, ACTOR)?;
            if ctx.json {
                output::json(&h);
            } else {
                println!("Created household {} ({})", h.id, h.name);
            }
        }
        HouseholdsCommand::List => {
            let all = advisor_desk_core::households::list(&store)?;
            if ctx.json {
                output::json(&all);
            } else if all.is_empty() {
                println!("No households yet. Create one with: households create --name NAME");
            } else {
                for h in all {
                    let names: Vec<_> = h.members.iter().map(|c| c.name.as_str()).collect();
                    println!(
                        "{:>5}  {}  [{}]",
                        h.household.id,
                        h.household.name,
                        names.join(", ")
                    );
                }
            }
        }
        HouseholdsCommand::AddMember { household, client } => {
            advisor_desk_core::households::add_member(&store, household, client, ACTOR)?;
            println!("Client {client} joined household {household}");
        }
        HouseholdsCommand::RemoveMember { household, client } => {
            advisor_desk_core::households::remove_member(&store, household, client, ACTOR)?;
            println!("Client {client} left household {household}");
        }
        HouseholdsCommand::MoveMember { client, to } => {
            advisor_desk_core::households::move_member(&store, client, to, ACTOR)?;
            println!("Client {client} moved to household {to}");
        }
        HouseholdsCommand::Delete { household } => {
            advisor_desk_core::households::delete(&store, household, ACTOR)?;
            println!("Deleted household {household}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

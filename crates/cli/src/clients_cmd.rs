//! `clients add|list|show|contact|archive`.

use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};

use advisor_desk_core::clients::{Client, ClientKind, Language, NewClient};
use advisor_desk_core::CoreError;

use crate::{output, Context};
use advisor_desk_core::clients;

/// Who the audit log records for changes made from the command line.
const ACTOR: &str = "cli";

#[derive(Subcommand)]
pub enum ClientsCommand {
    /// Add a client.
    Add {
        /// Full name of the person or household.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "person")]
        kind: KindArg,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        /// Language of the messages sent to the client.
        #[arg(long, value_enum, default_value = "en")]
        language: LanguageArg,
    },
    /// List clients (archived ones with --archived).
    List {
        #[arg(long)]
        archived: bool,
    },
    /// Show one client.
    Show { id: i64 },
    /// Set how a client is reached: e-mail address and the language of messages to them.
    Contact {
        id: i64,
        /// The e-mail address; an empty value removes it.
        #[arg(long)]
        email: Option<String>,
        #[arg(long, value_enum)]
        language: LanguageArg,
    },
    /// Archive a client: hidden from the book, data kept.
    Archive { id: i64 },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    Person,
    Household,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LanguageArg {
    En,
    Es,
    Fr,
}

impl From<LanguageArg> for Language {
    fn from(l: LanguageArg) -> Self {
        match l {
            LanguageArg::En => Language::En,
            LanguageArg::Es => Language::Es,
            LanguageArg::Fr => Language::Fr,
        }
    }
}

impl From<KindArg> for ClientKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Person => ClientKind::Person,
            KindArg::Household => ClientKind::Household,
        }
    }
}

pub fn run(ctx: &Context, cmd: ClientsCommand) -> Result<ExitCode, CoreError> {
    let store = ctx.open_store()?;
    match cmd {
        ClientsCommand::Add {
            name,
            kind,
            email,
            phone,
            notes,
            language,
        } => {
            let input = NewClient {
                kind: Some(kind.into()),
                name,
                email,
                phone,
                notes,
                language: Some(language.into()),
            };
            let client = clients::add(&store, &input, ACTOR)?;
            if ctx.json {
                output::json(&client);
            } else {
                println!("Added client {} ({})", client.id, client.name);
            }
        }
        ClientsCommand::List { archived } => {
            let clients = clients::list(&store, archived)?;
            if ctx.json {
                output::json(&clients);
            } else if clients.is_empty() {
                println!("No clients yet. Add one with: advisor-desk-cli clients add --name \"…\"");
            } else {
                print_table(&clients);
            }
        }
        ClientsCommand::Show { id } => {
            let client = clients::get(&store, id)?;
            if ctx.json {
                output::json(&client);
            } else {
                print_client(&client);
            }
        }
        ClientsCommand::Contact {
            id,
            email,
            language,
        } => {
            let client = clients::set_contact(&store, id, &email, language.into(), ACTOR)?;
            if ctx.json {
                output::json(&client);
            } else {
                print_client(&client);
            }
        }
        ClientsCommand::Archive { id } => {
            let client = clients::archive(&store, id, ACTOR)?;
            if ctx.json {
                output::json(&client);
            } else {
                println!("Archived client {} ({})", client.id, client.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(clients: &[Client]) {
    let width = clients
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    println!("{:>5}  {:<width$}  {:<9}  E-MAIL", "ID", "NAME", "KIND");
    for c in clients {
        let name = if c.archived {
            format!("{} (archived)", c.name)
        } else {
            c.name.clone()
        };
        println!(
            "{:>5}  {:<width$}  {:<9}  {}",
            c.id,
            name,
            c.kind.as_str(),
            c.email.as_deref().unwrap_or("")
        );
    }
}

fn print_client(c: &Client) {
    println!("Client {}", c.id);
    println!("  name:     {}", c.name);
    println!("  kind:     {}", c.kind.as_str());
    println!("  e-mail:   {}", c.email.as_deref().unwrap_or("—"));
    println!("  language: {}", c.language.as_str());
    println!("  phone:    {}", c.phone.as_deref().unwrap_or("—"));
    println!("  archived: {}", if c.archived { "yes" } else { "no" });
    println!("  added:    {}", c.created_at);
    if !c.notes.is_empty() {
        println!("  notes:    {}", c.notes);
    }
}

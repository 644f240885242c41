//! `links send --connection ID`: the reauthorization link a connection needs (SCA link,
//! reset link, Flinks reconnect), bound to a link session like the app's "Send link", its
//! expiry, and the message for the client in their language. The app's poller finds the
//! completion and re-syncs.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;

use advisor_desk_core::links::{LinkError, LinkService, SentLinks};
use advisor_desk_core::secrets::{KeyringStore, SecretStore};
use advisor_desk_core::CoreError;

use crate::{exit, output, wiring, Context};

#[derive(Subcommand)]
pub enum LinksCommand {
    /// Make the link a connection needs for its client (Pending SCA, Blocked, Flinks MFA) and
    /// print it, its expiry and the ready message in the client's language. Nothing is
    /// e-mailed: send the message yourself. The link works once, for 24 hours.
    Send {
        /// The connection (see `advisor-desk-cli health`). Repeat for several: one message
        /// per client lists each of their banks.
        #[arg(long = "connection", value_name = "ID", required = true)]
        connections: Vec<i64>,
    },
}

pub fn run(ctx: &Context, cmd: LinksCommand) -> Result<ExitCode, CoreError> {
    match cmd {
        LinksCommand::Send { connections } => send(ctx, &connections),
    }
}

fn send(ctx: &Context, connections: &[i64]) -> Result<ExitCode, CoreError> {
    let store = Arc::new(ctx.open_store()?);
    // An unknown connection is refused before the keychain or a provider is asked.
    for id in connections {
        advisor_desk_core::sync::connections::get(&store, *id)?;
    }
    let secrets: Arc<dyn SecretStore> = Arc::new(KeyringStore::from_env());
    let wired = wiring::wire(store.clone(), secrets.clone())?;
    let service = LinkService::new(store, secrets, wired.providers, Some(wired.engine));
    let runtime = wiring::runtime()?;
    let sent = runtime
        .block_on(service.send_reauthorization_links(connections))
        .map_err(core_error)?;
    if ctx.json {
        output::json(&sent);
    } else {
        print_text(&sent);
    }
    Ok(if sent.not_sent.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILURE)
    })
}

/// The service's refusals are the core's (unknown connection, bad input); a provider or
/// keychain failure of one connection is reported in `not_sent` instead.
fn core_error(e: LinkError) -> CoreError {
    match e {
        LinkError::Core(e) => e,
        other => CoreError::invalid(other.to_string()),
    }
}

fn print_text(sent: &SentLinks) {
    for m in &sent.messages {
        println!(
            "To: {} <{}>",
            m.client_name,
            m.email.as_deref().unwrap_or("no e-mail address")
        );
        println!("Language: {}", m.language.as_str());
        for l in &m.links {
            println!(
                "Connection {} ({}): {} link, expires {}",
                l.connection_id,
                l.institution,
                l.purpose.as_str(),
                l.expires_at.format("%Y-%m-%d %H:%M UTC")
            );
            println!("  {}", l.url);
        }
        println!("Subject: {}\n", m.subject);
        println!("{}", m.body);
        if let Some(mailto) = &m.mailto {
            println!("Open in the mail client: {mailto}\n");
        }
    }
    for n in &sent.not_sent {
        eprintln!(
            "Connection {} ({}, {}): no link — {} ({})",
            n.connection_id, n.client_name, n.institution, n.message, n.code
        );
    }
}

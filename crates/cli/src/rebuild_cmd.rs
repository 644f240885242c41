//! `rebuild`: the book rebuilt from the provider when everything else is gone. Lists the
//! Flanks credentials the book lacks with the client each one's link named; attaches one, or
//! every matched one, and syncs what it attached. Flinks logins cannot be listed by the
//! provider: only a book export (`book export`) keeps them.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use advisor_desk_core::book::rebuild::{
    self, AttachTo, Proposal, ProviderCredential, Reattached, RebuildError, Unmatched,
};
use advisor_desk_core::domain::Provider;
use advisor_desk_core::links::LinkProviderApi;
use advisor_desk_core::secrets::{KeyringStore, SecretStore};
use advisor_desk_core::{CoreError, IpcError};

use crate::{exit, output, wiring, Context};

const ACTOR: &str = "cli";

const FLINKS_NOTE: &str = "Flinks logins cannot be listed by the provider: only a book export \
                           (advisor-desk-cli book export) keeps them.";

#[derive(Args)]
pub struct RebuildArgs {
    /// Attach this credential, as listed (the first characters of its hash, 8 or more), to
    /// --client or --new-client.
    #[arg(long, value_name = "CREDENTIAL", conflicts_with = "attach_matched")]
    attach: Option<String>,
    /// The client of the book it belongs to.
    #[arg(
        long,
        value_name = "ID",
        requires = "attach",
        conflicts_with = "new_client"
    )]
    client: Option<i64>,
    /// Create a client with this name for it.
    #[arg(long, value_name = "NAME", requires = "attach")]
    new_client: Option<String>,
    /// Attach every credential matched to a client of the book (by id or by name).
    #[arg(long)]
    attach_matched: bool,
    /// With --attach-matched: also create the clients the credentials name that the book
    /// does not have (an empty book's case).
    #[arg(long, requires = "attach_matched")]
    create_clients: bool,
}

pub fn run(ctx: &Context, args: RebuildArgs) -> Result<ExitCode, CoreError> {
    let store = Arc::new(ctx.open_store()?);
    let secrets: Arc<dyn SecretStore> = Arc::new(KeyringStore::from_env());
    let target = target(&args)?;
    let wired = wiring::wire(store.clone(), secrets.clone())?;
    let flanks = wired
        .providers
        .iter()
        .find(|p| p.provider() == Provider::Flanks)
        .map(|p| p.as_ref() as &dyn LinkProviderApi);
    let runtime = wiring::runtime()?;
    runtime.block_on(async {
        let done = if let (Some(prefix), Some(to)) = (&args.attach, &target) {
            let listed = match rebuild::list_missing(&store, flanks).await {
                Ok(l) => l,
                Err(e) => return Ok(failed(ctx, &e)),
            };
            let hash = one_hash(&listed, prefix)?;
            rebuild::reattach(&store, secrets.as_ref(), flanks, &hash, to, ACTOR)
                .await
                .map(|r| vec![r])
        } else if args.attach_matched {
            rebuild::reattach_matched(&store, secrets.as_ref(), flanks, args.create_clients, ACTOR)
                .await
        } else {
            return Ok(match rebuild::list_missing(&store, flanks).await {
                Ok(listed) => {
                    print_list(ctx, &listed);
                    ExitCode::SUCCESS
                }
                Err(e) => failed(ctx, &e),
            });
        };
        let done = match done {
            Ok(d) => d,
            Err(e) => return Ok(failed(ctx, &e)),
        };
        let mut synced = Vec::new();
        for r in &done {
            let outcome = wired.engine.sync_one(r.connection_id, &|_| {}).await;
            synced.push((r, outcome.status.as_str()));
        }
        print_done(ctx, &synced);
        Ok(ExitCode::SUCCESS)
    })
}

/// Where `--attach` goes; refused before the provider is asked.
fn target(args: &RebuildArgs) -> Result<Option<AttachTo>, CoreError> {
    let Some(prefix) = &args.attach else {
        return Ok(None);
    };
    if prefix.len() < 8 {
        return Err(CoreError::invalid(
            "give at least 8 characters of the credential",
        ));
    }
    match (args.client, &args.new_client) {
        (Some(client_id), None) => Ok(Some(AttachTo::Client { client_id })),
        (None, Some(name)) => Ok(Some(AttachTo::NewClient { name: name.clone() })),
        _ => Err(CoreError::invalid(
            "say who it belongs to: --client ID or --new-client NAME",
        )),
    }
}

fn one_hash(listed: &[ProviderCredential], prefix: &str) -> Result<String, CoreError> {
    let found: Vec<&ProviderCredential> = listed
        .iter()
        .filter(|c| c.token_hash.starts_with(prefix))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.token_hash.clone()),
        [] => Err(CoreError::not_found("credential to rebuild", prefix)),
        _ => Err(CoreError::invalid(
            "several credentials start so: give more characters",
        )),
    }
}

/// A refusal of the rebuild: `{code, message}` like every other error, exit 1 for the
/// provider's (the book is unchanged), the core's own codes otherwise.
fn failed(ctx: &Context, e: &RebuildError) -> ExitCode {
    match e {
        RebuildError::Core(core) => output::error(ctx, core),
        other => output::failure(ctx, &IpcError::from(other), exit::FAILURE),
    }
}

fn print_list(ctx: &Context, listed: &[ProviderCredential]) {
    if ctx.json {
        output::json(&serde_json::json!({ "flanks": listed, "flinks_note": FLINKS_NOTE }));
        return;
    }
    if listed.is_empty() {
        println!("Flanks holds no credential this book lacks.");
    }
    for c in listed {
        println!(
            "  {} {} — {}",
            &c.token_hash[..12],
            c.bank.as_deref().unwrap_or("?"),
            describe(&c.proposal)
        );
    }
    if !listed.is_empty() {
        println!(
            "Attach one with: advisor-desk-cli rebuild --attach CREDENTIAL --client ID \
             (or --new-client NAME); every matched one with --attach-matched \
             [--create-clients]."
        );
    }
    println!("{FLINKS_NOTE}");
}

fn describe(p: &Proposal) -> String {
    match p {
        Proposal::ById {
            client_id,
            client_name,
        } => format!("{client_name} (#{client_id}, by id)"),
        Proposal::ByName {
            client_id,
            client_name,
        } => format!("{client_name} (#{client_id}, by name)"),
        Proposal::NewClient { name } => format!("{name} (not in the book: a new client)"),
        Proposal::Unmatched {
            reason: Unmatched::NoReference,
        } => "names no client: assign it".into(),
        Proposal::Unmatched {
            reason: Unmatched::SeveralClients,
        } => "several clients have the name it gives: assign it".into(),
    }
}

fn print_done(ctx: &Context, done: &[(&Reattached, &str)]) {
    if ctx.json {
        let rows: Vec<serde_json::Value> = done
            .iter()
            .map(|(r, status)| serde_json::json!({ "reattached": r, "status": status }))
            .collect();
        output::json(&rows);
        return;
    }
    if done.is_empty() {
        println!("Nothing to attach.");
    }
    for (r, status) in done {
        println!(
            "Credential {} → connection {} of client {}{} ({status}).",
            &r.token_hash[..12],
            r.connection_id,
            r.client_id,
            if r.created_client {
                ", a new client"
            } else {
                ""
            }
        );
    }
}

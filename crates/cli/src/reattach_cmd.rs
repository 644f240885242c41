//! `reattach`: connections found again in the keychain after a restore, confirmed one by one.

use std::process::ExitCode;

use clap::Args;

use advisor_desk_core::book::{self, FoundConnection};
use advisor_desk_core::secrets::KeyringStore;
use advisor_desk_core::{paths, CoreError};

use crate::{output, Context};

const ACTOR: &str = "cli";

#[derive(Args)]
pub struct ReattachArgs {
    /// The credential to attach, as listed (the first characters of its hash, 8 or more).
    /// Without it, the connections found are listed.
    credential: Option<String>,
    /// The client it belongs to.
    #[arg(long, requires = "credential")]
    client: Option<i64>,
}

pub fn run(ctx: &Context, args: ReattachArgs) -> Result<ExitCode, CoreError> {
    let store = ctx.open_store()?;
    let keychain = KeyringStore::from_env();
    let db = paths::database_path(&ctx.data_dir);
    let found = book::found_in_kept_files(&db, &store, &keychain)?;
    let Some(prefix) = args.credential else {
        if ctx.json {
            output::json(&found);
        } else if found.is_empty() {
            println!("No connection to confirm: the keychain holds none the book lacks.");
        } else {
            found.iter().for_each(print_found);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let client = args
        .client
        .ok_or_else(|| CoreError::invalid("say which client it belongs to: --client ID"))?;
    if prefix.len() < 8 {
        return Err(CoreError::invalid(
            "give at least 8 characters of the credential",
        ));
    }
    let one = found
        .iter()
        .find(|f| f.token_hash.starts_with(&prefix))
        .ok_or_else(|| CoreError::not_found("credential to confirm", &prefix))?;
    let id = book::reattach_found(&store, &keychain, one, client, ACTOR)?;
    if ctx.json {
        output::json(&serde_json::json!({ "connection_id": id, "client_id": client }));
    } else {
        println!("Connection {id} attached to client {client}.");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn print_found(f: &FoundConnection) {
    println!(
        "  {} {} (was {} #{}), credential {}",
        f.provider.as_str(),
        f.institution_name.as_deref().unwrap_or("?"),
        f.former_client_name
            .as_deref()
            .unwrap_or("a client not in this book"),
        f.former_client_id,
        &f.token_hash[..12]
    );
}

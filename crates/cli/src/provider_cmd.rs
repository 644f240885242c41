//! `provider decode`: a saved provider answer run through exactly the decoder and normaliser
//! the sync uses (`advisor_desk_providers::decode`), printed for a person or, with `--json`,
//! as one object.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use advisor_desk_core::domain::Provider;
use advisor_desk_providers::decode::{decode, DecodeError, DecodeReport};

use crate::{exit, output, Context};

#[derive(Subcommand)]
pub enum ProviderCommand {
    /// Decode a saved provider answer as the sync would.
    ///
    /// Prints what the answer meant (`outcome`: data, authorized, mfa_required, pending,
    /// ready, blocked, done, failure), the classified failure, the accounts, transactions and
    /// holdings decoded, the endpoint's own fields (last_update, last_refresh, request_id …),
    /// the records skipped with their reasons and the oddities worked around. Secrets in the
    /// answer (tokens, loginIds) are never printed. A file that is not JSON, or an unknown
    /// endpoint, exits with code 4.
    Decode(DecodeArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ProviderArg {
    Flanks,
    Flinks,
}

#[derive(Args)]
pub struct DecodeArgs {
    /// Which provider answered.
    #[arg(long, value_enum)]
    provider: ProviderArg,
    /// The endpoint as documented. Flanks: the path after /v0/ or /connect/v2/
    /// (bank/credentials/status, bank/credentials/account, platform/link …). Flinks: the
    /// BankingServices name (Authorize, GetAccountsDetail, GetAccountsSummary …).
    #[arg(long, value_name = "NAME")]
    endpoint: String,
    /// The HTTP status the answer came with.
    #[arg(long, value_name = "CODE", default_value_t = 200)]
    status: u16,
    /// The saved answer's body.
    file: PathBuf,
}

pub fn run(ctx: &Context, cmd: ProviderCommand) -> ExitCode {
    let ProviderCommand::Decode(args) = cmd;
    let body = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => {
            return fail(
                ctx,
                "not_found",
                &format!("cannot read {}: {e}", args.file.display()),
                exit::NOT_FOUND,
            )
        }
    };
    let provider = match args.provider {
        ProviderArg::Flanks => Provider::Flanks,
        ProviderArg::Flinks => Provider::Flinks,
    };
    match decode(provider, &args.endpoint, args.status, &body) {
        Ok(report) => {
            if ctx.json {
                output::json(&report);
            } else {
                print_text(&report);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let code = match e {
                DecodeError::NotJson(_) => "not_json",
                DecodeError::UnknownEndpoint { .. } => "unknown_endpoint",
            };
            fail(ctx, code, &e.to_string(), exit::INVALID_INPUT)
        }
    }
}

fn fail(ctx: &Context, code: &str, message: &str, exit_code: u8) -> ExitCode {
    if ctx.json {
        eprintln!(
            "{}",
            serde_json::json!({"error": {"code": code, "message": message}})
        );
    } else {
        eprintln!("error: {message}");
    }
    ExitCode::from(exit_code)
}

fn print_text(r: &DecodeReport) {
    println!(
        "{} {} (HTTP {}): {:?}",
        r.provider, r.endpoint, r.status, r.outcome
    );
    if let Some(f) = &r.failure {
        println!(
            "failure: {} (who acts: {}){}{}",
            f.kind,
            f.actor,
            f.code
                .as_deref()
                .map(|c| format!(", code {c}"))
                .unwrap_or_default(),
            f.message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        );
    }
    for (k, v) in &r.fields {
        println!("{k}: {v}");
    }
    for a in &r.accounts {
        println!(
            "account {} [{}] {}: {} {}{}",
            a.id,
            a.kind,
            a.name,
            a.balance.amount,
            a.balance.currency,
            if a.owners.is_empty() {
                String::new()
            } else {
                format!(" — {}", a.owners.join(", "))
            }
        );
    }
    for t in &r.transactions {
        println!(
            "transaction {} on {} {}: {} {} {}",
            t.id, t.account_id, t.date, t.amount.amount, t.amount.currency, t.description
        );
    }
    for h in &r.holdings {
        println!(
            "holding {} [{}] {}: {} {}",
            h.id, h.asset_class, h.name, h.value.amount, h.value.currency
        );
    }
    for s in &r.skipped {
        println!("skipped {} × {}: {}", s.count, s.record, s.reason);
    }
    for o in &r.oddities {
        println!("oddity {} × {}", o.count, o.class);
    }
}

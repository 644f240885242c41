//! `sync [--client ID | --all]`: the sync engine headless. A progress bar on a terminal,
//! a JSON summary with `--json`; Ctrl-C cancels (connections already synced keep their data).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::Args;

use advisor_desk_core::secrets::{KeyringStore, SecretStore};
use advisor_desk_core::sync::{
    CallBuffer, CancelToken, SyncEngine, SyncOptions, SyncProgress, SyncResult, SyncStep,
    SyncSummary,
};
use advisor_desk_core::CoreError;

use crate::{exit, output, Context};
use advisor_desk_core::clients;
use advisor_desk_core::sync::connections;

#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct SyncArgs {
    /// Sync this client's connections.
    #[arg(long, value_name = "ID")]
    client: Option<i64>,
    /// Sync every connection that is not removed.
    #[arg(long)]
    all: bool,
}

#[derive(Args)]
pub struct SyncOptionsArgs {
    /// Connections synced at the same time.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
}

pub fn run(ctx: &Context, which: SyncArgs, opts: SyncOptionsArgs) -> Result<ExitCode, CoreError> {
    let store = Arc::new(ctx.open_store()?);
    let secrets: Arc<dyn SecretStore> = Arc::new(KeyringStore::from_env());
    let calls = Arc::new(CallBuffer::new());
    let configured =
        advisor_desk_providers::setup::gateways(&store, secrets.as_ref(), calls.clone())?;
    if !ctx.json {
        for m in &configured.not_configured {
            eprintln!("note: {m}");
        }
    }
    if let Some(id) = which.client {
        clients::get(&store, id)?;
    }
    let ids: Vec<i64> = connections::list(&store, which.client)?
        .into_iter()
        .filter(|c| which.client.is_some() || c.status.as_str() != "removed")
        .map(|c| c.id)
        .collect();
    let engine = SyncEngine::new(
        store,
        secrets,
        configured.gateways,
        calls,
        SyncOptions {
            concurrency: usize::from(opts.concurrency),
            trigger: "cli".into(),
            ..SyncOptions::default()
        },
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CoreError::from)?;
    let bar = (!ctx.json && std::io::stderr().is_terminal()).then(|| Arc::new(Mutex::new(())));
    let summary = runtime.block_on(async {
        let cancel = CancelToken::new();
        let on_ctrl_c = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_ctrl_c.cancel();
            }
        });
        let progress = Arc::new(move |p: SyncProgress| {
            if let Some(lock) = &bar {
                let _guard = lock.lock();
                draw(&p);
            }
        });
        engine.sync_many(ids, progress, cancel).await
    });
    if !ctx.json && std::io::stderr().is_terminal() {
        eprintln!();
    }
    if ctx.json {
        output::json(&summary);
    } else {
        print_text(&summary);
    }
    Ok(if summary.failed == 0 && summary.cancelled == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILURE)
    })
}

/// One line, redrawn in place: `[########------------] 12/30  #42 fetching`.
fn draw(p: &SyncProgress) {
    const WIDTH: usize = 30;
    let filled = (p.done * WIDTH).checked_div(p.total).unwrap_or(WIDTH);
    let step = match p.step {
        SyncStep::CheckingStatus => "checking status",
        SyncStep::WaitingForProvider => "waiting for the provider",
        SyncStep::Fetching => "fetching",
        SyncStep::Saving => "saving",
        SyncStep::Finished { ok: true, .. } => "done",
        SyncStep::Finished { ok: false, .. } => "failed",
        SyncStep::Cancelled => "cancelled",
    };
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r[{}{}] {}/{}  connection {}: {:<24}",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        p.done,
        p.total,
        p.connection_id,
        step
    );
    let _ = err.flush();
}

fn print_text(s: &SyncSummary) {
    println!(
        "{} connections: {} synced, {} failed, {} cancelled, {} rows written in {} ms",
        s.total, s.synced, s.failed, s.cancelled, s.rows_written, s.elapsed_ms
    );
    for o in &s.outcomes {
        let detail = match &o.result {
            SyncResult::Synced { stats } => format!(
                "{} new, {} changed, {} unchanged, {} skipped",
                stats.inserted, stats.updated, stats.unchanged, stats.skipped
            ),
            SyncResult::Failed { failure } => format!(
                "{} must act: {}{}",
                failure.actor().as_str(),
                failure,
                failure
                    .retry_at
                    .map(|t| format!("; next try {}", t.format("%Y-%m-%d %H:%M UTC")))
                    .unwrap_or_default()
            ),
            SyncResult::Error { error } => format!("error: {}", error.message),
            SyncResult::Cancelled => "cancelled".into(),
        };
        println!(
            "  #{:<5} {:<7} {:<14} {}",
            o.connection_id,
            o.provider.as_str(),
            o.status.as_str(),
            detail
        );
    }
}

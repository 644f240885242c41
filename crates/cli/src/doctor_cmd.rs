//! `doctor`: is this installation healthy?

use std::process::ExitCode;

use advisor_desk_core::doctor::{self, CheckResult};
use advisor_desk_core::secrets::KeyringStore;
use advisor_desk_core::{CoreError, ErrorCode};

use crate::{exit, output, Context};

pub fn run(ctx: &Context) -> Result<ExitCode, CoreError> {
    let store = match ctx.open_store() {
        Err(e) if e.code() == ErrorCode::DatabaseDamaged => return Ok(report_damaged(ctx, &e)),
        opened => opened?,
    };
    let keychain = KeyringStore::from_env();
    let report = doctor::run(&ctx.data_dir, &store, &keychain)?;
    if ctx.json {
        output::json(&report);
    } else {
        println!("data folder:          {}", report.data_dir);
        println!("database:             {}", report.database);
        println!(
            "schema version:       {} (this version supports {})",
            report.schema_version, report.supported_schema_version
        );
        println!("integrity check:      {}", report.integrity);
        match &report.keychain {
            CheckResult::Ok => println!("keychain:             ok ({})", keychain.service()),
            CheckResult::Failed { error } => {
                println!(
                    "keychain:             FAILED [{}] {}",
                    error.code, error.message
                )
            }
        }
        println!("provider environment: {}", report.provider_environment);
    }
    Ok(if report.healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::UNHEALTHY)
    })
}

/// The database was refused as damaged: say why and what the full check found.
fn report_damaged(ctx: &Context, refusal: &CoreError) -> ExitCode {
    let report = doctor::damaged(&ctx.data_dir, refusal);
    if ctx.json {
        output::json(&report);
    } else {
        println!("data folder:          {}", report.data_dir);
        println!("database:             {}", report.database);
        println!("DAMAGED:              {}", report.error.message);
        println!("integrity check:");
        for problem in &report.integrity {
            println!("  {problem}");
        }
    }
    ExitCode::from(exit::DAMAGED)
}

//! `firm move-in`: this data folder's solo book moved into the firm database (the firm crate's
//! `move_in`: all or nothing, counts verified, secrets sealed under the firm key), with a
//! progress line on stderr and the counts at the end. The solo book stays, marked moved.

use clap::Args;

use advisor_desk_core::firm::FirmSettings;
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::Store;
use advisor_desk_firm::move_in::{move_in, CarriedOver, MoveInPlan, MoveInReport, MoveInStep};
use advisor_desk_firm::FirmStore;

use super::failure::Failure;

#[derive(Args)]
pub struct MoveInArgs {
    /// The member the moved clients are assigned to (defaults to you).
    #[arg(long, value_name = "ROLE")]
    advisor: Option<String>,
}

pub fn run(
    solo: &Store,
    keychain: &dyn SecretStore,
    firm: &FirmSettings,
    store: &FirmStore,
    args: MoveInArgs,
) -> Result<MoveInReport, Failure> {
    let advisor = args.advisor.unwrap_or_else(|| firm.role.clone());
    let plan = MoveInPlan {
        firm_name: &firm.firm_name,
        advisor_role: &advisor,
    };
    let report = move_in(solo, keychain, store, &plan, &mut |step| {
        eprintln!("{}", progress_line(&firm.firm_name, step))
    })?;
    Ok(report)
}

fn progress_line(firm: &str, step: MoveInStep) -> String {
    match step {
        MoveInStep::CopyingRows => format!("Moving the book into '{firm}': copying its rows…"),
        MoveInStep::SealingCredentials { done, total } => {
            format!("Sealing the connections' credentials under the firm key: {done}/{total}")
        }
        MoveInStep::VerifyingCounts => "Checking every table's count…".to_string(),
        MoveInStep::MarkingSoloBook => "Committed; marking this book as moved…".to_string(),
    }
}

/// The counts, one table a line.
pub fn print(report: &MoveInReport, firm: &str) {
    println!("The book now lives in the firm '{firm}'. Rows moved (each count checked):");
    for (table, rows) in &report.rows {
        println!("  {table:<18} {rows}");
    }
    println!(
        "{} connection credentials sealed under the firm key; clients assigned to {}.",
        report.credentials_sealed, report.assigned_to
    );
    for (table, rows) in &report.already_in_firm {
        if *rows > 0 {
            println!("  {table:<18} {rows} already in the firm, kept as the firm had them");
        }
    }
    print_carried("Provider keys", &report.provider_keys);
    print_carried("Book settings", &report.book_settings);
    println!("This computer's solo book is kept, unchanged, and marked as moved.");
}

/// Which firm-wide values of the book became the firm's, and which were left out and why.
fn print_carried(what: &str, carried: &CarriedOver) {
    if !carried.carried.is_empty() {
        println!("{what} now the firm's: {}", carried.carried.join(", "));
    }
    if !carried.firm_has_its_own.is_empty() {
        println!(
            "{what} left out (the firm has its own): {}",
            carried.firm_has_its_own.join(", ")
        );
    }
    if !carried.needs_the_administrator.is_empty() {
        println!(
            "{what} left out (only the firm's administrator sets them): {}",
            carried.needs_the_administrator.join(", ")
        );
    }
}

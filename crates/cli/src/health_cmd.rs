//! `health`: the health queue as the app shows it — probable outages, then the connections
//! by who must act, then those whose bank will probably ask for SCA within 14 days — with
//! each connection's state and consent forecast; a new login whose holders are someone else
//! shows as `confirm_holder`, with the names the bank returned. For scheduled jobs: `--json` prints the
//! queue as the app receives it.

use std::process::ExitCode;

use advisor_desk_core::domain::holders::HolderCheckState;
use advisor_desk_core::reads::consent::ConsentKind;
use advisor_desk_core::reads::health::QueueItem;
use advisor_desk_core::reads::health_queue;
use advisor_desk_core::{time, CoreError};

use crate::{output, Context};

pub fn run(ctx: &Context) -> Result<ExitCode, CoreError> {
    let store = ctx.open_store()?;
    let queue = health_queue(&store, time::now())?;
    if ctx.json {
        output::json(&queue);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Health queue at {} (banks ask for SCA every {} days)",
        queue.generated_at.format("%Y-%m-%d %H:%M UTC"),
        queue.consent_period.days()
    );
    let mut shown = 0;
    for o in &queue.outages {
        section(
            &format!(
                "Probable outage at {}: {} clients, {} connections — wait for the bank",
                o.institution, o.client_count, o.connection_count
            ),
            &o.items,
        );
        shown += o.items.len();
    }
    for (title, items) in [
        ("The client must act", &queue.client),
        ("The advisor must act", &queue.advisor),
        ("Waiting: nobody can act yet", &queue.wait),
        (
            "SCA due within 14 days: renew with the client present",
            &queue.due_soon,
        ),
    ] {
        if !items.is_empty() {
            section(&format!("{title} ({})", items.len()), items);
            shown += items.len();
        }
    }
    if shown == 0 {
        println!("\nEvery connection is healthy and no SCA is due within 14 days.");
    }
    Ok(ExitCode::SUCCESS)
}

fn section(title: &str, items: &[QueueItem]) {
    println!("\n{title}");
    let client_w = width(items.iter().map(|i| i.client_name.as_str()), 6);
    let bank_w = width(items.iter().map(|i| i.institution.as_str()), 4);
    println!(
        "{:>6}  {:<client_w$}  {:<bank_w$}  {:<14}  {:<8}  CONSENT",
        "ID", "CLIENT", "BANK", "STATE", "WHO ACTS"
    );
    for it in items {
        let c = &it.connection.connection;
        let held = c.holder_check == HolderCheckState::Pending;
        println!(
            "{:>6}  {:<client_w$}  {:<bank_w$}  {:<14}  {:<8}  {}",
            c.id,
            it.client_name,
            it.institution,
            if held {
                "confirm_holder"
            } else {
                c.status.as_str()
            },
            if held {
                "advisor"
            } else {
                c.action_by.as_str()
            },
            consent_words(it)
        );
        if held {
            println!("        {}", holder_words(&c.holder_names, &it.client_name));
        }
    }
}

/// The holder question in words: whom the bank names, for which client, and what holds.
fn holder_words(holders: &[String], client: &str) -> String {
    format!(
        "Confirm the account holder: the bank names {} for {client}; its data is held back \
         until the advisor confirms in the app (or answers \"Not this client\")",
        holders.join(", ")
    )
}

fn width<'a>(values: impl Iterator<Item = &'a str>, min: usize) -> usize {
    values
        .map(|v| v.chars().count())
        .max()
        .unwrap_or(0)
        .max(min)
}

/// The forecast in words: "next SCA in 10 days (2026-04-01)", "last live connection 30 days
/// ago".
pub fn consent_words(it: &QueueItem) -> String {
    let Some(f) = &it.connection.consent else {
        return "the bank is asking for SCA now".to_string();
    };
    match (f.kind, f.days_left, f.next_sca_at) {
        (ConsentKind::Sca, Some(days), Some(at)) => {
            let date = at.format("%Y-%m-%d");
            match days {
                d if d > 1 => format!("next SCA in {d} days ({date})"),
                1 => format!("next SCA tomorrow ({date})"),
                0 => format!("next SCA due today ({date})"),
                d => format!("SCA probably overdue by {} days ({date})", -d),
            }
        }
        _ => match f.days_since {
            0 => "last live connection today".to_string(),
            1 => "last live connection 1 day ago".to_string(),
            d => format!("last live connection {d} days ago"),
        },
    }
}

//! Credential lifecycle shared by the link page and Connect v2: creation (pending until the
//! first extraction), reauthorisation (SCA / reset / transaction), and the status document.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use crate::book::{self, Identity};
use crate::control::secrets::SecretKind;
use crate::guesses::STATUS_TRANSACTION_KEY;
use crate::rng::Rng;
use crate::state::{Attempt, Cred, World};

/// Creates the credential for `attempt`, or reauthorises the one it names. `Err(code)` is a
/// link error code.
pub fn complete(
    world: &mut World,
    seed: u64,
    pending_delay: std::time::Duration,
    now: DateTime<Utc>,
    attempt: &Attempt,
    external_id: Option<String>,
    account_errored: bool,
) -> Result<String, &'static str> {
    if let Some(token) = &attempt.existing {
        let today = now.date_naive();
        let Some(c) = world.cred_mut(token) else {
            return Err("INTERNAL_ERROR");
        };
        // Resolving Pending SCA / Blocked triggers a data update (seed 003).
        c.sca_token = None;
        c.reset_token = None;
        c.transaction_token = None;
        c.blocked = false;
        if !attempt.password.is_empty() {
            c.password = attempt.password.clone();
        }
        book::extend_until(&mut c.data, today);
        c.last_update = now;
        return Ok(token.clone());
    }
    if world
        .creds
        .iter()
        .any(|c| c.data.bank == attempt.bank && c.data.username == attempt.username)
    {
        return Err("CREDENTIALS_ALREADY_EXIST");
    }
    let token = world.new_id("sbx-cred-");
    world.issue(SecretKind::CredentialsToken, &token);
    let mut h = 0u64;
    for b in attempt.username.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let person = book::person(&mut Rng::derive(seed, "link-person", h));
    let identity = Identity {
        token: token.clone(),
        bank: attempt.bank.clone(),
        username: attempt.username.clone(),
        external_id,
    };
    let mut data = book::generate_flanks_credential(seed, 0, world.today, Some((identity, person)));
    book::link_holders::name_flanks_holders(&mut data);
    let delay = Duration::from_std(pending_delay).unwrap_or(Duration::seconds(5));
    world.creds.push(Cred {
        data,
        password: attempt.password.clone(),
        created_at: now,
        ready_at: now + delay,
        last_update: now,
        sca_token: None,
        reset_token: None,
        transaction_token: None,
        blocked: false,
        sca_kind: attempt.kind,
        account_errored,
    });
    Ok(token)
}

fn products(c: &Cred, ready: bool) -> (Value, Value) {
    let d = &c.data;
    let product = json!({
        "auth": ready, "account": ready && !c.account_errored && !d.accounts.is_empty(),
        "card": ready && !d.cards.is_empty(), "portfolio": ready && !d.portfolios.is_empty(),
        "investment": ready && !d.investments.is_empty(),
        "liability": ready && !d.liabilities.is_empty(), "holders": ready,
    });
    let mut transaction = serde_json::Map::new();
    transaction.insert("account".into(), json!(ready && !c.account_errored));
    transaction.insert(
        "card".into(),
        json!(ready && !d.card_transactions.is_empty()),
    );
    transaction.insert(
        "investment".into(),
        json!(ready && !d.investment_transactions.is_empty()),
    );
    transaction.insert(
        "liability".into(),
        json!(ready && !d.liability_transactions.is_empty()),
    );
    let created = json!({"product": product, STATUS_TRANSACTION_KEY: transaction});
    let errored = json!({
        "product": {"auth": false, "account": c.account_errored, "card": false, "portfolio": false,
                    "investment": false, "liability": false, "holders": false},
        STATUS_TRANSACTION_KEY: {"account": c.account_errored, "card": false, "investment": false,
                                 "liability": false},
    });
    (created, errored)
}

pub fn status_json(c: &Cred, now: DateTime<Utc>) -> Value {
    let pending = c.pending(now);
    let (created, errored) = products(c, !pending);
    let last_tx = c
        .data
        .transactions
        .iter()
        .map(|t| t.operation_date.as_str())
        .max()
        .map(str::to_string);
    json!({
        "pending": pending,
        "blocked": c.blocked,
        "reset_token": c.reset_token,
        "sca_token": c.sca_token,
        "transaction_token": c.transaction_token,
        "name": c.data.bank,
        "last_update": c.last_update.format("%Y-%m-%d").to_string(),
        "time": c.last_update.format("%H:%M").to_string(),
        "last_update_timestamp": c.last_update.timestamp(),
        "created_at_timestamp": c.created_at.timestamp(),
        "last_transaction_date": last_tx,
        "errored": errored,
        "created": created,
    })
}

pub fn list_status(c: &Cred, now: DateTime<Utc>) -> &'static str {
    use crate::guesses::*;
    if c.blocked {
        LIST_STATUS_BLOCKED
    } else if c.sca_token.is_some() {
        LIST_STATUS_SCA
    } else if c.pending(now) {
        LIST_STATUS_PENDING
    } else {
        LIST_STATUS_READY
    }
}

/// Puts a credential in Pending SCA / Blocked / back to ready (control plane and PUT force).
pub fn force(world: &mut World, token: &str, state: &str) -> Option<Option<String>> {
    let sca = world.new_id("sbx-sca-");
    let reset = world.new_id("sbx-reset-");
    let txn = world.new_id("sbx-txn-");
    world.cred(token)?;
    let issued = match state {
        "pending_sca" | "sca" => Some(&sca),
        "blocked" | "reset" => Some(&reset),
        "transaction" => Some(&txn),
        _ => None,
    };
    if let Some(t) = issued {
        world.issue(SecretKind::ReauthToken, t);
    }
    let c = world.cred_mut(token)?;
    Some(match state {
        "pending_sca" | "sca" => {
            c.sca_token = Some(sca.clone());
            Some(sca)
        }
        "blocked" | "reset" => {
            c.blocked = true;
            c.reset_token = Some(reset.clone());
            Some(reset)
        }
        "transaction" => {
            c.transaction_token = Some(txn.clone());
            Some(txn)
        }
        "ready" => {
            c.sca_token = None;
            c.reset_token = None;
            c.blocked = false;
            c.ready_at = c.ready_at.min(c.created_at);
            None
        }
        _ => return None,
    })
}

//! "Is it the right person?" over real HTTP against the sandbox, through the link flows the
//! app runs: a login whose bank names someone else (the sandbox's `other_holder` TestBank
//! user, Flinks Capital's `test_other_holder`) is held back after its first sync; "Not this
//! client" deletes it at the provider and here; "Confirm" lets its data in; a login that
//! names no holder joins at once.

mod link_support;

use std::time::Duration;

use advisor_desk_core::domain::holders::HolderCheckState;
use advisor_desk_core::reads::client_overview;
use advisor_desk_core::sync::{connections, holder_check};
use advisor_desk_core::time;
use advisor_desk_sandbox::book::link_holders::{FLANKS_OTHER_HOLDER, FLINKS_OTHER_HOLDER};
use link_support::*;

/// Syncs until the connection's first data is in (the sandbox's first extraction is pending
/// for a moment) and returns its holder check.
async fn first_data(d: &Desk, id: i64) -> HolderCheckState {
    let sync = engine(&d.base, d.store.clone(), d.secrets.clone());
    for _ in 0..20 {
        let c = connections::get(&d.store, id).unwrap();
        if c.last_success_at.is_some() {
            return c.holder_check;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        sync.sync_one(id, &|_| {}).await;
    }
    panic!("no first data for connection {id}")
}

fn accounts_shown(d: &Desk, client: i64) -> usize {
    client_overview(&d.store, client, time::now())
        .unwrap()
        .accounts
        .len()
}

fn rows_in_file(d: &Desk, id: i64) -> i64 {
    d.store
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM accounts WHERE connection_id = ?1",
                [id],
                |r| r.get(0),
            )?)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flanks_login_of_someone_else_is_held_then_not_this_client_deletes_it_at_the_provider() {
    let d = desk();
    let ana = d.client("Ana Ruiz García");
    let id = connect_flanks(&d, ana, "other_holder_1").await;
    assert_eq!(first_data(&d, id).await, HolderCheckState::Pending);
    let c = connections::get(&d.store, id).unwrap();
    assert_eq!(c.holder_names, [FLANKS_OTHER_HOLDER]);
    assert!(rows_in_file(&d, id) > 0, "the data is kept, held back");
    assert_eq!(accounts_shown(&d, ana), 0);
    let token = token_of(&d, id);

    let removal = d.links.reject_holder(id).await.unwrap();
    assert!(removal.deleted_at_provider);
    assert!(connections::get(&d.store, id).is_err(), "the row is gone");
    assert!(
        !d.control
            .book()
            .await
            .unwrap()
            .iter()
            .any(|b| b.token == token),
        "deleted at the provider"
    );
    let audit = d.store.audit_log(20).unwrap();
    assert!(
        audit.iter().any(|e| e.action == "connection.removed"
            && e.connection_id == Some(id)
            && e.detail.contains("not this client")),
        "{audit:?}"
    );
    assert!(
        !audit.iter().any(|e| e.detail.contains(&token)),
        "never a secret in the audit log"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flanks_login_that_names_no_holder_joins_at_once_and_reject_is_refused() {
    let d = desk();
    let ana = d.client("Ana Ruiz García");
    let id = connect_flanks(&d, ana, "olivia.plain").await;
    assert_eq!(first_data(&d, id).await, HolderCheckState::NoHolders);
    assert!(accounts_shown(&d, ana) > 0);
    let refused = d.links.reject_holder(id).await.unwrap_err();
    assert!(refused.to_string().contains("not waiting"), "{refused}");
    assert!(connections::get(&d.store, id).is_ok(), "nothing removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flinks_login_of_someone_else_is_held_until_the_advisor_confirms() {
    let d = desk();
    let luc = d.client("Luc Tremblay");
    let id = connect_flinks(&d, luc, "test_other_holder").await;
    assert_eq!(first_data(&d, id).await, HolderCheckState::Pending);
    assert_eq!(
        connections::get(&d.store, id).unwrap().holder_names,
        [FLINKS_OTHER_HOLDER]
    );
    assert_eq!(accounts_shown(&d, luc), 0);

    holder_check::confirm(&d.store, id, "advisor").unwrap();
    let shown = accounts_shown(&d, luc);
    assert!(shown > 0);
    // The next sync of a confirmed login never asks again.
    let sync = engine(&d.base, d.store.clone(), d.secrets.clone());
    sync.sync_one(id, &|_| {}).await;
    assert_eq!(
        connections::get(&d.store, id).unwrap().holder_check,
        HolderCheckState::Confirmed
    );
    assert_eq!(accounts_shown(&d, luc), shown);
}

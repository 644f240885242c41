//! Builders for tests in other crates and in `tests/` (behind the `test-fixtures` feature,
//! never in the shipped app): a client, a ready connection with a snapshot written by the
//! real snapshot writer, and a snapshot of given rows. One place, so the households',
//! report's and CLI's tests set up data the same way.

use crate::clients::NewClient;
use crate::domain::Provider;
use crate::domain::{Account, Holding, Institution, Snapshot, SnapshotParts, Transaction};
use crate::money::{Currency, Money};
use crate::secrets::{Secret, SecretStore};
use crate::sync::{write_snapshot, NewConnection};
use crate::time::{self, Timestamp};
use crate::Store;

/// An amount in a currency given by its code.
pub fn money(minor: i64, currency: &str) -> Money {
    Money {
        minor,
        currency: Currency::parse(currency).expect("a currency code"),
    }
}

/// A person in the book; returns the client's id.
pub fn person(store: &Store, name: &str) -> i64 {
    let c = NewClient {
        name: name.into(),
        ..Default::default()
    };
    crate::clients::add(store, &c, "test")
        .expect("a valid client")
        .id
}

/// A complete snapshot (every part answered) of these rows.
pub fn snapshot(
    accounts: Vec<Account>,
    holdings: Vec<Holding>,
    transactions: Vec<Transaction>,
) -> Snapshot {
    Snapshot {
        institution: Institution::default(),
        accounts,
        holdings,
        transactions,
        liabilities: vec![],
        cards: vec![],
        parts: SnapshotParts::all(),
        data_as_of: None,
        ..Default::default()
    }
}

/// A Flanks connection of `client_id` at `bank` (its token `token` in `secrets`), with
/// `snap` written and the connection ready, its data as of `at`. Returns the connection id.
pub fn ready_connection(
    store: &Store,
    secrets: &dyn SecretStore,
    client_id: i64,
    bank: &str,
    token: &str,
    snap: &Snapshot,
    at: Timestamp,
) -> i64 {
    let new = NewConnection {
        client_id,
        provider: Provider::Flanks,
        flow: "flanks_link".into(),
        institution_id: None,
        institution_name: Some(bank.into()),
    };
    let id = crate::sync::connections::add(
        store,
        &new,
        &Secret::new(token.to_string()),
        secrets,
        "test",
    )
    .expect("a new connection")
    .id;
    store
        .write(|tx| {
            write_snapshot(tx, id, snap, at)?;
            // Tests only: the state a successful sync leaves, without running one.
            tx.execute(
                "UPDATE connections SET status = 'ready', last_success_at = ?2,
                     last_attempt_at = ?2, data_as_of = ?2 WHERE id = ?1",
                rusqlite::params![id, time::to_db(at)],
            )?;
            Ok(())
        })
        .expect("the snapshot written");
    id
}

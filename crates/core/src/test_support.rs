//! Builders the core's unit tests share: one place for setup that several tests repeat.

use crate::clients;
use crate::clients::NewClient;
use crate::links::sessions;
use crate::links::{Delivery, LinkFlow, LinkPurpose, NewLinkSession, StartedLinkSession};
use crate::store::Store;
use crate::time::Timestamp;

/// Adds a person with this name to the book; their id.
pub(crate) fn client(store: &Store, name: &str) -> i64 {
    clients::add(
        store,
        &NewClient {
            name: name.into(),
            ..Default::default()
        },
        "t",
    )
    .unwrap()
    .id
}

/// Starts a link session for a new connection of the client, open for 30 minutes from `now`.
pub(crate) fn start_session(
    store: &Store,
    client_id: i64,
    flow: LinkFlow,
    now: Timestamp,
) -> StartedLinkSession {
    sessions::start(
        store,
        &NewLinkSession {
            client_id,
            connection_id: None,
            flow,
            purpose: LinkPurpose::New,
            ttl: chrono::Duration::minutes(30),
            delivery: Delivery::Window,
        },
        "advisor",
        now,
    )
    .unwrap()
}

//! Everything a page of a set of clients reads, gathered before any figure is derived: the
//! set's stored copies and transaction tallies ([`SetReads`]), and for a client's page the
//! client and the book's rules beside them ([`ClientPageReads`]).
//!
//! Why gathered: on SQLite each read is a call into the same process, so the default
//! `BookReads::client_page` reads them part by part ([`ClientPageReads::by_parts`]). On
//! PostgreSQL each read is a round trip, so the firm reads the whole client page in one
//! statement and hands back the same values; the read model derives the page from them alike.

use std::collections::BTreeMap;

use super::copies::SetCopies;
use super::outlook::Outlook;
use crate::clients::Client;
use crate::error::Result;
use crate::store::book_reads::BookReads;
use crate::store::queries::Clients;
use crate::sync::Connection;
use crate::time::Timestamp;

/// What a set's page is derived from.
pub struct SetReads {
    /// The set's connections, in id order.
    pub connections: Vec<Connection>,
    /// Every stored copy of the set's accounts, holdings and liabilities.
    pub copies: SetCopies,
    /// (currency, `YYYY-MM`) → active sum, from the page's first month of history on, over
    /// the accounts `copies.transaction_accounts(true)` names.
    pub monthly: BTreeMap<(String, String), i64>,
    /// Transactions of the accounts `copies.transaction_accounts(false)` names.
    pub transaction_count: i64,
}

impl SetReads {
    /// Reads the copies and tallies of `set`, whose connections are `connections`, one part
    /// after the other. `since`: the first day of the page's history (ISO).
    pub fn by_parts(
        reads: &impl BookReads,
        set: Clients<'_>,
        connections: Vec<Connection>,
        since: &str,
    ) -> Result<SetReads> {
        let copies = SetCopies::read(reads, set)?;
        let monthly = reads.monthly_flows(&copies.transaction_accounts(true), since)?;
        let transaction_count = reads.transaction_count(&copies.transaction_accounts(false))?;
        Ok(SetReads {
            connections,
            copies,
            monthly,
            transaction_count,
        })
    }
}

/// What a client's page is derived from.
pub struct ClientPageReads {
    pub outlook: Outlook,
    /// `None` when there is no such client (or the member may not see it).
    pub client: Option<Client>,
    pub set: SetReads,
}

impl ClientPageReads {
    /// `BookReads::client_page`'s default: each part with its own read.
    pub fn by_parts(
        reads: &impl BookReads,
        client_id: i64,
        now: Timestamp,
        since: &str,
    ) -> Result<ClientPageReads> {
        let outlook = Outlook::read_from(reads, now)?;
        let client = reads.client(client_id)?;
        let connections = reads.connections(Some(client_id))?;
        let set = SetReads::by_parts(reads, Clients(&[client_id]), connections, since)?;
        Ok(ClientPageReads {
            outlook,
            client,
            set,
        })
    }
}

//! Deleting a client for good: their credentials at the provider, their keychain entries,
//! their cached data. One sequence, each step recorded before the next, so a crash or a
//! provider outage leaves a state that running it again completes:
//!
//! 1. for each connection: the credential deleted at the provider, then its keychain entry,
//!    then its row (one transaction, with a `connection.removed` audit entry);
//! 2. the client's link sessions: leftover one-use codes, and a token an interrupted exchange
//!    saved but never mapped, deleted the same way;
//! 3. one transaction: the client row, and with it (foreign keys, `ON DELETE CASCADE`) its
//!    accounts, owners, holdings, transactions (their FTS rows by trigger), liabilities,
//!    cards, sync runs and link sessions, plus a `client.deleted` audit entry.
//!
//! A provider failure stops at that connection: what was removed stays removed (the provider
//! already forgot it), everything else is kept, and the error names the connection. The
//! advisor may then choose "delete here anyway" (`local_if_provider_fails`): the credential is
//! left at the provider — the audit entry says so — for a provider that is gone for good or
//! an environment whose keys are no longer set. The audit log has no foreign keys, so the
//! client's history outlives them; no entry holds a secret or the client's name.

use serde::Serialize;

use super::flight::FlightGuard;
use super::ledger;
use super::provider::DeleteResult;
use super::service::LinkService;
use super::types::{LinkError, LinkResult};
use crate::credentials;
use crate::domain::Provider;
use crate::error::{CoreError, Result};
use crate::secrets::SecretKey;
use crate::store::audit::{append, NewAuditEntry};
use crate::store::queries::link_sessions::SessionLeftovers;
use crate::store::queries::{clients, connections, link_sessions};
use crate::store::Store;

const ACTOR: &str = "advisor";

/// What deleting a client did, for the UI's confirmation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct ClientDeletion {
    pub client_id: i64,
    /// Connections removed (each with its keychain entry).
    pub connections_removed: usize,
    /// Of those, the credentials the provider deleted.
    pub deleted_at_provider: usize,
    /// Credentials left at the provider because the advisor chose "delete here anyway".
    pub kept_at_provider: usize,
}

/// What happened to one credential at the provider.
enum AtProvider {
    Deleted,
    /// The provider no longer had it, or no token was left to name it.
    Gone,
    /// The provider failed and the advisor chose to delete here anyway.
    Kept,
}

/// The last step: the client's rows in one transaction, refused while a connection still
/// exists (one mapped after the sequence started: its credential must go first).
fn delete_client_rows(store: &Store, client_id: i64, detail: &str) -> Result<()> {
    store.write(|tx| {
        if connections::read::count_for_client(tx, client_id)? > 0 {
            return Err(CoreError::invalid(
                "a connection was added to this client meanwhile; delete the client again",
            ));
        }
        if !clients::write::delete(tx, client_id)? {
            return Err(CoreError::not_found("client", client_id));
        }
        append(
            tx,
            &NewAuditEntry {
                actor: ACTOR,
                client_id: Some(client_id),
                connection_id: None,
                action: "client.deleted",
                detail,
            },
        )
    })
}

impl LinkService {
    /// Deletes a client, their credentials at the provider and in the keychain, and their
    /// data (see the module documentation). Running it again after a failure or a crash
    /// finishes the job.
    pub async fn delete_client(
        &self,
        client_id: i64,
        local_if_provider_fails: bool,
    ) -> LinkResult<ClientDeletion> {
        crate::clients::get(&self.store, client_id)?;
        // No exchange of this client's may run while its entries are removed.
        let sessions = self
            .store
            .read(|c| link_sessions::read::leftovers_of_client(c, client_id))?;
        let _flights = self.hold_flights(&sessions)?;
        // The book as it was, in case the advisor deleted the wrong client.
        self.store
            .take_backup(crate::store::BackupKind::BeforeDeletion)?;
        let mut done = ClientDeletion {
            client_id,
            ..Default::default()
        };
        for conn in crate::sync::connections::list(&self.store, Some(client_id))? {
            let where_ = conn
                .institution_name
                .clone()
                .or(conn.institution_id.clone())
                .unwrap_or_else(|| conn.provider.as_str().to_string());
            let at_provider = self
                .delete_at_provider(conn.provider, &conn.secret_key()?, local_if_provider_fails)
                .await
                .map_err(|e| {
                    let what = format!("the connection to {where_} (connection {})", conn.id);
                    stopped(e, &what, done.connections_removed)
                })?;
            credentials::delete_entry(self.secrets.as_ref(), &conn.secret_ref)?;
            let detail = match at_provider {
                AtProvider::Deleted => "deleted at the provider",
                AtProvider::Gone => "the provider no longer had it",
                AtProvider::Kept => "kept at the provider (deleted here anyway)",
            };
            ledger::remove_connection_row(
                &self.store,
                conn.id,
                &format!("{}: {detail}; client deleted", conn.provider.as_str()),
                ACTOR,
            )?;
            done.connections_removed += 1;
            match at_provider {
                AtProvider::Deleted => done.deleted_at_provider += 1,
                AtProvider::Kept => done.kept_at_provider += 1,
                AtProvider::Gone => {}
            }
        }
        for s in &sessions {
            if let Some(hash) = &s.unmapped_token_hash {
                let entry = credentials::token_key(&self.store, hash)?;
                let at_provider = self
                    .delete_at_provider(s.provider, &entry, local_if_provider_fails)
                    .await
                    .map_err(|e| {
                        let what = format!("the unfinished connection of link session {}", s.id);
                        stopped(e, &what, done.connections_removed)
                    })?;
                if let AtProvider::Kept = at_provider {
                    done.kept_at_provider += 1;
                }
                self.secrets.delete(&entry)?;
            }
            ledger::forget_code(&self.store, self.secrets.as_ref(), s.id)?;
        }
        let detail = format!(
            "{} connection(s) removed: {} deleted at the provider, {} kept at the provider",
            done.connections_removed, done.deleted_at_provider, done.kept_at_provider
        );
        delete_client_rows(&self.store, client_id, &detail)?;
        Ok(done)
    }

    fn hold_flights(&self, sessions: &[SessionLeftovers]) -> LinkResult<Vec<FlightGuard<'static>>> {
        sessions
            .iter()
            .map(|s| {
                self.begin_flight(s.id).ok_or_else(|| {
                    LinkError::Invalid(
                        "a connection of this client is being finished right now; try again in \
                         a moment"
                            .into(),
                    )
                })
            })
            .collect()
    }

    /// Deletes the credential stored under `entry` at its provider.
    async fn delete_at_provider(
        &self,
        provider: Provider,
        entry: &SecretKey,
        local_if_provider_fails: bool,
    ) -> LinkResult<AtProvider> {
        let Some(token) = self.secrets.get(entry)? else {
            // Nothing names the credential any more (a run that stopped after deleting the
            // entry already deleted it at the provider).
            return Ok(AtProvider::Gone);
        };
        let result = match self.api(provider) {
            Ok(api) => api
                .delete_credential(&token)
                .await
                .map_err(LinkError::Provider),
            Err(e) => Err(e),
        };
        match result {
            Ok(DeleteResult::Deleted) => Ok(AtProvider::Deleted),
            Ok(DeleteResult::AlreadyGone) => Ok(AtProvider::Gone),
            Err(_) if local_if_provider_fails => Ok(AtProvider::Kept),
            Err(e) => Err(e),
        }
    }
}

/// A provider failure, told with the connection it stopped at.
fn stopped(e: LinkError, what: &str, removed: usize) -> LinkError {
    let why = match &e {
        LinkError::Provider(f) => f.to_string(),
        LinkError::NotConfigured(p) => format!("{p} is not configured"),
        _ => return e,
    };
    LinkError::DeletionStopped(format!(
        "the provider could not delete {what}: \
         {why}. {removed} connection(s) were removed before it; nothing else was deleted. Try \
         again later, or delete here anyway (the provider then keeps that credential)"
    ))
}

#[cfg(test)]
mod tests;

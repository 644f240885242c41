//! Removing from the firm's book what the advisor confirmed, in the solo book's order: the
//! credential at the provider first (opened from `sealed_secrets`), then the connection row in
//! one transaction with its audit entry (its sealed credentials, accounts and sessions go with
//! it by the schema's cascades). A provider outage leaves everything in place. The row's
//! deletion is what the other desktops hear (`live`).
//!
//! - "Remove connection", and "Not this client" (the holder check) which removes the same way;
//! - "Confirm the account holder": the held data joins the book (one audited update);
//! - deleting a client: each connection removed as above, then the client row (its cached data
//!   by cascade) and a `client.deleted` entry; a provider failure stops at that connection
//!   unless the advisor chose "delete here anyway". The firm database's own backups (the
//!   server's) stand for the solo book's backup before a deletion.
//!
//! Audit entries are written before the rows they name go: row-level security lets a member
//! write an entry only about a connection they can still see.

use advisor_desk_core::domain::holders::HolderCheckState;
use advisor_desk_core::links::{ClientDeletion, DeleteResult, Removal};
use advisor_desk_core::sync::Connection;
use postgres::Transaction;

use super::audit::{append, Entry};
use super::connection;
use super::error::FirmLinkError;
use super::flow::FirmLinkFlow;
use crate::queries::{clients, connections};
use crate::FirmStore;

/// What happened to one credential at the provider.
enum AtProvider {
    Deleted,
    /// The provider no longer had it, or nothing was stored to name it.
    Gone,
    /// The provider failed and the advisor chose to delete here anyway.
    Kept,
}

impl AtProvider {
    fn says(&self) -> &'static str {
        match self {
            AtProvider::Deleted => "deleted at the provider",
            AtProvider::Gone => "the provider no longer had it",
            AtProvider::Kept => "kept at the provider (deleted here anyway)",
        }
    }
}

const NOT_WAITING: &str = "this connection is not waiting for the advisor to confirm its holder";

impl FirmLinkFlow<'_> {
    /// Removes a connection the advisor confirmed (see the module documentation).
    pub fn remove_connection(&self, connection_id: i64) -> Result<Removal, FirmLinkError> {
        let conn = connection::visible(self.store, connection_id)?;
        self.remove(&conn, "")
    }

    /// "Not this client": a connection held by the holder check is removed as
    /// [`Self::remove_connection`] removes one, the audit entry saying why. Refused unless the
    /// connection is waiting for this answer.
    pub fn reject_holder(&self, connection_id: i64) -> Result<Removal, FirmLinkError> {
        let conn = connection::visible(self.store, connection_id)?;
        if conn.holder_check != HolderCheckState::Pending {
            return Err(FirmLinkError::Invalid(NOT_WAITING.into()));
        }
        self.remove(&conn, "; not this client (the account holder check)")
    }

    fn remove(&self, conn: &Connection, why: &str) -> Result<Removal, FirmLinkError> {
        let at_provider = self.delete_at_provider(conn, false)?;
        let detail = format!("{}: {}{why}", conn.provider.as_str(), at_provider.says());
        self.store
            .write_as(|tx| remove_row(tx, conn.id, &detail, self.actor))?;
        Ok(Removal {
            connection_id: conn.id,
            deleted_at_provider: matches!(at_provider, AtProvider::Deleted),
        })
    }

    /// Deletes a firm client for good: their credentials at the providers, then their rows
    /// (see the module documentation). Running it again after a failure finishes the job.
    pub fn delete_client(
        &self,
        client_id: i64,
        local_if_provider_fails: bool,
    ) -> Result<ClientDeletion, FirmLinkError> {
        if self
            .store
            .read(|db| clients::read::by_id(db, client_id))?
            .is_none()
        {
            return Err(FirmLinkError::ClientNotFound(client_id));
        }
        let mut done = ClientDeletion {
            client_id,
            ..ClientDeletion::default()
        };
        let held = self
            .store
            .read(|db| connections::read::list(db, Some(client_id)))?;
        for conn in held {
            let at_provider = self
                .delete_at_provider(&conn, local_if_provider_fails)
                .map_err(|e| stopped_at(e, &conn, done.connections_removed))?;
            let detail = format!(
                "{}: {}; client deleted",
                conn.provider.as_str(),
                at_provider.says()
            );
            self.store
                .write_as(|tx| remove_row(tx, conn.id, &detail, self.actor))?;
            done.connections_removed += 1;
            match at_provider {
                AtProvider::Deleted => done.deleted_at_provider += 1,
                AtProvider::Kept => done.kept_at_provider += 1,
                AtProvider::Gone => {}
            }
        }
        let detail = format!(
            "{} connection(s) removed: {} deleted at the provider, {} kept at the provider",
            done.connections_removed, done.deleted_at_provider, done.kept_at_provider
        );
        self.store
            .write_as(|tx| delete_client_row(tx, client_id, &detail, self.actor))?;
        Ok(done)
    }

    /// Deletes the connection's credential at its provider.
    fn delete_at_provider(
        &self,
        conn: &Connection,
        local_if_provider_fails: bool,
    ) -> Result<AtProvider, FirmLinkError> {
        let Some(token) = connection::credentials(self.store, self.keychain, conn.id)? else {
            return Ok(AtProvider::Gone);
        };
        let deleted = self.api(conn.provider).and_then(|api| {
            self.runtime
                .block_on(api.delete_credential(&token))
                .map_err(FirmLinkError::Provider)
        });
        match deleted {
            Ok(DeleteResult::Deleted) => Ok(AtProvider::Deleted),
            Ok(DeleteResult::AlreadyGone) => Ok(AtProvider::Gone),
            Err(FirmLinkError::Provider(_) | FirmLinkError::NotConfigured(_))
                if local_if_provider_fails =>
            {
                Ok(AtProvider::Kept)
            }
            Err(e) => Err(e),
        }
    }
}

/// "Confirm the account holder": the held connection's data joins the client's book, audited;
/// refused unless the connection waits for this answer. The connection as it now stands.
pub fn confirm_holder(
    store: &FirmStore,
    connection_id: i64,
    actor: &str,
) -> Result<Connection, FirmLinkError> {
    store.write_as(|tx| {
        let confirmed = tx.query_opt(
            "UPDATE connections SET holder_check = $3 WHERE id = $1 AND holder_check = $2
             RETURNING client_id",
            &[
                &connection_id,
                &HolderCheckState::Pending.as_str(),
                &HolderCheckState::Confirmed.as_str(),
            ],
        )?;
        let Some(row) = confirmed else {
            return match connections::read::by_id(tx, connection_id)? {
                Some(_) => Err(FirmLinkError::Invalid(NOT_WAITING.into())),
                None => Err(FirmLinkError::ConnectionNotFound(connection_id)),
            };
        };
        append(
            tx,
            &Entry {
                actor,
                client_id: Some(row.get(0)),
                connection_id: Some(connection_id),
                action: "connection.holder_confirmed",
                detail: "the advisor confirmed the account holder: data joins the book",
            },
        )?;
        connections::read::by_id(tx, connection_id)?
            .ok_or(FirmLinkError::ConnectionNotFound(connection_id))
    })
}

/// The connection row (its sealed credentials and data by cascade), its entry written first.
fn remove_row(
    tx: &mut Transaction<'_>,
    connection_id: i64,
    detail: &str,
    actor: &str,
) -> Result<(), FirmLinkError> {
    let client_id: i64 = tx
        .query_opt(
            "SELECT client_id FROM connections WHERE id = $1 FOR UPDATE",
            &[&connection_id],
        )?
        .ok_or(FirmLinkError::ConnectionNotFound(connection_id))?
        .get(0);
    append(
        tx,
        &Entry {
            actor,
            client_id: Some(client_id),
            connection_id: Some(connection_id),
            action: "connection.removed",
            detail,
        },
    )?;
    tx.execute("DELETE FROM connections WHERE id = $1", &[&connection_id])?;
    Ok(())
}

/// The client row and, by cascade, everything hanging from it; refused while a connection
/// remains (one added meanwhile: its credential must go first).
fn delete_client_row(
    tx: &mut Transaction<'_>,
    client_id: i64,
    detail: &str,
    actor: &str,
) -> Result<(), FirmLinkError> {
    let left: i64 = tx
        .query_one(
            "SELECT count(*) FROM connections WHERE client_id = $1",
            &[&client_id],
        )?
        .get(0);
    if left > 0 {
        return Err(FirmLinkError::Invalid(
            "a connection was added to this client meanwhile; delete the client again".into(),
        ));
    }
    append(
        tx,
        &Entry {
            actor,
            client_id: Some(client_id),
            connection_id: None,
            action: "client.deleted",
            detail,
        },
    )?;
    if tx.execute("DELETE FROM clients WHERE id = $1", &[&client_id])? == 0 {
        return Err(FirmLinkError::ClientNotFound(client_id));
    }
    Ok(())
}

/// A provider's refusal during a client's deletion, told with the connection it stopped at.
fn stopped_at(e: FirmLinkError, conn: &Connection, removed: usize) -> FirmLinkError {
    let why = match &e {
        FirmLinkError::Provider(f) => f.to_string(),
        FirmLinkError::NotConfigured(p) => format!("{p} is not configured"),
        _ => return e,
    };
    let at = conn
        .institution_name
        .clone()
        .or(conn.institution_id.clone())
        .unwrap_or_else(|| conn.provider.as_str().to_string());
    FirmLinkError::DeletionStopped(format!(
        "the provider could not delete the connection to {at} (connection {}): {why}. \
         {removed} connection(s) were removed before it; nothing else was deleted. Try again \
         later, or delete here anyway (the provider then keeps that credential)",
        conn.id
    ))
}

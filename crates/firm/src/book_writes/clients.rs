//! Adding a client and setting how it is reached, on the firm database.

use advisor_desk_core::clients::{self as core_clients, Client, Language, NewClient};
use advisor_desk_core::{time, CoreError};

use super::{audit, write};
use crate::queries::clients;
use crate::FirmStore;

/// Adds a client (validated as in the solo book) and its audit entry. An advisor's new client
/// is assigned to them in the same statement (the schema's trigger), so it is theirs at once.
pub fn add(store: &FirmStore, input: &NewClient, actor: &str) -> Result<Client, CoreError> {
    let valid = core_clients::validate(input)?;
    write(store, |tx| {
        let id = clients::write::insert(tx, &valid.row(), time::now())?;
        audit::append(tx, actor, Some(id), "client.added", "")?;
        found(clients::read::by_id(tx, id)?, id)
    })
}

/// Sets the client's e-mail address (empty removes it) and the language of messages sent to
/// them. A client the member may not see is not found.
pub fn set_contact(
    store: &FirmStore,
    id: i64,
    email: &Option<String>,
    language: Language,
    actor: &str,
) -> Result<Client, CoreError> {
    let email = core_clients::valid_email(email)?;
    write(store, |tx| {
        let changed = tx.execute(
            "UPDATE clients SET email = $2, language = $3, updated_at = $4 WHERE id = $1",
            &[&id, &email, &language.as_str(), &time::now()],
        )?;
        if changed != 1 {
            return Err(CoreError::not_found("client", id).into());
        }
        audit::append(
            tx,
            actor,
            Some(id),
            "client.contact_changed",
            language.as_str(),
        )?;
        found(clients::read::by_id(tx, id)?, id)
    })
}

fn found(client: Option<Client>, id: i64) -> super::WriteResult<Client> {
    client.ok_or_else(|| CoreError::not_found("client", id).into())
}

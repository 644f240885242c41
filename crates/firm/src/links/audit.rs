//! The link sessions' audit entries in the firm's append-only `audit_log`; the database records
//! which role wrote each (`actor_role`).

use postgres::Transaction;

use super::error::FirmLinkError;

pub struct Entry<'a> {
    pub actor: &'a str,
    pub client_id: Option<i64>,
    pub connection_id: Option<i64>,
    pub action: &'a str,
    pub detail: &'a str,
}

pub fn append(tx: &mut Transaction<'_>, entry: &Entry<'_>) -> Result<(), FirmLinkError> {
    tx.execute(
        "INSERT INTO audit_log (at, actor, client_id, connection_id, action, detail)
         VALUES (now(), $1, $2, $3, $4, $5)",
        &[
            &entry.actor,
            &entry.client_id,
            &entry.connection_id,
            &entry.action,
            &entry.detail,
        ],
    )?;
    Ok(())
}

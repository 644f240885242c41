//! The book writes' audit entries, with the same actions and details as the solo book's,
//! through the firm's one `audit::append`.

use advisor_desk_core::store::NewAuditEntry;
use postgres::Transaction;

use super::WriteResult;

pub(super) fn append(
    tx: &mut Transaction<'_>,
    actor: &str,
    client_id: Option<i64>,
    action: &str,
    detail: &str,
) -> WriteResult<()> {
    let entry = NewAuditEntry {
        actor,
        client_id,
        connection_id: None,
        action,
        detail,
    };
    Ok(crate::audit::append(tx, &entry)?)
}

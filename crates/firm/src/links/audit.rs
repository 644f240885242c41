//! The link sessions' audit entries, through the firm's one `audit::append`.

use postgres::Transaction;

use super::error::FirmLinkError;

pub use advisor_desk_core::store::NewAuditEntry as Entry;

pub fn append(tx: &mut Transaction<'_>, entry: &Entry<'_>) -> Result<(), FirmLinkError> {
    Ok(crate::audit::append(tx, entry)?)
}

//! The append-only audit log: who or what did what, to which client or connection.

use serde::Serialize;

use crate::error::Result;

pub struct NewAuditEntry<'a> {
    pub actor: &'a str,
    pub client_id: Option<i64>,
    pub connection_id: Option<i64>,
    pub action: &'a str,
    pub detail: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub client_id: Option<i64>,
    pub connection_id: Option<i64>,
    pub action: String,
    pub detail: String,
}

pub use super::queries::audit::write::append;

impl super::Store {
    pub fn audit(&self, e: &NewAuditEntry<'_>) -> Result<()> {
        self.write(|tx| append(tx, e))
    }

    /// The newest entries first.
    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(|c| super::queries::audit::read::latest(c, limit))
    }
}

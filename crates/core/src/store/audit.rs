//! The append-only audit log: who or what did what, to which client or connection.

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::error::Result;
use crate::time;

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

/// Appends an entry inside the caller's transaction, so the entry and the change it records
/// commit together.
pub fn append(conn: &Connection, e: &NewAuditEntry<'_>) -> Result<()> {
    conn.execute(
        "INSERT INTO audit_log (at, actor, client_id, connection_id, action, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            time::to_db(time::now()),
            e.actor,
            e.client_id,
            e.connection_id,
            e.action,
            e.detail
        ],
    )?;
    Ok(())
}

impl super::Store {
    pub fn audit(&self, e: &NewAuditEntry<'_>) -> Result<()> {
        self.write(|tx| append(tx, e))
    }

    /// The newest entries first.
    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, at, actor, client_id, connection_id, action, detail
                 FROM audit_log ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt
                .query_map([limit], |r| {
                    Ok(AuditEntry {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        client_id: r.get(3)?,
                        connection_id: r.get(4)?,
                        action: r.get(5)?,
                        detail: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
    }
}

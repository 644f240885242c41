//! The `audit_log` table: append-only (triggers refuse UPDATE and DELETE).

pub mod read {
    use super::super::Db;
    use crate::error::Result;
    use crate::store::audit::AuditEntry;

    /// The newest entries first.
    pub fn latest(db: &Db, limit: u32) -> Result<Vec<AuditEntry>> {
        let mut stmt = db.prepare(
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
    }
}

pub mod write {
    use rusqlite::params;

    use super::super::Db;
    use crate::error::Result;
    use crate::store::audit::NewAuditEntry;
    use crate::time;

    /// Appends an entry inside the caller's transaction, so the entry and the change it
    /// records commit together. (Takes any connection: the snapshot writer and the tests
    /// hand in a transaction they opened themselves.)
    pub fn append(db: &Db, e: &NewAuditEntry<'_>) -> Result<()> {
        db.execute(
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
}

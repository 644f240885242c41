//! The firm's `audit_log` as the audit screen reads it: the core's `AuditEntry`, newest first,
//! as many as row-level security lets the member see (an entry about a client or connection
//! with it; one about neither to the role that wrote it; all of them to the administrator and
//! compliance).

pub mod read {
    use advisor_desk_core::store::audit::AuditEntry;
    use advisor_desk_core::time::{self, Timestamp};

    use crate::queries::Reader;
    use crate::FirmDbError;

    /// The newest `limit` entries first. In a shared book "who" is the role that wrote the
    /// entry as much as what the desktop called itself, so the actor reads
    /// `advisor (ana_ruiz)`.
    pub fn latest(db: &mut impl Reader, limit: u32) -> Result<Vec<AuditEntry>, FirmDbError> {
        let rows = db.rows(
            "SELECT id, at, actor, actor_role, client_id, connection_id, action, detail
             FROM audit_log ORDER BY id DESC LIMIT $1",
            &[&i64::from(limit)],
        )?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                id: r.get(0),
                at: time::to_db(r.get::<_, Timestamp>(1)),
                actor: format!("{} ({})", r.get::<_, String>(2), r.get::<_, String>(3)),
                client_id: r.get(4),
                connection_id: r.get(5),
                action: r.get(6),
                detail: r.get(7),
            })
            .collect())
    }
}

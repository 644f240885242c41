//! The firm's append-only `audit_log`: the one statement every entry a desktop adds goes
//! through, with the core's `NewAuditEntry`; the database records which role wrote each
//! (`actor_role`).

use advisor_desk_core::store::NewAuditEntry;
use postgres::types::ToSql;
use postgres::GenericClient;

/// Adds one entry; `values` binds its parameters in order.
pub const APPEND: &str =
    "INSERT INTO audit_log (at, actor, client_id, connection_id, action, detail)
     VALUES (now(), $1, $2, $3, $4, $5)";

/// `APPEND`'s parameters, for a caller that runs statements its own way (a snapshot's
/// prepared-statement cache).
pub fn values<'a>(e: &'a NewAuditEntry<'_>) -> [&'a (dyn ToSql + Sync); 5] {
    [
        &e.actor,
        &e.client_id,
        &e.connection_id,
        &e.action,
        &e.detail,
    ]
}

pub fn append(db: &mut impl GenericClient, e: &NewAuditEntry<'_>) -> Result<(), postgres::Error> {
    db.execute(APPEND, &values(e))?;
    Ok(())
}

//! The book writes' entries in the firm's append-only `audit_log`, with the same actions and
//! details as the solo book's; the database records which role wrote each (`actor_role`).

use postgres::Transaction;

use super::WriteResult;

pub(super) fn append(
    tx: &mut Transaction<'_>,
    actor: &str,
    client_id: Option<i64>,
    action: &str,
    detail: &str,
) -> WriteResult<()> {
    tx.execute(
        "INSERT INTO audit_log (at, actor, client_id, action, detail)
         VALUES (now(), $1, $2, $3, $4)",
        &[&actor, &client_id, &action, &detail],
    )?;
    Ok(())
}

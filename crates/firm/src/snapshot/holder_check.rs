//! The holder check's statements on the firm database (columns of firm migration 0005, the
//! SQLite book's 0014): the rule is the core's (`sync::holder_check::check_first_snapshot`),
//! run by the refresh in the transaction that writes a connection's first snapshot.

use advisor_desk_core::domain::holders::HolderCheckState;
use advisor_desk_core::store::snapshot_store::HolderCheckStore;
use advisor_desk_core::store::NewAuditEntry;

use super::{PgSnapshotRows, SnapshotRowsError};

impl HolderCheckStore for PgSnapshotRows<'_, '_> {
    type Error = SnapshotRowsError;

    fn holder_check(&self, connection_id: i64) -> Result<HolderCheckState, SnapshotRowsError> {
        let rows = self.query(
            "SELECT holder_check FROM connections WHERE id = $1",
            &[&connection_id],
        )?;
        let row = rows
            .first()
            .ok_or(SnapshotRowsError::ConnectionGone(connection_id))?;
        let stored: &str = row.get(0);
        HolderCheckState::parse(stored).ok_or_else(|| SnapshotRowsError::UnknownStored {
            connection_id,
            what: "holder check",
            value: stored.to_string(),
        })
    }

    fn names_to_compare(&self, client_id: i64) -> Result<Vec<String>, SnapshotRowsError> {
        // The client first, then the other members of its household, as the solo book orders
        // them (the member's role sees them: the household is served as a whole).
        let rows = self.query(
            "SELECT c.name FROM clients c WHERE c.id = $1
             UNION ALL
             (SELECT c.name FROM household_members me
                JOIN household_members m ON m.household_id = me.household_id
                JOIN clients c ON c.id = m.client_id
               WHERE me.client_id = $1 AND m.client_id <> $1
               ORDER BY m.client_id)",
            &[&client_id],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn set_holder_check(
        &self,
        connection_id: i64,
        from: HolderCheckState,
        to: HolderCheckState,
        holder_names: &[String],
    ) -> Result<usize, SnapshotRowsError> {
        let names = (!holder_names.is_empty()).then(|| holder_names.join("\u{1f}"));
        let changed = self.execute(
            "UPDATE connections SET holder_check = $3, holder_names = coalesce($4, holder_names)
             WHERE id = $1 AND holder_check = $2",
            &[&connection_id, &from.as_str(), &to.as_str(), &names],
        )?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    fn audit(&self, e: &NewAuditEntry<'_>) -> Result<(), SnapshotRowsError> {
        self.execute(crate::audit::APPEND, &crate::audit::values(e))?;
        Ok(())
    }
}

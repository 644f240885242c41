//! The `households` and `household_members` tables' reads, as the core's
//! `store::queries::households::read`.

pub mod read {
    use crate::queries::Reader;
    use advisor_desk_core::households::Household;
    use advisor_desk_core::time::{self, Timestamp};

    use crate::FirmDbError;

    pub fn household(db: &mut impl Reader, id: i64) -> Result<Option<Household>, FirmDbError> {
        let row = db.row_opt(
            "SELECT id, name, created_at, updated_at FROM households WHERE id = $1",
            &[&id],
        )?;
        Ok(row.map(|r| Household {
            id: r.get(0),
            name: r.get(1),
            created_at: time::to_db(r.get::<_, Timestamp>(2)),
            updated_at: time::to_db(r.get::<_, Timestamp>(3)),
        }))
    }

    /// Member client ids of one household, in joining order.
    pub fn member_ids(db: &mut impl Reader, household_id: i64) -> Result<Vec<i64>, FirmDbError> {
        let rows = db.rows(
            "SELECT client_id FROM household_members WHERE household_id = $1
             ORDER BY joined_at, client_id",
            &[&household_id],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

//! The `households` and `household_members` tables' reads, as the core's
//! `store::queries::households::read`.

pub mod read {
    use crate::queries::Reader;
    use advisor_desk_core::households::Household;
    use advisor_desk_core::time::{self, Timestamp};
    use std::collections::BTreeMap;

    use postgres::Row;

    use crate::FirmDbError;

    const COLUMNS: &str = "id, name, created_at, updated_at";

    fn from_row(r: &Row) -> Household {
        Household {
            id: r.get(0),
            name: r.get(1),
            created_at: time::to_db(r.get::<_, Timestamp>(2)),
            updated_at: time::to_db(r.get::<_, Timestamp>(3)),
        }
    }

    pub fn household(db: &mut impl Reader, id: i64) -> Result<Option<Household>, FirmDbError> {
        let row = db.row_opt(
            &format!("SELECT {COLUMNS} FROM households WHERE id = $1"),
            &[&id],
        )?;
        Ok(row.as_ref().map(from_row))
    }

    /// The households the member may see, in id order.
    pub fn households(db: &mut impl Reader) -> Result<Vec<Household>, FirmDbError> {
        let rows = db.rows(
            &format!("SELECT {COLUMNS} FROM households ORDER BY id"),
            &[],
        )?;
        Ok(rows.iter().map(from_row).collect())
    }

    /// Every membership the member may see: client id → household id.
    pub fn memberships(db: &mut impl Reader) -> Result<BTreeMap<i64, i64>, FirmDbError> {
        let rows = db.rows("SELECT client_id, household_id FROM household_members", &[])?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
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

//! The `households` and `household_members` tables. A household's data is no table of its
//! own: it is its members' data read as one set of clients (see `positions`,
//! `client_overview`, `transactions`).

pub mod read {
    use std::collections::BTreeMap;

    use rusqlite::{OptionalExtension, Row};

    use super::super::Db;
    use crate::error::Result;
    use crate::households::Household;

    const COLUMNS: &str = "id, name, created_at, updated_at";

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Household> {
        Ok(Household {
            id: r.get(0)?,
            name: r.get(1)?,
            created_at: r.get(2)?,
            updated_at: r.get(3)?,
        })
    }

    pub fn household(db: &Db, id: i64) -> Result<Option<Household>> {
        Ok(db
            .prepare_cached(&format!("SELECT {COLUMNS} FROM households WHERE id = ?1"))?
            .query_row([id], from_row)
            .optional()?)
    }

    pub fn households(db: &Db) -> Result<Vec<Household>> {
        let mut stmt =
            db.prepare_cached(&format!("SELECT {COLUMNS} FROM households ORDER BY id"))?;
        let rows = stmt
            .query_map([], from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Member client ids of one household, in joining order.
    pub fn member_ids(db: &Db, household_id: i64) -> Result<Vec<i64>> {
        // Sorted here, not by `ORDER BY`: SQLite's sorter cost a household's page more than
        // its members' client rows did (≈ 16 µs for a handful of members).
        let mut stmt = db.prepare_cached(
            "SELECT joined_at, client_id FROM household_members WHERE household_id = ?1",
        )?;
        let mut rows = stmt
            .query_map([household_id], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<(String, i64)>>>()?;
        rows.sort_unstable();
        Ok(rows.into_iter().map(|(_, id)| id).collect())
    }

    /// Every membership: client id → household id.
    pub fn memberships(db: &Db) -> Result<BTreeMap<i64, i64>> {
        let mut stmt =
            db.prepare_cached("SELECT client_id, household_id FROM household_members")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The household a client belongs to, if any.
    pub fn household_of(db: &Db, client_id: i64) -> Result<Option<i64>> {
        Ok(db
            .query_row(
                "SELECT household_id FROM household_members WHERE client_id = ?1",
                [client_id],
                |r| r.get(0),
            )
            .optional()?)
    }
}

pub mod write {
    use rusqlite::params;

    use super::super::Tx;
    use crate::error::Result;

    pub fn insert_household(tx: &Tx<'_>, name: &str, now: &str) -> Result<i64> {
        tx.execute(
            "INSERT INTO households (name, created_at, updated_at) VALUES (?1, ?2, ?2)",
            params![name, now],
        )?;
        Ok(tx.last_insert_rowid())
    }

    pub fn rename_household(tx: &Tx<'_>, id: i64, name: &str, now: &str) -> Result<bool> {
        Ok(tx.execute(
            "UPDATE households SET name = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, name, now],
        )? == 1)
    }

    pub fn delete_household(tx: &Tx<'_>, id: i64) -> Result<bool> {
        Ok(tx.execute("DELETE FROM households WHERE id = ?1", [id])? == 1)
    }

    pub fn insert_member(tx: &Tx<'_>, household_id: i64, client_id: i64, now: &str) -> Result<()> {
        tx.execute(
            "INSERT INTO household_members (client_id, household_id, joined_at)
             VALUES (?1, ?2, ?3)",
            params![client_id, household_id, now],
        )?;
        Ok(())
    }

    pub fn move_member(tx: &Tx<'_>, client_id: i64, household_id: i64, now: &str) -> Result<()> {
        tx.execute(
            "UPDATE household_members SET household_id = ?2, joined_at = ?3 WHERE client_id = ?1",
            params![client_id, household_id, now],
        )?;
        Ok(())
    }

    pub fn delete_member(tx: &Tx<'_>, client_id: i64) -> Result<bool> {
        Ok(tx.execute(
            "DELETE FROM household_members WHERE client_id = ?1",
            [client_id],
        )? == 1)
    }

    pub fn touch_household(tx: &Tx<'_>, id: i64, now: &str) -> Result<()> {
        tx.execute(
            "UPDATE households SET updated_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
        Ok(())
    }
}

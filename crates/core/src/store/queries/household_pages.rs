//! The `household_pages` table (migration 0018): each household's counted rows as JSON, kept
//! as the writes make them (`households::counted_rows`). The schema's triggers delete a row
//! whenever what it was counted from changes; the store's writer puts the missing ones back
//! before it commits.

pub mod read {
    use rusqlite::OptionalExtension;

    use super::super::Db;
    use crate::error::Result;

    /// A household's stored rows (JSON), if it has any.
    pub fn rows(db: &Db, household_id: i64) -> Result<Option<String>> {
        Ok(db
            .prepare_cached("SELECT rows FROM household_pages WHERE household_id = ?1")?
            .query_row([household_id], |r| r.get(0))
            .optional()?)
    }

    /// Households whose rows are missing, in id order.
    pub fn missing(db: &Db) -> Result<Vec<i64>> {
        let mut stmt = db.prepare_cached(
            "SELECT id FROM households h
             WHERE NOT EXISTS (SELECT 1 FROM household_pages p WHERE p.household_id = h.id)
             ORDER BY id",
        )?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }
}

pub mod write {
    use rusqlite::params;

    use super::super::Tx;
    use crate::error::Result;

    pub fn put(tx: &Tx<'_>, household_id: i64, rows: &str) -> Result<()> {
        tx.prepare_cached(
            "INSERT INTO household_pages (household_id, rows) VALUES (?1, ?2)
             ON CONFLICT (household_id) DO UPDATE SET rows = excluded.rows",
        )?
        .execute(params![household_id, rows])?;
        Ok(())
    }
}

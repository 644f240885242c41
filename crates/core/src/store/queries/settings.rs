//! The `settings` table: non-secret key/value settings (provider environment, base URLs,
//! the installation id, the last scheduled refresh).

pub mod read {
    use rusqlite::OptionalExtension;

    use super::super::Db;
    use crate::error::Result;

    pub fn value(db: &Db, key: &str) -> Result<Option<String>> {
        // Cached: every page reads the book's rules (freshness, the SCA period) this way.
        Ok(db
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }
}

pub mod write {
    use super::super::Tx;
    use crate::error::Result;

    pub fn set(tx: &Tx<'_>, key: &str, value: &str) -> Result<()> {
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    pub fn remove(tx: &Tx<'_>, key: &str) -> Result<()> {
        tx.execute("DELETE FROM settings WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Sets the value unless the key already has one.
    pub fn set_if_absent(tx: &Tx<'_>, key: &str, value: &str) -> Result<()> {
        tx.execute(
            "INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)",
            [key, value],
        )?;
        Ok(())
    }
}

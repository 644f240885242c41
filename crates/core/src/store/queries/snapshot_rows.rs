//! The snapshot tables of one connection: `accounts` (with `account_owners`), `holdings`,
//! `liabilities`, `cards` and `transactions`. Only the snapshot writer
//! (`sync/snapshot_writer.rs`) writes them: it decides what changed (dedupe keys, row
//! hashes, presence); these functions only say it in SQL. Its writes take any connection
//! (`&Db`), since the writer runs inside the transaction its caller opened. The row types
//! are the engine-neutral ones of `store/snapshot_store.rs`, whose SQLite implementation
//! calls these functions.

pub mod read {
    use std::collections::HashMap;

    use super::super::Db;
    use crate::error::Result;
    use crate::store::snapshot_store::{PositionTable, StoredAccount, StoredTxn};

    pub fn accounts(db: &Db, connection_id: i64) -> Result<Vec<StoredAccount>> {
        let mut stmt = db.prepare_cached(
            "SELECT id, dedupe_key, row_hash, presence, provider_id FROM accounts
             WHERE connection_id = ?1",
        )?;
        let rows = stmt
            .query_map([connection_id], |r| {
                Ok(StoredAccount {
                    id: r.get(0)?,
                    dedupe_key: r.get(1)?,
                    hash: r.get(2)?,
                    presence: r.get(3)?,
                    provider_id: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// dedupe key → (id, row hash) of one connection's rows in a position table.
    pub fn positions(
        db: &Db,
        table: PositionTable,
        connection_id: i64,
    ) -> Result<HashMap<String, (i64, i64)>> {
        let mut stmt = db.prepare_cached(&format!(
            "SELECT dedupe_key, id, row_hash FROM {} WHERE connection_id = ?1",
            table.name()
        ))?;
        let rows = stmt
            .query_map([connection_id], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
            .collect::<rusqlite::Result<HashMap<_, _>>>()?;
        Ok(rows)
    }

    pub fn transactions(db: &Db, connection_id: i64) -> Result<Vec<StoredTxn>> {
        let mut stmt = db.prepare_cached(
            "SELECT id, account_id, dedupe_key, provider_id, row_hash, presence, booking_date
             FROM transactions WHERE connection_id = ?1",
        )?;
        let rows = stmt
            .query_map([connection_id], |r| {
                let presence: String = r.get(5)?;
                Ok(StoredTxn {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    dedupe_key: r.get(2)?,
                    provider_id: r.get(3)?,
                    hash: r.get(4)?,
                    active: presence == "active",
                    booking_date: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

pub mod write {
    use rusqlite::{params, params_from_iter, ToSql};

    use super::super::Db;
    use crate::domain::model::{Card, Holding, Liability};
    use crate::error::Result;
    use crate::store::snapshot_store::{AccountRow, PositionKey, PositionTable, TxnRow};

    /// Rewrites a changed (or returning) account; it is active again.
    pub fn update_account(db: &Db, id: i64, a: &AccountRow<'_>) -> Result<()> {
        db.prepare_cached(
            "UPDATE accounts SET provider_id = ?2, kind = ?3, name = ?4, number_masked = ?5,
                 currency = ?6, balance_minor = ?7, available_minor = ?8, asset_class = ?9,
                 as_of = ?10, row_hash = ?11, presence = 'active'
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            a.provider_id,
            a.kind,
            a.name,
            a.number_masked,
            a.currency,
            a.balance_minor,
            a.available_minor,
            a.asset_class,
            a.as_of,
            a.hash
        ])?;
        Ok(())
    }

    /// A new active account; its id.
    pub fn insert_account(
        db: &Db,
        connection_id: i64,
        dedupe_key: &str,
        a: &AccountRow<'_>,
    ) -> Result<i64> {
        db.prepare_cached(
            "INSERT INTO accounts (connection_id, provider_id, dedupe_key, kind, name,
                 number_masked, currency, balance_minor, available_minor, asset_class,
                 as_of, row_hash, presence)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'active')",
        )?
        .execute(params![
            connection_id,
            a.provider_id,
            dedupe_key,
            a.kind,
            a.name,
            a.number_masked,
            a.currency,
            a.balance_minor,
            a.available_minor,
            a.asset_class,
            a.as_of,
            a.hash
        ])?;
        Ok(db.last_insert_rowid())
    }

    /// Kept but marked missing (the provider stopped returning it).
    pub fn mark_account_missing(db: &Db, id: i64) -> Result<()> {
        db.prepare_cached("UPDATE accounts SET presence = 'missing', row_hash = 0 WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    /// Adds the account's owners (blank names skipped, repeats ignored).
    pub fn add_owners(db: &Db, account_id: i64, owners: &[String]) -> Result<()> {
        let mut stmt = db.prepare_cached(
            "INSERT OR IGNORE INTO account_owners (account_id, owner_name) VALUES (?1, ?2)",
        )?;
        for o in owners.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
            stmt.execute(params![account_id, o])?;
        }
        Ok(())
    }

    /// Replaces the account's owners.
    pub fn replace_owners(db: &Db, account_id: i64, owners: &[String]) -> Result<()> {
        db.prepare_cached("DELETE FROM account_owners WHERE account_id = ?1")?
            .execute([account_id])?;
        add_owners(db, account_id, owners)
    }

    /// Writes one position row by its key: inserted, or updated in place (same id) when the
    /// connection already has a row with that dedupe key. `values` are the table's own
    /// columns' (`PositionTable::columns`), in that order.
    fn upsert_position(
        db: &Db,
        table: PositionTable,
        k: &PositionKey<'_>,
        values: &[&dyn ToSql],
    ) -> Result<()> {
        let columns = table.columns();
        // One value per column, in `PositionTable::columns`' order.
        debug_assert_eq!(columns.len(), values.len());
        let placeholders: Vec<String> = (4..4 + columns.len()).map(|i| format!("?{i}")).collect();
        let updates: Vec<String> = columns
            .iter()
            .chain(&["row_hash"])
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let sql = format!(
            "INSERT INTO {} (connection_id, dedupe_key, row_hash, {})
             VALUES (?1, ?2, ?3, {})
             ON CONFLICT (connection_id, dedupe_key) DO UPDATE SET {}",
            table.name(),
            columns.join(", "),
            placeholders.join(", "),
            updates.join(", ")
        );
        let key: [&dyn ToSql; 3] = [&k.connection_id, &k.dedupe_key, &k.hash];
        db.prepare_cached(&sql)?
            .execute(params_from_iter(key.iter().chain(values)))?;
        Ok(())
    }

    pub fn upsert_holding(
        db: &Db,
        k: &PositionKey<'_>,
        h: &Holding,
        account_id: Option<i64>,
        units: Option<&str>,
        as_of: Option<&str>,
    ) -> Result<()> {
        upsert_position(
            db,
            PositionTable::Holdings,
            k,
            &[
                &account_id,
                &h.provider_id,
                &h.name,
                &h.isin,
                &h.asset_class.as_str(),
                &units,
                &h.value.minor,
                &h.value.currency.as_str(),
                &as_of,
            ],
        )
    }

    pub fn upsert_liability(
        db: &Db,
        k: &PositionKey<'_>,
        l: &Liability,
        as_of: Option<&str>,
    ) -> Result<()> {
        upsert_position(
            db,
            PositionTable::Liabilities,
            k,
            &[
                &l.provider_id,
                &l.kind.as_str(),
                &l.name,
                &l.outstanding.currency.as_str(),
                &l.outstanding.minor,
                &as_of,
            ],
        )
    }

    pub fn upsert_card(db: &Db, k: &PositionKey<'_>, c: &Card, as_of: Option<&str>) -> Result<()> {
        upsert_position(
            db,
            PositionTable::Cards,
            k,
            &[
                &c.provider_id,
                &c.name,
                &c.pan_masked,
                &c.balance.as_ref().map(|b| b.currency.as_str()),
                &c.balance.map(|b| b.minor),
                &as_of,
            ],
        )
    }

    pub fn delete_position(db: &Db, table: PositionTable, id: i64) -> Result<()> {
        db.prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", table.name()))?
            .execute([id])?;
        Ok(())
    }

    /// Rewrites a matched transaction; it is active again.
    pub fn update_transaction(db: &Db, id: i64, t: &TxnRow<'_>) -> Result<()> {
        db.prepare_cached(
            "UPDATE transactions SET provider_id = ?2, dedupe_key = ?3, booking_date = ?4,
                 value_date = ?5, amount_minor = ?6, currency = ?7, balance_minor = ?8,
                 description = ?9, category = ?10, counterparty = ?11,
                 presence = 'active', last_seen_at = ?12, row_hash = ?13
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            t.provider_id,
            t.dedupe_key,
            t.booking_date,
            t.value_date,
            t.amount_minor,
            t.currency,
            t.balance_minor,
            t.description,
            t.category,
            t.counterparty,
            t.now,
            t.hash
        ])?;
        Ok(())
    }

    pub fn insert_transaction(
        db: &Db,
        connection_id: i64,
        account_id: i64,
        t: &TxnRow<'_>,
    ) -> Result<()> {
        db.prepare_cached(
            "INSERT INTO transactions (connection_id, account_id, provider_id, dedupe_key,
                 booking_date, value_date, amount_minor, currency, balance_minor,
                 description, category, counterparty, presence, first_seen_at,
                 last_seen_at, row_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'active', ?13, ?13, ?14)",
        )?
        .execute(params![
            connection_id,
            account_id,
            t.provider_id,
            t.dedupe_key,
            t.booking_date,
            t.value_date,
            t.amount_minor,
            t.currency,
            t.balance_minor,
            t.description,
            t.category,
            t.counterparty,
            t.now,
            t.hash
        ])?;
        Ok(())
    }

    /// Kept but marked missing (not returned inside the provider's date window).
    pub fn mark_transaction_missing(db: &Db, id: i64) -> Result<()> {
        db.prepare_cached(
            "UPDATE transactions SET presence = 'missing', row_hash = 0 WHERE id = ?1",
        )?
        .execute([id])?;
        Ok(())
    }
}

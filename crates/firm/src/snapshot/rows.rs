//! The snapshot statements of the firm database (`accounts`, `account_owners`, `holdings`,
//! `liabilities`, `cards`, `transactions`, and the connection's after-sync columns), the
//! PostgreSQL face of the core's `SnapshotStore`. They say in SQL what the core's writer
//! decided; they decide nothing. The writer's text dates and times become `date` and
//! `timestamptz` here.

use std::cell::RefCell;
use std::collections::HashMap;

use advisor_desk_core::domain::model::{Card, Holding, Liability};
use advisor_desk_core::domain::{ConnectionStatus, ProviderFailure};
use advisor_desk_core::store::snapshot_store::{
    AccountRow, PositionKey, PositionTable, SnapshotStore, StoredAccount, StoredTxn, TxnRow,
};
use advisor_desk_core::time::{self, Timestamp};
use chrono::NaiveDate;
use postgres::types::ToSql;
use postgres::{Row, Statement, Transaction};

use super::new_transactions::{NewTransactions, TxnValues};
use super::SnapshotRowsError;

type Result<T> = std::result::Result<T, SnapshotRowsError>;
type Param<'p> = &'p (dyn ToSql + Sync);

/// One connection's snapshot statements inside the caller's transaction. The core's trait
/// takes `&self` (SQLite's statements do); a `postgres::Transaction` needs `&mut`, so it is
/// borrowed for one statement at a time.
pub struct PgSnapshotRows<'t, 'c> {
    tx: RefCell<&'t mut Transaction<'c>>,
    /// Each statement prepared once per snapshot: a new connection's first write inserts
    /// hundreds of rows with the same few statements.
    statements: RefCell<HashMap<String, Statement>>,
    /// New transactions, inserted together by `finish` (which the core's writer calls last).
    new_transactions: RefCell<NewTransactions>,
}

impl<'t, 'c> PgSnapshotRows<'t, 'c> {
    pub fn new(tx: &'t mut Transaction<'c>) -> Self {
        PgSnapshotRows {
            tx: RefCell::new(tx),
            statements: RefCell::default(),
            new_transactions: RefCell::default(),
        }
    }

    fn statement(&self, sql: &str) -> Result<Statement> {
        if let Some(prepared) = self.statements.borrow().get(sql) {
            return Ok(prepared.clone());
        }
        let prepared = self.tx.borrow_mut().prepare(sql)?;
        self.statements
            .borrow_mut()
            .insert(sql.to_string(), prepared.clone());
        Ok(prepared)
    }

    pub(super) fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let statement = self.statement(sql)?;
        Ok(self.tx.borrow_mut().execute(&statement, params)?)
    }

    pub(super) fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        Ok(self.tx.borrow_mut().query(&statement, params)?)
    }

    /// Writes one position row by its key, inserted or updated in place (same id). `values`
    /// are the table's own columns' (`PositionTable::columns`), in that order.
    fn upsert_position(
        &self,
        table: PositionTable,
        k: &PositionKey<'_>,
        values: &[Param<'_>],
    ) -> Result<()> {
        let columns = table.columns();
        // One value per column, in `PositionTable::columns`' order.
        debug_assert_eq!(columns.len(), values.len());
        let placeholders: Vec<String> = (4..4 + columns.len()).map(|i| format!("${i}")).collect();
        let updates: Vec<String> = columns
            .iter()
            .chain(&["row_hash"])
            .map(|c| format!("{c} = EXCLUDED.{c}"))
            .collect();
        let sql = format!(
            "INSERT INTO {} (connection_id, dedupe_key, row_hash, {})
             VALUES ($1, $2, $3, {})
             ON CONFLICT (connection_id, dedupe_key) DO UPDATE SET {}",
            table.name(),
            columns.join(", "),
            placeholders.join(", "),
            updates.join(", ")
        );
        let key: [Param<'_>; 3] = [&k.connection_id, &k.dedupe_key, &k.hash];
        let params: Vec<Param<'_>> = key.iter().chain(values).copied().collect();
        self.execute(&sql, &params)?;
        Ok(())
    }
}

/// A time the writer computed (`time::to_db` text) as a `timestamptz`.
fn required(what: &'static str, text: &str) -> Result<Timestamp> {
    time::from_db(text).ok_or_else(|| SnapshotRowsError::BadValue {
        what,
        value: text.to_string(),
    })
}

fn timestamp(what: &'static str, text: Option<&str>) -> Result<Option<Timestamp>> {
    text.map(|t| required(what, t)).transpose()
}

/// A `YYYY-MM-DD` date the writer computed as a `date`.
fn date(what: &'static str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| SnapshotRowsError::BadValue {
        what,
        value: text.to_string(),
    })
}

impl TxnValues {
    fn of(t: &TxnRow<'_>) -> Result<TxnValues> {
        Ok(TxnValues {
            booking_date: date("booking date", t.booking_date)?,
            value_date: t
                .value_date
                .as_deref()
                .map(|d| date("value date", d))
                .transpose()?,
            now: required("time seen", t.now)?,
        })
    }
}

impl SnapshotStore for PgSnapshotRows<'_, '_> {
    type Error = SnapshotRowsError;

    fn accounts(&self, connection_id: i64) -> Result<Vec<StoredAccount>> {
        let rows = self.query(
            "SELECT id, dedupe_key, row_hash, presence, provider_id FROM accounts
             WHERE connection_id = $1",
            &[&connection_id],
        )?;
        Ok(rows
            .iter()
            .map(|r| StoredAccount {
                id: r.get(0),
                dedupe_key: r.get(1),
                hash: r.get(2),
                presence: r.get(3),
                provider_id: r.get(4),
            })
            .collect())
    }

    fn positions(
        &self,
        table: PositionTable,
        connection_id: i64,
    ) -> Result<HashMap<String, (i64, i64)>> {
        let sql = format!(
            "SELECT dedupe_key, id, row_hash FROM {} WHERE connection_id = $1",
            table.name()
        );
        let rows = self.query(&sql, &[&connection_id])?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2))))
            .collect())
    }

    fn transactions(&self, connection_id: i64) -> Result<Vec<StoredTxn>> {
        let rows = self.query(
            "SELECT id, account_id, dedupe_key, provider_id, row_hash, presence, booking_date
             FROM transactions WHERE connection_id = $1",
            &[&connection_id],
        )?;
        Ok(rows
            .iter()
            .map(|r| StoredTxn {
                id: r.get(0),
                account_id: r.get(1),
                dedupe_key: r.get(2),
                provider_id: r.get(3),
                hash: r.get(4),
                active: r.get::<_, &str>(5) == "active",
                // NaiveDate's Display is the writer's `YYYY-MM-DD`.
                booking_date: r.get::<_, NaiveDate>(6).to_string(),
            })
            .collect())
    }

    fn insert_account(
        &self,
        connection_id: i64,
        dedupe_key: &str,
        a: &AccountRow<'_>,
    ) -> Result<i64> {
        let as_of = timestamp("account date", a.as_of)?;
        let rows = self.query(
            "INSERT INTO accounts (connection_id, provider_id, dedupe_key, kind, name,
                 number_masked, currency, balance_minor, available_minor, asset_class,
                 as_of, row_hash, presence)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active')
             RETURNING id",
            &[
                &connection_id,
                &a.provider_id,
                &dedupe_key,
                &a.kind,
                &a.name,
                &a.number_masked,
                &a.currency,
                &a.balance_minor,
                &a.available_minor,
                &a.asset_class,
                &as_of,
                &a.hash,
            ],
        )?;
        Ok(rows[0].get(0))
    }

    fn update_account(&self, id: i64, a: &AccountRow<'_>) -> Result<()> {
        let as_of = timestamp("account date", a.as_of)?;
        self.execute(
            "UPDATE accounts SET provider_id = $2, kind = $3, name = $4, number_masked = $5,
                 currency = $6, balance_minor = $7, available_minor = $8, asset_class = $9,
                 as_of = $10, row_hash = $11, presence = 'active'
             WHERE id = $1",
            &[
                &id,
                &a.provider_id,
                &a.kind,
                &a.name,
                &a.number_masked,
                &a.currency,
                &a.balance_minor,
                &a.available_minor,
                &a.asset_class,
                &as_of,
                &a.hash,
            ],
        )?;
        Ok(())
    }

    fn mark_account_missing(&self, id: i64) -> Result<()> {
        self.execute(
            "UPDATE accounts SET presence = 'missing', row_hash = 0 WHERE id = $1",
            &[&id],
        )?;
        Ok(())
    }

    fn add_owners(&self, account_id: i64, owners: &[String]) -> Result<()> {
        let names: Vec<&str> = owners
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        // One statement for all of them; a repeated name is one row.
        self.execute(
            "INSERT INTO account_owners (account_id, owner_name)
             SELECT $1, name FROM unnest($2::text[]) AS name
             ON CONFLICT DO NOTHING",
            &[&account_id, &names],
        )?;
        Ok(())
    }

    fn replace_owners(&self, account_id: i64, owners: &[String]) -> Result<()> {
        self.execute(
            "DELETE FROM account_owners WHERE account_id = $1",
            &[&account_id],
        )?;
        self.add_owners(account_id, owners)
    }

    fn upsert_holding(
        &self,
        k: &PositionKey<'_>,
        h: &Holding,
        account_id: Option<i64>,
        units: Option<&str>,
        as_of: Option<&str>,
    ) -> Result<()> {
        let as_of = timestamp("holding date", as_of)?;
        self.upsert_position(
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

    fn upsert_liability(
        &self,
        k: &PositionKey<'_>,
        l: &Liability,
        as_of: Option<&str>,
    ) -> Result<()> {
        let as_of = timestamp("liability date", as_of)?;
        self.upsert_position(
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

    fn upsert_card(&self, k: &PositionKey<'_>, c: &Card, as_of: Option<&str>) -> Result<()> {
        let as_of = timestamp("card date", as_of)?;
        self.upsert_position(
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

    fn delete_position(&self, table: PositionTable, id: i64) -> Result<()> {
        let sql = format!("DELETE FROM {} WHERE id = $1", table.name());
        self.execute(&sql, &[&id])?;
        Ok(())
    }

    fn insert_transaction(
        &self,
        connection_id: i64,
        account_id: i64,
        t: &TxnRow<'_>,
    ) -> Result<()> {
        let values = TxnValues::of(t)?;
        // Inserted with the others at `finish`: nothing the writer does before then reads it.
        self.new_transactions
            .borrow_mut()
            .push(connection_id, account_id, t, values);
        Ok(())
    }

    fn update_transaction(&self, id: i64, t: &TxnRow<'_>) -> Result<()> {
        let v = TxnValues::of(t)?;
        self.execute(
            "UPDATE transactions SET provider_id = $2, dedupe_key = $3, booking_date = $4,
                 value_date = $5, amount_minor = $6, currency = $7, balance_minor = $8,
                 description = $9, category = $10, counterparty = $11,
                 presence = 'active', last_seen_at = $12, row_hash = $13
             WHERE id = $1",
            &[
                &id,
                &t.provider_id,
                &t.dedupe_key,
                &v.booking_date,
                &v.value_date,
                &t.amount_minor,
                &t.currency,
                &t.balance_minor,
                &t.description,
                &t.category,
                &t.counterparty,
                &v.now,
                &t.hash,
            ],
        )?;
        Ok(())
    }

    fn mark_transaction_missing(&self, id: i64) -> Result<()> {
        self.execute(
            "UPDATE transactions SET presence = 'missing', row_hash = 0 WHERE id = $1",
            &[&id],
        )?;
        Ok(())
    }

    fn finish(&self) -> Result<()> {
        let mut new = self.new_transactions.borrow_mut();
        Ok(new.insert(&mut self.tx.borrow_mut())?)
    }

    fn record_success(
        &self,
        connection_id: i64,
        now: Timestamp,
        data_as_of: Option<Timestamp>,
        institution_name: Option<&str>,
    ) -> Result<()> {
        self.execute(
            "UPDATE connections SET status = 'ready', action_by = 'nobody',
                 provider_code = NULL, provider_message = NULL, last_attempt_at = $2,
                 last_success_at = $2, data_as_of = coalesce($3, data_as_of),
                 next_retry_at = NULL, consecutive_failures = 0,
                 institution_name = coalesce(institution_name, $4), updated_at = $2
             WHERE id = $1",
            &[&connection_id, &now, &data_as_of, &institution_name],
        )?;
        Ok(())
    }

    fn record_failure(
        &self,
        connection_id: i64,
        status: ConnectionStatus,
        failure: &ProviderFailure,
        consecutive_failures: u32,
        now: Timestamp,
    ) -> Result<()> {
        // integer in the schema; a count past i32 is as good as i32::MAX for the backoff.
        let failures = i32::try_from(consecutive_failures).unwrap_or(i32::MAX);
        self.execute(
            "UPDATE connections SET status = $2, action_by = $3, provider_code = $4,
                 provider_message = $5, last_attempt_at = $6, next_retry_at = $7,
                 consecutive_failures = $8, updated_at = $6
             WHERE id = $1",
            &[
                &connection_id,
                &status.as_str(),
                &status.action_by().as_str(),
                &failure
                    .provider_code
                    .as_deref()
                    .unwrap_or(failure.kind.as_str()),
                &failure.to_string(),
                &now,
                &failure.retry_at,
                &failures,
            ],
        )?;
        Ok(())
    }
}

//! Every SQL statement of households: the household and member tables (writes take the
//! caller's transaction, so the change and its audit entry commit together) and the
//! de-duplicated data of a household's member connections.
//!
//! A household's data is the union of its members' connections, de-duplicated by
//! `dedupe_key` across the whole household (not per client, as the client page does): a
//! joint account that two members reach through their own logins is counted once, the copy
//! with the freshest data.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use super::Household;
use crate::error::Result;
use crate::reads::book::Position;
use crate::reads::client::{AccountView, HoldingView, TransactionLine};
use crate::store::queries::client_overview::read::{account_from_row, holding_from_row};

// ---- households and members ----

const HOUSEHOLD_COLUMNS: &str = "id, name, created_at, updated_at";

fn household_from_row(r: &Row<'_>) -> rusqlite::Result<Household> {
    Ok(Household {
        id: r.get(0)?,
        name: r.get(1)?,
        created_at: r.get(2)?,
        updated_at: r.get(3)?,
    })
}

pub fn household(c: &Connection, id: i64) -> Result<Option<Household>> {
    Ok(c.query_row(
        &format!("SELECT {HOUSEHOLD_COLUMNS} FROM households WHERE id = ?1"),
        [id],
        household_from_row,
    )
    .optional()?)
}

pub fn households(c: &Connection) -> Result<Vec<Household>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {HOUSEHOLD_COLUMNS} FROM households ORDER BY id"
    ))?;
    let rows = stmt
        .query_map([], household_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Member client ids of one household, in joining order.
pub fn member_ids(c: &Connection, household_id: i64) -> Result<Vec<i64>> {
    let mut stmt = c.prepare_cached(
        "SELECT client_id FROM household_members WHERE household_id = ?1
         ORDER BY joined_at, client_id",
    )?;
    let rows = stmt
        .query_map([household_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Every membership: client id → household id.
pub fn memberships(c: &Connection) -> Result<BTreeMap<i64, i64>> {
    let mut stmt = c.prepare_cached("SELECT client_id, household_id FROM household_members")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The household a client belongs to, if any.
pub fn household_of(c: &Connection, client_id: i64) -> Result<Option<i64>> {
    Ok(c.query_row(
        "SELECT household_id FROM household_members WHERE client_id = ?1",
        [client_id],
        |r| r.get(0),
    )
    .optional()?)
}

pub fn insert_household(tx: &Transaction<'_>, name: &str, now: &str) -> Result<i64> {
    tx.execute(
        "INSERT INTO households (name, created_at, updated_at) VALUES (?1, ?2, ?2)",
        params![name, now],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn rename_household(tx: &Transaction<'_>, id: i64, name: &str, now: &str) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE households SET name = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, name, now],
    )? == 1)
}

pub fn delete_household(tx: &Transaction<'_>, id: i64) -> Result<bool> {
    Ok(tx.execute("DELETE FROM households WHERE id = ?1", [id])? == 1)
}

pub fn insert_member(
    tx: &Transaction<'_>,
    household_id: i64,
    client_id: i64,
    now: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO household_members (client_id, household_id, joined_at) VALUES (?1, ?2, ?3)",
        params![client_id, household_id, now],
    )?;
    Ok(())
}

pub fn move_member(
    tx: &Transaction<'_>,
    client_id: i64,
    household_id: i64,
    now: &str,
) -> Result<()> {
    tx.execute(
        "UPDATE household_members SET household_id = ?2, joined_at = ?3 WHERE client_id = ?1",
        params![client_id, household_id, now],
    )?;
    Ok(())
}

pub fn delete_member(tx: &Transaction<'_>, client_id: i64) -> Result<bool> {
    Ok(tx.execute(
        "DELETE FROM household_members WHERE client_id = ?1",
        [client_id],
    )? == 1)
}

pub fn touch_household(tx: &Transaction<'_>, id: i64, now: &str) -> Result<()> {
    tx.execute(
        "UPDATE households SET updated_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

// ---- the household's de-duplicated data ----

/// The connections of every member of household `?1`, with what picks the freshest copy.
const HOUSEHOLD_CONNECTIONS: &str = "hc AS (
        SELECT c.id, c.client_id, coalesce(c.data_as_of, c.last_success_at) AS fresh
        FROM connections c JOIN household_members m ON m.client_id = c.client_id
        WHERE m.household_id = ?1)";

/// De-duplicated positions across the household; `client_id` is the member whose
/// connection supplied the counted copy. Accounts whose holdings are known are counted
/// through their holdings, never both.
pub fn positions(c: &Connection, household_id: i64) -> Result<Vec<Position>> {
    let mut stmt = c.prepare_cached(&format!(
        "WITH {HOUSEHOLD_CONNECTIONS},
         ca AS (
             SELECT a.connection_id, a.dedupe_key, a.kind, a.asset_class, a.currency,
                    a.balance_minor, hc.client_id,
                    row_number() OVER (PARTITION BY a.dedupe_key
                                       ORDER BY coalesce(a.as_of, hc.fresh) DESC, a.id) AS rn
             FROM accounts a JOIN hc ON hc.id = a.connection_id
             WHERE a.presence = 'active'),
         held AS (
             SELECT DISTINCT a.dedupe_key
             FROM holdings h JOIN accounts a ON a.id = h.account_id
                             JOIN hc ON hc.id = h.connection_id),
         ch AS (
             SELECT h.connection_id, h.asset_class, h.currency, h.value_minor, hc.client_id,
                    row_number() OVER (PARTITION BY h.dedupe_key
                                       ORDER BY coalesce(h.as_of, hc.fresh) DESC, h.id) AS rn
             FROM holdings h JOIN hc ON hc.id = h.connection_id),
         cl AS (
             SELECT l.connection_id, l.currency, l.balance_minor, hc.client_id,
                    row_number() OVER (PARTITION BY l.dedupe_key
                                       ORDER BY coalesce(l.as_of, hc.fresh) DESC, l.id) AS rn
             FROM liabilities l JOIN hc ON hc.id = l.connection_id)
         SELECT client_id, connection_id, 0,
                coalesce(asset_class, CASE kind WHEN 'current' THEN 'cash'
                    WHEN 'savings' THEN 'cash' WHEN 'credit_card' THEN 'debt'
                    WHEN 'loan' THEN 'debt' ELSE 'other' END),
                currency, balance_minor
             FROM ca WHERE rn = 1 AND dedupe_key NOT IN held
         UNION ALL
         SELECT client_id, connection_id, 1, asset_class, currency, value_minor
             FROM ch WHERE rn = 1
         UNION ALL
         SELECT client_id, connection_id, 2, 'debt', currency, -balance_minor
             FROM cl WHERE rn = 1"
    ))?;
    let rows = stmt
        .query_map([household_id], |r| {
            let source: i64 = r.get(2)?;
            Ok(Position {
                client_id: r.get(0)?,
                connection_id: r.get(1)?,
                source: ["account", "holding", "liability"][source as usize],
                class: r.get(3)?,
                currency: r.get(4)?,
                value_minor: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// One account of the household, once, with every owner the provider named on any copy and
/// the members whose connections reach it.
pub struct HouseholdAccountRow {
    pub account: AccountView,
    pub member_ids: Vec<i64>,
}

pub fn accounts(c: &Connection, household_id: i64) -> Result<Vec<HouseholdAccountRow>> {
    let mut stmt = c.prepare_cached(&format!(
        "WITH {HOUSEHOLD_CONNECTIONS},
         ha AS (
             SELECT a.*, hc.client_id AS member,
                    row_number() OVER (PARTITION BY a.dedupe_key
                                       ORDER BY coalesce(a.as_of, hc.fresh) DESC, a.id) AS rn,
                    count(*) OVER (PARTITION BY a.dedupe_key) AS copies
             FROM accounts a JOIN hc ON hc.id = a.connection_id
             WHERE a.presence = 'active')
         SELECT ha.id, ha.connection_id, ha.kind, ha.name, ha.number_masked, ha.currency,
                ha.balance_minor, ha.as_of, ha.copies,
                (SELECT group_concat(owner_name, char(31)) FROM (
                    SELECT DISTINCT o.owner_name FROM account_owners o
                    JOIN accounts a2 ON a2.id = o.account_id
                    JOIN hc h2 ON h2.id = a2.connection_id
                    WHERE a2.dedupe_key = ha.dedupe_key
                    ORDER BY o.owner_name)),
                (SELECT group_concat(member, ',') FROM (
                    SELECT DISTINCT h3.client_id AS member FROM accounts a3
                    JOIN hc h3 ON h3.id = a3.connection_id
                    WHERE a3.dedupe_key = ha.dedupe_key AND a3.presence = 'active'
                    ORDER BY h3.client_id))
         FROM ha WHERE rn = 1
         ORDER BY ha.currency, ha.balance_minor DESC, ha.id"
    ))?;
    let rows = stmt
        .query_map([household_id], |r| {
            let members: Option<String> = r.get(10)?;
            Ok(HouseholdAccountRow {
                account: account_from_row(r)?,
                member_ids: members
                    .map(|s| s.split(',').filter_map(|m| m.parse().ok()).collect())
                    .unwrap_or_default(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// De-duplicated holdings with the connection that supplied each; weights are the caller's.
pub fn holdings(c: &Connection, household_id: i64) -> Result<Vec<(i64, HoldingView)>> {
    let mut stmt = c.prepare_cached(&format!(
        "WITH {HOUSEHOLD_CONNECTIONS}
         SELECT id, connection_id, account_id, name, isin, asset_class, units, value_minor,
                currency, as_of FROM (
             SELECT h.*, row_number() OVER (PARTITION BY h.dedupe_key
                                            ORDER BY coalesce(h.as_of, hc.fresh) DESC, h.id) AS rn
             FROM holdings h JOIN hc ON hc.id = h.connection_id)
         WHERE rn = 1 ORDER BY currency, value_minor DESC, id"
    ))?;
    let rows = stmt
        .query_map([household_id], holding_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The counted copy of each household account (one per `dedupe_key`), for transactions.
const HOUSEHOLD_ACCOUNT_IDS: &str = "SELECT id FROM (
        SELECT a.id, row_number() OVER (PARTITION BY a.dedupe_key
                                        ORDER BY coalesce(a.as_of, hc.fresh) DESC, a.id) AS rn
        FROM accounts a JOIN hc ON hc.id = a.connection_id)
    WHERE rn = 1";

/// Sum of active transactions per (currency, `YYYY-MM`) on the counted cash accounts (those
/// not valued through holdings), as the client page derives its history.
pub fn monthly_flows(c: &Connection, household_id: i64) -> Result<BTreeMap<(String, String), i64>> {
    let mut stmt = c.prepare_cached(&format!(
        "WITH {HOUSEHOLD_CONNECTIONS}
         SELECT t.currency, substr(t.booking_date, 1, 7), sum(t.amount_minor)
         FROM transactions t
         WHERE t.account_id IN ({HOUSEHOLD_ACCOUNT_IDS}) AND t.presence = 'active'
           AND t.account_id NOT IN (SELECT account_id FROM holdings WHERE account_id IS NOT NULL)
         GROUP BY 1, 2"
    ))?;
    let mut out = BTreeMap::new();
    let mut rows = stmt.query([household_id])?;
    while let Some(r) = rows.next()? {
        out.insert((r.get(0)?, r.get(1)?), r.get(2)?);
    }
    Ok(out)
}

pub fn transaction_count(c: &Connection, household_id: i64) -> Result<i64> {
    Ok(c.query_row(
        &format!(
            "WITH {HOUSEHOLD_CONNECTIONS}
             SELECT count(*) FROM transactions t WHERE t.account_id IN ({HOUSEHOLD_ACCOUNT_IDS})"
        ),
        [household_id],
        |r| r.get(0),
    )?)
}

/// Every transaction of the household on the counted copy of each account, newest first,
/// handed to `each` one at a time so a large household is never held in memory twice.
pub fn each_transaction(
    c: &Connection,
    household_id: i64,
    mut each: impl FnMut(TransactionLine),
) -> Result<()> {
    let mut stmt = c.prepare_cached(&format!(
        "WITH {HOUSEHOLD_CONNECTIONS}
         SELECT t.id, t.account_id, a.name, t.booking_date, t.amount_minor, t.currency,
                t.balance_minor, t.description, t.category, t.counterparty, t.presence
         FROM transactions t JOIN accounts a ON a.id = t.account_id
         WHERE t.account_id IN ({HOUSEHOLD_ACCOUNT_IDS})
         ORDER BY t.booking_date DESC, t.id DESC"
    ))?;
    let mut rows = stmt.query([household_id])?;
    while let Some(r) = rows.next()? {
        each(TransactionLine {
            id: r.get(0)?,
            account_id: r.get(1)?,
            account_name: r.get(2)?,
            booking_date: r.get(3)?,
            amount_minor: r.get(4)?,
            currency: r.get(5)?,
            balance_minor: r.get(6)?,
            description: r.get(7)?,
            category: r.get(8)?,
            counterparty: r.get(9)?,
            presence: r.get(10)?,
        });
    }
    Ok(())
}

//! Transactions as the read models show them: a client's newest and full-text search
//! (FTS5), and for a set of clients read as one (a client's page, a household's) the
//! filtered window of the transactions table, every line for an export, the count and the
//! monthly flows behind the page's history. Reads only (the snapshot writer's statements are
//! [`super::snapshot_rows`]).

use super::SET_CONNECTIONS;

/// The de-duplicated accounts of the set bound as `?1`: one per `dedupe_key` across the
/// whole set, the copy with the freshest data, so a joint account's transactions are listed
/// once however many of the set's connections reach it.
fn set_accounts() -> String {
    format!(
        "t.account_id IN (
            WITH {SET_CONNECTIONS}
            SELECT id FROM (
                SELECT a.id, row_number() OVER (PARTITION BY a.dedupe_key
                                                ORDER BY coalesce(a.as_of, c.fresh) DESC, a.id) AS rn
                FROM accounts a JOIN conns c ON c.id = a.connection_id)
            WHERE rn = 1)"
    )
}

/// The FTS5 query for a person's search text: each word must appear (prefix match). Words
/// are quoted, so operators typed by a person are searched as words, never parsed. `None`
/// when the text holds no word.
pub fn fts_match(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The filters of one window of the transactions table (already validated).
#[derive(Debug, Clone, Default)]
pub struct PageFilter<'a> {
    /// The person's search text (see [`fts_match`]).
    pub search: Option<&'a str>,
    /// Inclusive ISO dates.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Only these accounts; empty means all.
    pub account_ids: &'a [i64],
}

pub mod read {
    use std::collections::BTreeMap;

    use rusqlite::{params_from_iter, types::Value, Row};

    use super::super::{json_ids, Clients, Db};
    use super::{fts_match, set_accounts, PageFilter};
    use crate::error::Result;
    use crate::reads::client::TransactionLine;
    use crate::reads::TransactionRow;

    const COLUMNS: &str = "t.id, t.connection_id, t.account_id, t.booking_date, t.amount_minor, \
         t.currency, t.description, t.category, t.counterparty, t.presence";

    fn from_row(r: &Row<'_>) -> rusqlite::Result<TransactionRow> {
        Ok(TransactionRow {
            id: r.get(0)?,
            connection_id: r.get(1)?,
            account_id: r.get(2)?,
            booking_date: r.get(3)?,
            amount_minor: r.get(4)?,
            currency: r.get(5)?,
            description: r.get(6)?,
            category: r.get(7)?,
            counterparty: r.get(8)?,
            presence: r.get(9)?,
        })
    }

    /// A client's newest transactions, across all its connections.
    pub fn newest(db: &Db, client_id: i64, limit: u32) -> Result<Vec<TransactionRow>> {
        let mut stmt = db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM transactions t
             WHERE t.connection_id IN (SELECT id FROM book_connections WHERE client_id = ?1)
             ORDER BY t.booking_date DESC, t.id DESC LIMIT ?2"
        ))?;
        let rows = stmt
            .query_map(rusqlite::params![client_id, limit], from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// A client's transactions matching an FTS5 query (from [`fts_match`]), newest first.
    pub fn matching(db: &Db, client_id: i64, fts: &str, limit: u32) -> Result<Vec<TransactionRow>> {
        let mut stmt = db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM transactions_fts f JOIN transactions t ON t.id = f.rowid
             WHERE transactions_fts MATCH ?2
               AND t.connection_id IN (SELECT id FROM book_connections WHERE client_id = ?1)
             ORDER BY t.booking_date DESC, t.id DESC LIMIT ?3"
        ))?;
        let rows = stmt
            .query_map(rusqlite::params![client_id, fts, limit], from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// How many transactions these accounts hold (from the per-account totals the schema's
    /// triggers keep: one row an account, however long its history).
    pub fn count_of(db: &Db, accounts: &[i64]) -> Result<i64> {
        let mut stmt = db.prepare_cached(
            "SELECT coalesce(sum(row_count), 0) FROM account_transaction_totals
             WHERE account_id IN (SELECT value FROM json_each(?1))",
        )?;
        Ok(stmt.query_row([json_ids(accounts)], |r| r.get(0))?)
    }

    /// Sum of these accounts' active transaction amounts per (currency, `YYYY-MM`) from the
    /// month of `since` (an ISO date) on, read from the per-month tallies.
    pub fn monthly_flows_of(
        db: &Db,
        accounts: &[i64],
        since: &str,
    ) -> Result<BTreeMap<(String, String), i64>> {
        let mut stmt = db.prepare_cached(
            "SELECT currency, month, active_minor FROM transaction_months
             WHERE account_id IN (SELECT value FROM json_each(?1)) AND month >= substr(?2, 1, 7)",
        )?;
        // A few currencies × 12 months: a short list summed in place, no key allocated per row.
        // The rows come account by account, month by month, so the entry after the one the
        // last row hit is nearly always this row's: it is tried first.
        let mut sums: Vec<((String, String), i64)> = Vec::new();
        let mut next = 0;
        let mut rows = stmt.query(rusqlite::params![json_ids(accounts), since])?;
        while let Some(r) = rows.next()? {
            let text = |i| r.get_ref(i)?.as_str().map_err(rusqlite::Error::from);
            let (currency, month) = (text(0)?, text(1)?);
            let amount: i64 = r.get(2)?;
            let is_row = |((c, m), _): &((String, String), i64)| c == currency && m == month;
            let hit = match sums.get(next) {
                Some(guess) if is_row(guess) => Some(next),
                _ => sums.iter().position(is_row),
            };
            next = match hit {
                Some(i) => {
                    sums[i].1 += amount;
                    i + 1
                }
                None => {
                    sums.push(((currency.to_string(), month.to_string()), amount));
                    sums.len()
                }
            };
        }
        Ok(sums.into_iter().collect())
    }

    const LINE_COLUMNS: &str = "t.id, t.account_id, a.name, t.booking_date, t.amount_minor, \
         t.currency, t.balance_minor, t.description, t.category, t.counterparty, t.presence";

    fn line_from_row(r: &Row<'_>) -> rusqlite::Result<TransactionLine> {
        Ok(TransactionLine {
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
        })
    }

    /// One window of the set's transactions (de-duplicated accounts), newest first, and
    /// how many rows match the filters in all.
    pub fn page(
        db: &Db,
        set: Clients<'_>,
        f: &PageFilter<'_>,
        limit: u32,
        offset: u32,
    ) -> Result<(i64, Vec<TransactionLine>)> {
        let mut filter = set_accounts();
        let mut args: Vec<Value> = vec![Value::Text(set.param())];
        if let Some(m) = f.search.and_then(fts_match) {
            args.push(Value::Text(m));
            filter.push_str(&format!(
                " AND t.id IN (SELECT rowid FROM transactions_fts WHERE transactions_fts MATCH ?{})",
                args.len()
            ));
        }
        if let Some(from) = &f.from {
            args.push(Value::Text(from.clone()));
            filter.push_str(&format!(" AND t.booking_date >= ?{}", args.len()));
        }
        if let Some(to) = &f.to {
            args.push(Value::Text(to.clone()));
            filter.push_str(&format!(" AND t.booking_date <= ?{}", args.len()));
        }
        if !f.account_ids.is_empty() {
            let ids: Vec<String> = f.account_ids.iter().map(i64::to_string).collect();
            filter.push_str(&format!(" AND t.account_id IN ({})", ids.join(",")));
        }
        let total: i64 = db.query_row(
            &format!("SELECT count(*) FROM transactions t WHERE {filter}"),
            params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        let mut stmt = db.prepare(&format!(
            "SELECT {LINE_COLUMNS}
             FROM transactions t JOIN accounts a ON a.id = t.account_id
             WHERE {filter}
             ORDER BY t.booking_date DESC, t.id DESC LIMIT {limit} OFFSET {offset}"
        ))?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), line_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok((total, rows))
    }

    /// Every transaction of the set's de-duplicated accounts, newest first, handed to
    /// `each` one at a time so a large book is never held in memory twice (exports).
    pub fn each(db: &Db, set: Clients<'_>, mut each: impl FnMut(TransactionLine)) -> Result<()> {
        let mut stmt = db.prepare_cached(&format!(
            "SELECT {LINE_COLUMNS}
             FROM transactions t JOIN accounts a ON a.id = t.account_id
             WHERE {}
             ORDER BY t.booking_date DESC, t.id DESC",
            set_accounts()
        ))?;
        let mut rows = stmt.query([set.param()])?;
        while let Some(r) = rows.next()? {
            each(line_from_row(r)?);
        }
        Ok(())
    }
}

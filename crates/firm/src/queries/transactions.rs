//! Transactions as the read models show them, as the core's `store::queries::transactions::
//! read`: a set's filtered window, its count and monthly flows (from the per-month tallies the
//! schema's trigger keeps).
//!
//! The search: the solo book matches each word as a prefix of a word of the description with
//! SQLite's FTS5 (case-folded, accents removed); here each word must start a word of the
//! description, case-insensitively (`~*` with `\m`). The same for unaccented text; an accented
//! letter matches only itself here (no `unaccent` extension is assumed on the firm's server).

use advisor_desk_core::reads::client::TransactionLine;
use chrono::NaiveDate;
use postgres::Row;

/// The de-duplicated accounts of the set bound as `$1`: one per `dedupe_key` across the set,
/// the copy with the freshest data (`NULLS LAST`: SQLite's order), lowest id on a tie.
const SET_ACCOUNTS: &str = "t.account_id IN (
    SELECT id FROM (
        SELECT a.id, row_number() OVER (
                   PARTITION BY a.dedupe_key
                   ORDER BY coalesce(a.as_of, c.data_as_of, c.last_success_at) DESC NULLS LAST,
                            a.id) AS rn
        FROM accounts a JOIN book_connections c ON c.id = a.connection_id
        WHERE c.client_id = ANY($1)) ranked
    WHERE rn = 1)";

const LINE_COLUMNS: &str = "t.id, t.account_id, a.name, t.booking_date, t.amount_minor, \
     t.currency, t.balance_minor, t.description, t.category, t.counterparty, t.presence";

fn line_from_row(r: &Row) -> TransactionLine {
    TransactionLine {
        id: r.get(0),
        account_id: r.get(1),
        account_name: r.get(2),
        booking_date: r.get::<_, NaiveDate>(3).format("%Y-%m-%d").to_string(),
        amount_minor: r.get(4),
        currency: r.get(5),
        balance_minor: r.get(6),
        description: r.get(7),
        category: r.get(8),
        counterparty: r.get(9),
        presence: r.get(10),
    }
}

/// The words of a person's search text, each as a regular expression matching a word that
/// starts with it (the word's characters are letters and digits: nothing to escape).
fn word_patterns(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\\m{w}"))
        .collect()
}

pub mod read {
    use std::collections::BTreeMap;

    use crate::queries::Reader;
    use advisor_desk_core::reads::client::TransactionLine;
    use advisor_desk_core::store::queries::transactions::PageFilter;
    use chrono::NaiveDate;
    use postgres::types::ToSql;
    use postgres::Transaction;

    use super::{line_from_row, word_patterns, LINE_COLUMNS, SET_ACCOUNTS};
    use crate::FirmDbError;

    /// How many transactions these accounts hold (from the per-month tallies).
    pub fn count_of(db: &mut impl Reader, accounts: &[i64]) -> Result<i64, FirmDbError> {
        let row = db.row(
            "SELECT coalesce(sum(row_count), 0)::bigint FROM transaction_months
             WHERE account_id = ANY($1)",
            &[&accounts],
        )?;
        Ok(row.get(0))
    }

    /// Sum of these accounts' active amounts per (currency, `YYYY-MM`) from the month of
    /// `since` (an ISO date) on.
    pub fn monthly_flows_of(
        db: &mut impl Reader,
        accounts: &[i64],
        since: &str,
    ) -> Result<BTreeMap<(String, String), i64>, FirmDbError> {
        let rows = db.rows(
            "SELECT currency, month, sum(active_minor)::bigint FROM transaction_months
             WHERE account_id = ANY($1) AND month >= left($2, 7)
             GROUP BY currency, month",
            &[&accounts, &since],
        )?;
        Ok(rows
            .iter()
            .map(|r| ((r.get(0), r.get(1)), r.get(2)))
            .collect())
    }

    /// Rows fetched per round trip by [`each`]: a 50k-line export is 25 fetches, never one
    /// 50k-row result held at once.
    const EACH_BATCH: i32 = 2_000;

    /// Every transaction of the set's de-duplicated accounts, newest first, handed to `each`
    /// one at a time: read through a portal (a server-side cursor of the read's transaction)
    /// [`EACH_BATCH`] rows at a time.
    pub fn each(
        tx: &mut Transaction<'_>,
        clients: &[i64],
        each: &mut dyn FnMut(TransactionLine),
    ) -> Result<(), FirmDbError> {
        let portal = tx.bind(
            &format!(
                "SELECT {LINE_COLUMNS}
                 FROM transactions t JOIN accounts a ON a.id = t.account_id
                 WHERE {SET_ACCOUNTS}
                 ORDER BY t.booking_date DESC, t.id DESC"
            ),
            &[&clients],
        )?;
        loop {
            let rows = tx.query_portal(&portal, EACH_BATCH)?;
            for row in &rows {
                each(line_from_row(row));
            }
            if rows.len() < EACH_BATCH as usize {
                return Ok(());
            }
        }
    }

    /// One window of the set's transactions (de-duplicated accounts), newest first, and how
    /// many rows match the filters in all.
    pub fn page(
        db: &mut impl Reader,
        clients: &[i64],
        f: &PageFilter<'_>,
        limit: u32,
        offset: u32,
    ) -> Result<(i64, Vec<TransactionLine>), FirmDbError> {
        let dates = |d: &Option<String>| -> Result<Option<NaiveDate>, FirmDbError> {
            d.as_deref()
                .map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
                .transpose()
                .map_err(|_| FirmDbError::UnknownValue("a page filter's date".into()))
        };
        let (from, to) = (dates(&f.from)?, dates(&f.to)?);
        let words = f.search.map(word_patterns).unwrap_or_default();
        let mut filter = SET_ACCOUNTS.to_string();
        let mut args: Vec<&(dyn ToSql + Sync)> = vec![&clients];
        for word in &words {
            args.push(word);
            filter.push_str(&format!(" AND t.description ~* ${}", args.len()));
        }
        if let Some(from) = &from {
            args.push(from);
            filter.push_str(&format!(" AND t.booking_date >= ${}", args.len()));
        }
        if let Some(to) = &to {
            args.push(to);
            filter.push_str(&format!(" AND t.booking_date <= ${}", args.len()));
        }
        let account_ids = f.account_ids;
        if !account_ids.is_empty() {
            args.push(&account_ids);
            filter.push_str(&format!(" AND t.account_id = ANY(${})", args.len()));
        }
        let total: i64 = db
            .row(
                &format!("SELECT count(*) FROM transactions t WHERE {filter}"),
                &args,
            )?
            .get(0);
        let rows = db.rows(
            &format!(
                "SELECT {LINE_COLUMNS}
                 FROM transactions t JOIN accounts a ON a.id = t.account_id
                 WHERE {filter}
                 ORDER BY t.booking_date DESC, t.id DESC LIMIT {limit} OFFSET {offset}"
            ),
            &args,
        )?;
        Ok((total, rows.iter().map(line_from_row).collect()))
    }
}

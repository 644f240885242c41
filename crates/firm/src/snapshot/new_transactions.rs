//! New transactions of one snapshot, gathered column by column and inserted in one statement
//! (`unnest` of one array per column): a connection's first snapshot holds hundreds of them, and
//! a round trip per row to the server would make it the slowest part of a refresh.

use advisor_desk_core::store::snapshot_store::TxnRow;
use advisor_desk_core::time::Timestamp;
use chrono::NaiveDate;
use postgres::Transaction;

#[derive(Default)]
pub(super) struct NewTransactions {
    connection_id: Vec<i64>,
    account_id: Vec<i64>,
    provider_id: Vec<String>,
    dedupe_key: Vec<String>,
    booking_date: Vec<NaiveDate>,
    value_date: Vec<Option<NaiveDate>>,
    amount_minor: Vec<i64>,
    currency: Vec<String>,
    balance_minor: Vec<Option<i64>>,
    description: Vec<String>,
    category: Vec<Option<String>>,
    counterparty: Vec<Option<String>>,
    seen_at: Vec<Timestamp>,
    row_hash: Vec<i64>,
}

/// A transaction's columns in the firm database's types.
pub(super) struct TxnValues {
    pub booking_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    pub now: Timestamp,
}

impl NewTransactions {
    pub fn push(&mut self, connection_id: i64, account_id: i64, t: &TxnRow<'_>, v: TxnValues) {
        self.connection_id.push(connection_id);
        self.account_id.push(account_id);
        self.provider_id.push(t.provider_id.to_string());
        self.dedupe_key.push(t.dedupe_key.to_string());
        self.booking_date.push(v.booking_date);
        self.value_date.push(v.value_date);
        self.amount_minor.push(t.amount_minor);
        self.currency.push(t.currency.to_string());
        self.balance_minor.push(t.balance_minor);
        self.description.push(t.description.to_string());
        self.category.push(t.category.map(str::to_string));
        self.counterparty.push(t.counterparty.map(str::to_string));
        self.seen_at.push(v.now);
        self.row_hash.push(t.hash);
    }

    /// Inserts what was gathered (first and last seen now, active) and empties the buffer.
    pub fn insert(&mut self, tx: &mut Transaction<'_>) -> Result<(), postgres::Error> {
        if self.connection_id.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(self);
        tx.execute(
            "INSERT INTO transactions (connection_id, account_id, provider_id, dedupe_key,
                 booking_date, value_date, amount_minor, currency, balance_minor,
                 description, category, counterparty, presence, first_seen_at,
                 last_seen_at, row_hash)
             SELECT c, a, p, k, b, v, m, cur, bal, d, cat, cp, 'active', n, n, h
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::date[],
                         $6::date[], $7::bigint[], $8::text[], $9::bigint[], $10::text[],
                         $11::text[], $12::text[], $13::timestamptz[], $14::bigint[])
                  AS u(c, a, p, k, b, v, m, cur, bal, d, cat, cp, n, h)",
            &[
                &rows.connection_id,
                &rows.account_id,
                &rows.provider_id,
                &rows.dedupe_key,
                &rows.booking_date,
                &rows.value_date,
                &rows.amount_minor,
                &rows.currency,
                &rows.balance_minor,
                &rows.description,
                &rows.category,
                &rows.counterparty,
                &rows.seen_at,
                &rows.row_hash,
            ],
        )?;
        Ok(())
    }
}

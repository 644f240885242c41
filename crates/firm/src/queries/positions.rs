//! Every client's de-duplicated positions, as the core's `store::queries::positions::read::
//! each_client`: one copy per client and `dedupe_key` (the freshest: its own date, else its
//! connection's, lowest id on a tie), accounts with known holdings counted through them, debt
//! negative. PostgreSQL sorts NULL first in a descending order, SQLite last: `NULLS LAST` keeps
//! the same copy.

pub mod read {
    use crate::queries::Reader;
    use advisor_desk_core::reads::book::{CountedTotal, Position};

    use crate::FirmDbError;

    const EACH_CLIENT: &str = "
        WITH conns AS (
            SELECT id, client_id, client_id AS grp,
                   coalesce(data_as_of, last_success_at) AS fresh
            FROM book_connections),
        ca AS (
            SELECT a.connection_id, a.dedupe_key, a.kind, a.asset_class, a.currency,
                   a.balance_minor, c.client_id, c.grp,
                   row_number() OVER (PARTITION BY c.grp, a.dedupe_key
                                      ORDER BY coalesce(a.as_of, c.fresh) DESC NULLS LAST, a.id)
                       AS rn
            FROM accounts a JOIN conns c ON c.id = a.connection_id
            WHERE a.presence = 'active'),
        held AS (
            SELECT DISTINCT c.grp, a.dedupe_key
            FROM holdings h JOIN accounts a ON a.id = h.account_id
                            JOIN conns c ON c.id = h.connection_id),
        ch AS (
            SELECT h.connection_id, h.asset_class, h.currency, h.value_minor, c.client_id,
                   row_number() OVER (PARTITION BY c.grp, h.dedupe_key
                                      ORDER BY coalesce(h.as_of, c.fresh) DESC NULLS LAST, h.id)
                       AS rn
            FROM holdings h JOIN conns c ON c.id = h.connection_id),
        cl AS (
            SELECT l.connection_id, l.currency, l.balance_minor, c.client_id,
                   row_number() OVER (PARTITION BY c.grp, l.dedupe_key
                                      ORDER BY coalesce(l.as_of, c.fresh) DESC NULLS LAST, l.id)
                       AS rn
            FROM liabilities l JOIN conns c ON c.id = l.connection_id)
        SELECT client_id, connection_id, 0,
               coalesce(asset_class, CASE kind WHEN 'current' THEN 'cash'
                   WHEN 'savings' THEN 'cash' WHEN 'credit_card' THEN 'debt'
                   WHEN 'loan' THEN 'debt' ELSE 'other' END),
               currency, balance_minor
            FROM ca WHERE rn = 1
              AND NOT EXISTS (SELECT 1 FROM held
                              WHERE held.grp = ca.grp AND held.dedupe_key = ca.dedupe_key)
        UNION ALL
        SELECT client_id, connection_id, 1, asset_class, currency, value_minor
            FROM ch WHERE rn = 1
        UNION ALL
        SELECT client_id, connection_id, 2, 'debt', currency, -balance_minor
            FROM cl WHERE rn = 1";

    /// Every kept `counted_totals` row the reader sees (migration 0007: the same positions
    /// summed per client, connection and currency, recounted by triggers as the writes commit).
    pub fn counted_totals(db: &mut impl Reader) -> Result<Vec<CountedTotal>, FirmDbError> {
        let rows = db.rows(
            "SELECT client_id, connection_id, currency, assets_minor, liabilities_minor
             FROM counted_totals",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| CountedTotal {
                client_id: r.get(0),
                connection_id: r.get(1),
                currency: r.get(2),
                assets_minor: r.get(3),
                liabilities_minor: r.get(4),
            })
            .collect())
    }

    pub fn each_client(db: &mut impl Reader) -> Result<Vec<Position>, FirmDbError> {
        let rows = db.rows(EACH_CLIENT, &[])?;
        Ok(rows
            .iter()
            .map(|r| Position {
                client_id: r.get(0),
                connection_id: r.get(1),
                source: ["account", "holding", "liability"][r.get::<_, i32>(2) as usize],
                class: r.get(3),
                currency: r.get(4),
                value_minor: r.get(5),
            })
            .collect())
    }
}

//! Positions (accounts, holdings, liabilities) as the read models count them: de-duplicated
//! for the book (each client on its own), per connection for the portfolio's net worth and
//! allocation. Reads only. A set of clients read as one (a client's page, a household's)
//! de-duplicates its stored copies in Rust by the same rule ([`crate::reads::copies`]); the
//! households tests check the two agree.

/// The de-duplicated positions of `each_client` (one row per counted copy: client, connection,
/// source 0/1/2, `class`, currency, signed `v`), over the book's connections narrowed by
/// `$conns_where` (empty: every client; `counted_totals` recounts one client with it).
macro_rules! counted_copies {
    ($conns_where:literal) => {
        concat!(
            "WITH conns AS (
                 SELECT id, client_id, client_id AS grp,
                        coalesce(data_as_of, last_success_at) AS fresh
                 FROM book_connections ",
            $conns_where,
            "),
             ca AS (
                 SELECT a.connection_id, a.dedupe_key, a.kind, a.asset_class, a.currency,
                        a.balance_minor, c.client_id, c.grp,
                        row_number() OVER (PARTITION BY c.grp, a.dedupe_key
                                           ORDER BY coalesce(a.as_of, c.fresh) DESC, a.id) AS rn
                 FROM accounts a JOIN conns c ON c.id = a.connection_id
                 WHERE a.presence = 'active'),
             held AS (
                 SELECT DISTINCT c.grp, a.dedupe_key
                 FROM holdings h JOIN accounts a ON a.id = h.account_id
                                 JOIN conns c ON c.id = h.connection_id),
             ch AS (
                 SELECT h.connection_id, h.asset_class, h.currency, h.value_minor, c.client_id,
                        row_number() OVER (PARTITION BY c.grp, h.dedupe_key
                                           ORDER BY coalesce(h.as_of, c.fresh) DESC, h.id) AS rn
                 FROM holdings h JOIN conns c ON c.id = h.connection_id),
             cl AS (
                 SELECT l.connection_id, l.currency, l.balance_minor, c.client_id,
                        row_number() OVER (PARTITION BY c.grp, l.dedupe_key
                                           ORDER BY coalesce(l.as_of, c.fresh) DESC, l.id) AS rn
                 FROM liabilities l JOIN conns c ON c.id = l.connection_id)
             SELECT client_id, connection_id, 0 AS source,
                    coalesce(asset_class, CASE kind WHEN 'current' THEN 'cash'
                        WHEN 'savings' THEN 'cash' WHEN 'credit_card' THEN 'debt'
                        WHEN 'loan' THEN 'debt' ELSE 'other' END) AS class,
                    currency, balance_minor AS v
                 FROM ca WHERE rn = 1
                   -- NOT EXISTS, not a row-value NOT IN: SQLite checks the latter against
                   -- the whole set for every account (4 s on a 5,000-client book).
                   AND NOT EXISTS (SELECT 1 FROM held
                                   WHERE held.grp = ca.grp AND held.dedupe_key = ca.dedupe_key)
             UNION ALL
             SELECT client_id, connection_id, 1, asset_class, currency, value_minor
                 FROM ch WHERE rn = 1
             UNION ALL
             SELECT client_id, connection_id, 2, 'debt', currency, -balance_minor
                 FROM cl WHERE rn = 1"
        )
    };
}
pub(crate) use counted_copies;

pub mod read {
    use super::super::Db;
    use crate::error::Result;
    use crate::reads::book::Position;
    use crate::reads::AllocationSlice;

    /// De-duplicated positions of every client, each on its own (a client counts an account
    /// it reaches once; two clients who share an account each count it): one row per client
    /// and `dedupe_key`, the copy with the freshest data (its `as_of`, else its connection's); `client_id` is
    /// the client whose connection supplied the counted copy. Accounts whose holdings are
    /// known are counted through their holdings, never both; debt is negative with class
    /// `debt`.
    pub fn each_client(db: &Db) -> Result<Vec<Position>> {
        let mut stmt = db.prepare_cached(counted_copies!(""))?;
        let row = |r: &rusqlite::Row<'_>| {
            let source: i64 = r.get(2)?;
            Ok(Position {
                client_id: r.get(0)?,
                connection_id: r.get(1)?,
                source: ["account", "holding", "liability"][source as usize],
                class: r.get(3)?,
                currency: r.get(4)?,
                value_minor: r.get(5)?,
            })
        };
        let rows = stmt.query_map([], row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// One client's (currency, assets, liabilities) parts, several per currency for the
    /// caller to add up. Assets: accounts still returned by the provider (debt accounts count
    /// negative), except portfolios that have holdings, whose holdings are counted instead.
    /// Liabilities: the liabilities table's outstanding amounts.
    pub fn currency_parts(db: &Db, client_id: i64) -> Result<Vec<(String, i64, i64)>> {
        let mut stmt = db.prepare_cached(
            "WITH conns AS (SELECT id FROM book_connections WHERE client_id = ?1),
                  held AS (SELECT DISTINCT account_id FROM holdings
                           WHERE connection_id IN conns AND account_id IS NOT NULL)
             SELECT currency, sum(balance_minor), 0 FROM accounts
                 WHERE connection_id IN conns AND presence = 'active' AND id NOT IN held
                 GROUP BY currency
             UNION ALL
             SELECT currency, sum(value_minor), 0 FROM holdings
                 WHERE connection_id IN conns GROUP BY currency
             UNION ALL
             SELECT currency, 0, sum(balance_minor) FROM liabilities
                 WHERE connection_id IN conns GROUP BY currency",
        )?;
        let rows = stmt
            .query_map([client_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Value per asset class and currency: holdings by their class; accounts without
    /// holdings by their own class (cash for current and savings accounts). Debt is not an
    /// asset class.
    pub fn allocation(db: &Db, client_id: i64) -> Result<Vec<AllocationSlice>> {
        let mut stmt = db.prepare_cached(
            "WITH conns AS (SELECT id FROM book_connections WHERE client_id = ?1),
                  held AS (SELECT DISTINCT account_id FROM holdings
                           WHERE connection_id IN conns AND account_id IS NOT NULL),
                  parts AS (
                      SELECT currency, asset_class AS class, value_minor AS v FROM holdings
                          WHERE connection_id IN conns
                      UNION ALL
                      SELECT currency, coalesce(asset_class, CASE kind
                              WHEN 'current' THEN 'cash' WHEN 'savings' THEN 'cash'
                              ELSE 'other' END), balance_minor FROM accounts
                          WHERE connection_id IN conns AND presence = 'active' AND id NOT IN held
                            AND kind NOT IN ('credit_card', 'loan'))
             SELECT currency, class, sum(v) FROM parts GROUP BY currency, class
             ORDER BY currency, sum(v) DESC",
        )?;
        let rows = stmt
            .query_map([client_id], |r| {
                Ok(AllocationSlice {
                    currency: r.get(0)?,
                    asset_class: r.get(1)?,
                    value_minor: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

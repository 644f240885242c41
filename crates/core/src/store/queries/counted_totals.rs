//! `counted_totals` (migration 0017): each client's de-duplicated positions summed per
//! connection and currency, kept as the writes make them so the book page and the health queue
//! read a few rows per client instead of de-duplicating the whole book on every page.
//!
//! Triggers mark the clients a write may change in `counted_totals_stale`; [`write::recount_stale`]
//! recounts each of them once with the live statement (`positions::each_client`'s text, one
//! client's connections) and is called by `Store::write` just before it commits, so no write path
//! can forget it.

pub mod read {
    use super::super::Db;
    use crate::error::Result;
    use crate::reads::book::CountedTotal;

    /// Every kept row (the book's clients, archived ones too), in no particular order.
    pub fn all(db: &Db) -> Result<Vec<CountedTotal>> {
        let mut stmt = db.prepare_cached(
            "SELECT client_id, connection_id, currency, assets_minor, liabilities_minor
             FROM counted_totals",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(CountedTotal {
                    client_id: r.get(0)?,
                    connection_id: r.get(1)?,
                    currency: r.get(2)?,
                    assets_minor: r.get(3)?,
                    liabilities_minor: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Clients marked and not yet recounted: none outside a write transaction.
    pub fn stale(db: &Db) -> Result<Vec<i64>> {
        let mut stmt = db.prepare_cached("SELECT client_id FROM counted_totals_stale")?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

pub mod write {
    use super::super::positions::counted_copies;
    use super::super::Tx;
    use crate::error::Result;

    /// Recounts every client the transaction's writes marked, then clears the marks.
    pub fn recount_stale(tx: &Tx<'_>) -> Result<()> {
        let stale = super::read::stale(tx)?;
        if stale.is_empty() {
            return Ok(());
        }
        let mut clear = tx.prepare_cached("DELETE FROM counted_totals WHERE client_id = ?1")?;
        // Assets and liabilities split as `reads::book::totals` splits positions.
        let mut count = tx.prepare_cached(concat!(
            "INSERT INTO counted_totals
                 (client_id, connection_id, currency, assets_minor, liabilities_minor)
             SELECT client_id, connection_id, currency,
                    sum(CASE WHEN class = 'debt' OR v < 0 THEN 0 ELSE v END),
                    sum(CASE WHEN class = 'debt' OR v < 0 THEN -v ELSE 0 END)
             FROM (",
            counted_copies!("WHERE client_id = ?1"),
            ") GROUP BY client_id, connection_id, currency"
        ))?;
        for client in stale {
            clear.execute([client])?;
            count.execute([client])?;
        }
        tx.execute("DELETE FROM counted_totals_stale", [])?;
        Ok(())
    }
}

//! One client's page: its de-duplicated accounts (with every owner named across their
//! copies) and holdings. Reads only; the page's transactions are [`super::transactions`],
//! its positions [`super::positions`].

pub mod read {
    use super::super::Db;
    use crate::error::Result;
    use crate::reads::client::{AccountView, HoldingView};

    /// One account per `dedupe_key` (the copy with the freshest data), with how many of the
    /// client's connections reach it. `institution` and `stale` are left for the caller.
    pub fn accounts(db: &Db, client_id: i64) -> Result<Vec<AccountView>> {
        let mut stmt = db.prepare_cached(
            "WITH ca AS (
                 SELECT a.*, row_number() OVER (PARTITION BY a.dedupe_key
                                                ORDER BY coalesce(a.as_of, c.data_as_of, c.last_success_at) DESC, a.id) AS rn,
                        count(*) OVER (PARTITION BY a.dedupe_key) AS copies
                 FROM accounts a JOIN connections c ON c.id = a.connection_id
                 WHERE c.client_id = ?1 AND a.presence = 'active')
             SELECT ca.id, ca.connection_id, ca.kind, ca.name, ca.number_masked, ca.currency,
                    ca.balance_minor, ca.as_of, ca.copies,
                    (SELECT group_concat(owner_name, char(31)) FROM (
                        SELECT DISTINCT o.owner_name FROM account_owners o
                        JOIN accounts a2 ON a2.id = o.account_id
                        JOIN connections c2 ON c2.id = a2.connection_id
                        WHERE c2.client_id = ?1 AND a2.dedupe_key = ca.dedupe_key
                        ORDER BY o.owner_name))
             FROM ca WHERE rn = 1
             ORDER BY ca.currency, ca.balance_minor DESC, ca.id",
        )?;
        let rows = stmt
            .query_map([client_id], account_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// One holding per `dedupe_key` (the copy with the freshest data), each with its
    /// connection id. `weight_bp` and `stale` are left for the caller.
    pub fn holdings(db: &Db, client_id: i64) -> Result<Vec<(i64, HoldingView)>> {
        let mut stmt = db.prepare_cached(
            "SELECT id, connection_id, account_id, name, isin, asset_class, units, value_minor,
                    currency, as_of FROM (
                 SELECT h.*, row_number() OVER (PARTITION BY h.dedupe_key
                                                ORDER BY coalesce(h.as_of, c.data_as_of, c.last_success_at) DESC, h.id) AS rn
                 FROM holdings h JOIN connections c ON c.id = h.connection_id
                 WHERE c.client_id = ?1)
             WHERE rn = 1 ORDER BY currency, value_minor DESC, id",
        )?;
        let rows = stmt
            .query_map([client_id], holding_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// An account row: id, connection_id, kind, name, number_masked, currency, balance_minor,
    /// as_of, copies, owners (joined by U+001F). Shared with the household read model.
    pub(crate) fn account_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountView> {
        let owners: Option<String> = r.get(9)?;
        Ok(AccountView {
            id: r.get(0)?,
            connection_id: r.get(1)?,
            institution: String::new(),
            kind: r.get(2)?,
            name: r.get(3)?,
            number_masked: r.get(4)?,
            currency: r.get(5)?,
            balance_minor: r.get(6)?,
            as_of: r.get(7)?,
            copies: r.get(8)?,
            owners: owners
                .map(|s| s.split('\u{1f}').map(str::to_string).collect())
                .unwrap_or_default(),
            stale: false,
        })
    }

    /// A holding row with its connection: id, connection_id, account_id, name, isin,
    /// asset_class, units, value_minor, currency, as_of. Shared with the household read model.
    pub(crate) fn holding_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, HoldingView)> {
        Ok((
            r.get(1)?,
            HoldingView {
                id: r.get(0)?,
                account_id: r.get(2)?,
                name: r.get(3)?,
                isin: r.get(4)?,
                asset_class: r.get(5)?,
                units: r.get(6)?,
                value_minor: r.get(7)?,
                currency: r.get(8)?,
                weight_bp: 0,
                as_of: r.get(9)?,
                stale: false,
            },
        ))
    }
}

//! A client's or a household's page: the set's de-duplicated accounts (with every owner
//! named across their copies and the clients who reach them) and holdings. Reads only; the page's transactions are [`super::transactions`],
//! its positions [`super::positions`].

pub mod read {
    use super::super::{Clients, Db, SET_CONNECTIONS};
    use crate::error::Result;
    use crate::reads::client::{AccountView, HoldingView};

    /// One account of a set of clients, once, with the clients whose connections reach it.
    pub struct AccountRow {
        pub account: AccountView,
        /// Clients of the set whose connections reach the account, in id order (two or
        /// more for a joint account of a household).
        pub reached_by: Vec<i64>,
    }

    /// One account per `dedupe_key` across the set (the copy with the freshest data), with
    /// every owner named on any copy and how many of the set's connections reach it.
    /// `institution` and `stale` are left for the caller.
    pub fn accounts(db: &Db, set: Clients<'_>) -> Result<Vec<AccountRow>> {
        let mut stmt = db.prepare_cached(&format!(
            "WITH {SET_CONNECTIONS},
             ca AS (
                 SELECT a.*, c.client_id AS reached_by,
                        row_number() OVER (PARTITION BY a.dedupe_key
                                           ORDER BY coalesce(a.as_of, c.fresh) DESC, a.id) AS rn,
                        count(*) OVER (PARTITION BY a.dedupe_key) AS copies
                 FROM accounts a JOIN conns c ON c.id = a.connection_id
                 WHERE a.presence = 'active')
             SELECT ca.id, ca.connection_id, ca.kind, ca.name, ca.number_masked, ca.currency,
                    ca.balance_minor, ca.as_of, ca.copies,
                    (SELECT group_concat(owner_name, char(31)) FROM (
                        SELECT DISTINCT o.owner_name FROM account_owners o
                        JOIN accounts a2 ON a2.id = o.account_id
                        JOIN conns c2 ON c2.id = a2.connection_id
                        WHERE a2.dedupe_key = ca.dedupe_key
                        ORDER BY o.owner_name)),
                    (SELECT group_concat(reached_by, ',') FROM (
                        SELECT DISTINCT c3.reached_by FROM ca c3
                        WHERE c3.dedupe_key = ca.dedupe_key ORDER BY c3.reached_by))
             FROM ca WHERE rn = 1
             ORDER BY ca.currency, ca.balance_minor DESC, ca.id"
        ))?;
        let rows = stmt
            .query_map([set.param()], |r| {
                let reached_by: Option<String> = r.get(10)?;
                Ok(AccountRow {
                    account: account_from_row(r)?,
                    reached_by: reached_by
                        .map(|s| s.split(',').filter_map(|m| m.parse().ok()).collect())
                        .unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// One holding per `dedupe_key` across the set (the copy with the freshest data), each
    /// with its connection id. `weight_bp` and `stale` are left for the caller.
    pub fn holdings(db: &Db, set: Clients<'_>) -> Result<Vec<(i64, HoldingView)>> {
        let mut stmt = db.prepare_cached(&format!(
            "WITH {SET_CONNECTIONS}
             SELECT id, connection_id, account_id, name, isin, asset_class, units, value_minor,
                    currency, as_of FROM (
                 SELECT h.*, row_number() OVER (PARTITION BY h.dedupe_key
                                                ORDER BY coalesce(h.as_of, c.fresh) DESC, h.id) AS rn
                 FROM holdings h JOIN conns c ON c.id = h.connection_id)
             WHERE rn = 1 ORDER BY currency, value_minor DESC, id"
        ))?;
        let rows = stmt
            .query_map([set.param()], holding_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// An account row: id, connection_id, kind, name, number_masked, currency, balance_minor,
    /// as_of, copies, owners (joined by U+001F).
    fn account_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountView> {
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
    /// asset_class, units, value_minor, currency, as_of.
    fn holding_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, HoldingView)> {
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

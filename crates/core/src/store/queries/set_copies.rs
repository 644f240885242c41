//! Every stored copy of a set's accounts, holdings and liabilities, as the providers gave
//! them (no de-duplication), each with the client whose connection holds it and the date that
//! ranks it against other copies. A page reads these once and de-duplicates them in Rust
//! ([`crate::reads::copies`]): its total, its members' own figures, its accounts and holdings
//! all come from the same rows, with no window function per figure. Reads only.

/// The date that ranks a copy: its own `as_of`, else its connection's data date, else its
/// connection's last success (a row without its own date is as old as its connection's data).
const FRESHNESS: &str = "coalesce(x.as_of, c.data_as_of, c.last_success_at)";

/// The set's connections, bound as `?1` (a JSON array of client ids).
const OF_SET: &str = "c.client_id IN (SELECT value FROM json_each(?1))";

/// One copy of an account (any presence: a missing copy still ranks the transactions' copy).
#[derive(Debug, Clone)]
pub struct AccountCopy {
    pub id: i64,
    pub connection_id: i64,
    pub client_id: i64,
    pub dedupe_key: String,
    pub kind: String,
    pub name: String,
    pub number_masked: Option<String>,
    pub currency: String,
    pub balance_minor: i64,
    pub asset_class: Option<String>,
    pub as_of: Option<String>,
    pub active: bool,
    pub freshness: Option<String>,
    /// The owners the provider named on this copy, unordered.
    pub owners: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct HoldingCopy {
    pub id: i64,
    pub connection_id: i64,
    pub client_id: i64,
    pub account_id: Option<i64>,
    pub dedupe_key: String,
    pub name: String,
    pub isin: Option<String>,
    pub asset_class: String,
    pub units: Option<String>,
    pub value_minor: i64,
    pub currency: String,
    pub as_of: Option<String>,
    pub freshness: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LiabilityCopy {
    pub id: i64,
    pub connection_id: i64,
    pub client_id: i64,
    pub dedupe_key: String,
    pub currency: String,
    pub balance_minor: i64,
    pub freshness: Option<String>,
}

pub mod read {
    use std::collections::HashMap;

    use super::super::{Clients, Db};
    use super::{AccountCopy, HoldingCopy, LiabilityCopy, FRESHNESS, OF_SET};
    use crate::error::Result;

    pub fn accounts(db: &Db, set: Clients<'_>) -> Result<Vec<AccountCopy>> {
        // One row per (account, owner): a join, not a subquery per account, which cost about
        // as much as the account's own row.
        let mut stmt = db.prepare_cached(&format!(
            "SELECT x.id, x.connection_id, c.client_id, x.dedupe_key, x.kind, x.name,
                    x.number_masked, x.currency, x.balance_minor, x.asset_class, x.as_of,
                    x.presence = 'active', {FRESHNESS}, o.owner_name
             FROM book_connections c JOIN accounts x ON x.connection_id = c.id
                  LEFT JOIN account_owners o ON o.account_id = x.id
             WHERE {OF_SET}"
        ))?;
        let mut out: Vec<AccountCopy> = Vec::new();
        // Where each account is in `out` (its owners' rows need not be adjacent).
        let mut at: HashMap<i64, usize> = HashMap::new();
        let mut rows = stmt.query([set.param()])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let owner: Option<String> = r.get(13)?;
            let i = match at.get(&id) {
                Some(&i) => i,
                None => {
                    at.insert(id, out.len());
                    out.push(AccountCopy {
                        id,
                        connection_id: r.get(1)?,
                        client_id: r.get(2)?,
                        dedupe_key: r.get(3)?,
                        kind: r.get(4)?,
                        name: r.get(5)?,
                        number_masked: r.get(6)?,
                        currency: r.get(7)?,
                        balance_minor: r.get(8)?,
                        asset_class: r.get(9)?,
                        as_of: r.get(10)?,
                        active: r.get(11)?,
                        freshness: r.get(12)?,
                        owners: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            out[i].owners.extend(owner);
        }
        Ok(out)
    }

    pub fn holdings(db: &Db, set: Clients<'_>) -> Result<Vec<HoldingCopy>> {
        let mut stmt = db.prepare_cached(&format!(
            "SELECT x.id, x.connection_id, c.client_id, x.account_id, x.dedupe_key, x.name,
                    x.isin, x.asset_class, x.units, x.value_minor, x.currency, x.as_of,
                    {FRESHNESS}
             FROM book_connections c JOIN holdings x ON x.connection_id = c.id
             WHERE {OF_SET}"
        ))?;
        let rows = stmt
            .query_map([set.param()], |r| {
                Ok(HoldingCopy {
                    id: r.get(0)?,
                    connection_id: r.get(1)?,
                    client_id: r.get(2)?,
                    account_id: r.get(3)?,
                    dedupe_key: r.get(4)?,
                    name: r.get(5)?,
                    isin: r.get(6)?,
                    asset_class: r.get(7)?,
                    units: r.get(8)?,
                    value_minor: r.get(9)?,
                    currency: r.get(10)?,
                    as_of: r.get(11)?,
                    freshness: r.get(12)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn liabilities(db: &Db, set: Clients<'_>) -> Result<Vec<LiabilityCopy>> {
        let mut stmt = db.prepare_cached(&format!(
            "SELECT x.id, x.connection_id, c.client_id, x.dedupe_key, x.currency,
                    x.balance_minor, {FRESHNESS}
             FROM book_connections c JOIN liabilities x ON x.connection_id = c.id
             WHERE {OF_SET}"
        ))?;
        let rows = stmt
            .query_map([set.param()], |r| {
                Ok(LiabilityCopy {
                    id: r.get(0)?,
                    connection_id: r.get(1)?,
                    client_id: r.get(2)?,
                    dedupe_key: r.get(3)?,
                    currency: r.get(4)?,
                    balance_minor: r.get(5)?,
                    freshness: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

//! Net worth and allocation per currency.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde::Serialize;

use crate::error::Result;

/// One currency's totals, in minor units. Amounts in different currencies are separate rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetWorth {
    pub currency: String,
    pub assets_minor: i64,
    pub liabilities_minor: i64,
    pub net_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllocationSlice {
    pub currency: String,
    pub asset_class: String,
    pub value_minor: i64,
}

/// Assets: accounts still returned by the provider (debt accounts count negative), except
/// portfolios that have holdings, whose holdings are counted instead (never both).
/// Liabilities: the liabilities table's outstanding amounts.
pub fn net_worth(db: &Connection, client_id: i64) -> Result<Vec<NetWorth>> {
    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut stmt = db.prepare_cached(
        "WITH conns AS (SELECT id FROM connections WHERE client_id = ?1),
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
    let mut rows = stmt.query([client_id])?;
    while let Some(r) = rows.next()? {
        let e = totals.entry(r.get(0)?).or_default();
        e.0 += r.get::<_, i64>(1)?;
        e.1 += r.get::<_, i64>(2)?;
    }
    Ok(totals
        .into_iter()
        .map(|(currency, (assets, liabilities))| NetWorth {
            currency,
            assets_minor: assets,
            liabilities_minor: liabilities,
            net_minor: assets - liabilities,
        })
        .collect())
}

/// Value per asset class and currency: holdings by their class; accounts without holdings by
/// their own class (cash for current and savings accounts). Debt is not an asset class.
pub fn allocation(db: &Connection, client_id: i64) -> Result<Vec<AllocationSlice>> {
    let mut stmt = db.prepare_cached(
        "WITH conns AS (SELECT id FROM connections WHERE client_id = ?1),
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

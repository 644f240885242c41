//! Net worth and allocation per currency.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::store::queries::{positions, Db};

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
pub fn net_worth(db: &Db, client_id: i64) -> Result<Vec<NetWorth>> {
    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (currency, assets, liabilities) in positions::read::currency_parts(db, client_id)? {
        let e = totals.entry(currency).or_default();
        e.0 += assets;
        e.1 += liabilities;
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
pub fn allocation(db: &Db, client_id: i64) -> Result<Vec<AllocationSlice>> {
    positions::read::allocation(db, client_id)
}

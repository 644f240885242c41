//! The one base-currency total of a client or a household: the screens' total, the report's
//! and the CLI's all come from here. It reads positions only (no transaction history) and
//! converts the per-currency net worth with [`convert_totals`].

use super::{base_currency, convert_totals, BaseTotal};
use crate::error::Result;
use crate::reads::book::{set_positions, totals, CurrencyTotal};
use crate::store::queries::households;
use crate::store::Store;
use crate::time::Timestamp;

/// Whose total: one client, or a household (its members, each joint account once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Client(i64),
    Household(i64),
}

impl Subject {
    /// The clients whose data the subject is, after checking that it exists.
    pub fn clients(self, store: &Store) -> Result<Vec<i64>> {
        match self {
            Subject::Client(id) => {
                crate::clients::get(store, id)?;
                Ok(vec![id])
            }
            Subject::Household(id) => {
                crate::households::get(store, id)?;
                store.read(|c| households::read::member_ids(c, id))
            }
        }
    }
}

/// The subject's net worth as one total in the base currency, valued on `now`'s date.
pub fn base_total(store: &Store, who: Subject, now: Timestamp) -> Result<BaseTotal> {
    let clients = who.clients(store)?;
    let pos = store.read(|db| set_positions(db, &clients))?;
    base_total_of(store, &totals(&pos), now)
}

/// A net worth already read (a page's, a report's) as one total in the base currency, so a
/// figure shown beside its per-currency parts is converted from exactly those parts.
pub fn base_total_of(
    store: &Store,
    net_worth: &[CurrencyTotal],
    now: Timestamp,
) -> Result<BaseTotal> {
    let amounts: Vec<(String, i64)> = net_worth
        .iter()
        .map(|t| (t.currency.clone(), t.net_minor))
        .collect();
    let base = base_currency(store)?;
    store.read(|c| convert_totals(c, base, &amounts, now.date_naive()))
}

//! The one base-currency total of a client or a household: the screens' total, the report's
//! and the CLI's all come from here. It reads positions only (no transaction history) and
//! converts the per-currency net worth with [`convert_totals`].

use super::{base_currency, convert_totals, BaseTotal};
use crate::error::{CoreError, Result};
use crate::reads::book::{set_positions, totals, CurrencyTotal};
use crate::store::book_reads::BookReads;
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
        store.read(|r| self.clients_from(r))
    }

    /// [`Subject::clients`] from either engine's reader.
    pub fn clients_from(self, reads: &impl BookReads) -> Result<Vec<i64>> {
        match self {
            Subject::Client(id) => {
                crate::clients::get_from(reads, id)?;
                Ok(vec![id])
            }
            Subject::Household(id) => {
                reads
                    .household(id)?
                    .ok_or_else(|| CoreError::not_found("household", id))?;
                reads.household_member_ids(id)
            }
        }
    }
}

/// The subject's net worth as one total in the base currency, valued on `now`'s date.
pub fn base_total(store: &Store, who: Subject, now: Timestamp) -> Result<BaseTotal> {
    let net_worth = store.read(|r| net_worth_from(r, who))?;
    base_total_of(store, &net_worth, now)
}

/// The subject's net worth per currency, from either engine's reader: the firm's book is read
/// here, and converted with [`base_total_of`] on the desktop's own rates and base currency.
pub fn net_worth_from(reads: &impl BookReads, who: Subject) -> Result<Vec<CurrencyTotal>> {
    let clients = who.clients_from(reads)?;
    Ok(totals(&set_positions(reads, &clients)?))
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

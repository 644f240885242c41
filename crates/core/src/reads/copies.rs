//! One copy of each account, holding and liability of a set of clients: the rule every page
//! counts by. Two connections reaching the same account (a joint account) store two copies
//! with the same `dedupe_key`; the one counted is the copy with the freshest data (its own
//! date, else its connection's), the lowest id on a tie.
//!
//! A page reads its set's copies once ([`SetCopies::read`]) and derives everything from them:
//! the set's positions counted as one, each member's own positions beside them, the accounts
//! and holdings it lists, and which accounts' transactions it counts.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::book::Position;
use crate::error::Result;
use crate::store::book_reads::BookReads;
use crate::store::queries::set_copies::{AccountCopy, HoldingCopy, LiabilityCopy};
use crate::store::queries::Clients;

/// Everything a set's page counts, as stored.
pub(crate) struct SetCopies {
    pub accounts: Vec<AccountCopy>,
    pub holdings: Vec<HoldingCopy>,
    pub liabilities: Vec<LiabilityCopy>,
}

/// What de-duplication partitions by: the whole set as one (a page's total), or each client
/// on its own (a member's own figures, where a joint account counts for each who reaches it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counted {
    Together,
    EachClient,
}

impl Counted {
    fn group(self, client_id: i64) -> i64 {
        match self {
            Counted::Together => 0,
            Counted::EachClient => client_id,
        }
    }
}

/// A stored copy as the rule sees it.
trait StoredCopy {
    fn id(&self) -> i64;
    fn client_id(&self) -> i64;
    fn dedupe_key(&self) -> &str;
    fn freshness(&self) -> Option<&str>;
}

macro_rules! copy_of {
    ($t:ty) => {
        impl StoredCopy for $t {
            fn id(&self) -> i64 {
                self.id
            }
            fn client_id(&self) -> i64 {
                self.client_id
            }
            fn dedupe_key(&self) -> &str {
                &self.dedupe_key
            }
            fn freshness(&self) -> Option<&str> {
                self.freshness.as_deref()
            }
        }
    };
}
copy_of!(AccountCopy);
copy_of!(HoldingCopy);
copy_of!(LiabilityCopy);

/// The counted copy of each `dedupe_key` within each group, in the order first seen.
fn counted<'a, T: StoredCopy>(copies: impl IntoIterator<Item = &'a T>, by: Counted) -> Vec<&'a T> {
    let mut best: HashMap<(i64, &str), usize> = HashMap::new();
    let mut out: Vec<&T> = Vec::new();
    for c in copies {
        match best.entry((by.group(c.client_id()), c.dedupe_key())) {
            std::collections::hash_map::Entry::Occupied(e) => {
                let kept = &mut out[*e.get()];
                if fresher(c, kept) {
                    *kept = c;
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(out.len());
                out.push(c);
            }
        }
    }
    out
}

/// `a` is counted before `b`: fresher data (a copy with no date at all is the oldest), then
/// the lower id.
fn fresher<T: StoredCopy>(a: &T, b: &T) -> bool {
    (a.freshness(), std::cmp::Reverse(a.id())) > (b.freshness(), std::cmp::Reverse(b.id()))
}

/// An account's asset class: its own, else what its kind holds.
fn account_class(a: &AccountCopy) -> String {
    a.asset_class.clone().unwrap_or_else(|| {
        match a.kind.as_str() {
            "current" | "savings" => "cash",
            "credit_card" | "loan" => "debt",
            _ => "other",
        }
        .to_string()
    })
}

impl SetCopies {
    pub fn read(reads: &impl BookReads, set: Clients<'_>) -> Result<SetCopies> {
        Ok(SetCopies {
            accounts: reads.account_copies(set)?,
            holdings: reads.holding_copies(set)?,
            liabilities: reads.liability_copies(set)?,
        })
    }

    fn active_accounts(&self) -> impl Iterator<Item = &AccountCopy> {
        self.accounts.iter().filter(|a| a.active)
    }

    /// Positions, one per `dedupe_key` within each group: active accounts (debt accounts
    /// negative through their value), except those valued through holdings, whose holdings
    /// count instead; holdings; liabilities as negative debt. `client_id` is the client
    /// whose connection supplied the counted copy.
    pub fn positions(&self, by: Counted) -> Vec<Position> {
        let key_of: HashMap<i64, &str> = self
            .accounts
            .iter()
            .map(|a| (a.id, a.dedupe_key.as_str()))
            .collect();
        // Accounts (in any copy, any presence) whose holdings are known, per group.
        let held: HashSet<(i64, &str)> = self
            .holdings
            .iter()
            .filter_map(|h| {
                let key = key_of.get(&h.account_id?)?;
                Some((by.group(h.client_id), *key))
            })
            .collect();
        let accounts = counted(self.active_accounts(), by)
            .into_iter()
            .filter(|a| !held.contains(&(by.group(a.client_id), a.dedupe_key.as_str())))
            .map(|a| Position {
                client_id: a.client_id,
                connection_id: a.connection_id,
                source: "account",
                class: account_class(a),
                currency: a.currency.clone(),
                value_minor: a.balance_minor,
            });
        let holdings = counted(&self.holdings, by).into_iter().map(|h| Position {
            client_id: h.client_id,
            connection_id: h.connection_id,
            source: "holding",
            class: h.asset_class.clone(),
            currency: h.currency.clone(),
            value_minor: h.value_minor,
        });
        let liabilities = counted(&self.liabilities, by)
            .into_iter()
            .map(|l| Position {
                client_id: l.client_id,
                connection_id: l.connection_id,
                source: "liability",
                class: "debt".to_string(),
                currency: l.currency.clone(),
                value_minor: -l.balance_minor,
            });
        accounts.chain(holdings).chain(liabilities).collect()
    }

    /// The accounts a page lists: one per `dedupe_key` across the set (active copies only),
    /// ordered by currency, largest balance first.
    pub fn listed_accounts(&self) -> Vec<ListedAccount<'_>> {
        let mut by_key: HashMap<&str, ListedAccount<'_>> = HashMap::new();
        for a in counted(self.active_accounts(), Counted::Together) {
            by_key.insert(
                &a.dedupe_key,
                ListedAccount {
                    copy: a,
                    copies: 0,
                    owners: BTreeSet::new(),
                    reached_by: BTreeSet::new(),
                },
            );
        }
        // Owners are named on any copy, even one the provider no longer returns; copies
        // and the clients who reach the account count active copies only.
        for a in &self.accounts {
            if let Some(listed) = by_key.get_mut(a.dedupe_key.as_str()) {
                listed.owners.extend(a.owners.iter().map(String::as_str));
                if a.active {
                    listed.copies += 1;
                    listed.reached_by.insert(a.client_id);
                }
            }
        }
        let mut out: Vec<ListedAccount<'_>> = by_key.into_values().collect();
        out.sort_by(|x, y| {
            (
                x.copy.currency.as_str(),
                std::cmp::Reverse(x.copy.balance_minor),
                x.copy.id,
            )
                .cmp(&(
                    y.copy.currency.as_str(),
                    std::cmp::Reverse(y.copy.balance_minor),
                    y.copy.id,
                ))
        });
        out
    }

    /// The holdings a page lists: one per `dedupe_key` across the set, ordered by currency,
    /// largest value first.
    pub fn listed_holdings(&self) -> Vec<&HoldingCopy> {
        let mut out = counted(&self.holdings, Counted::Together);
        out.sort_by(|x, y| {
            (x.currency.as_str(), std::cmp::Reverse(x.value_minor), x.id).cmp(&(
                y.currency.as_str(),
                std::cmp::Reverse(y.value_minor),
                y.id,
            ))
        });
        out
    }

    /// The accounts whose transactions a page counts: one per `dedupe_key` across the set
    /// (any presence: the transactions of an account the provider stopped returning stay),
    /// so a joint account's transactions count once. `cash` keeps only those not valued
    /// through holdings (their flows move the net worth).
    pub fn transaction_accounts(&self, cash: bool) -> Vec<i64> {
        let held: HashSet<i64> = self.holdings.iter().filter_map(|h| h.account_id).collect();
        counted(&self.accounts, Counted::Together)
            .into_iter()
            .filter(|a| !cash || !held.contains(&a.id))
            .map(|a| a.id)
            .collect()
    }
}

/// One account of a page with what its copies across the set say.
pub(crate) struct ListedAccount<'a> {
    pub copy: &'a AccountCopy,
    /// How many active copies the set's connections hold.
    pub copies: u32,
    /// Every owner named on any copy.
    pub owners: BTreeSet<&'a str>,
    /// Clients of the set whose connections reach the account (active copies).
    pub reached_by: BTreeSet<i64>,
}

//! One copy of each account, holding and liability of a set of clients: the rule every page
//! counts by. Two connections reaching the same account (a joint account) store two copies
//! with the same `dedupe_key`; the one counted is the copy with the freshest data (its own
//! date, else its connection's), the lowest id on a tie.
//!
//! A page reads its set's copies once ([`SetCopies::read`]) and derives everything from them:
//! the set's positions counted as one, each member's own positions beside them, the accounts
//! and holdings it lists, and which accounts' transactions it counts.

use std::borrow::Cow;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::book::Position;
use crate::error::Result;
use crate::store::book_reads::BookReads;
use crate::store::queries::set_copies::{AccountCopy, HoldingCopy, LiabilityCopy};
use crate::store::queries::Clients;

/// Everything a set's page counts, as stored, with the de-duplication rule applied to the
/// whole set once: a page's total, its listed accounts and holdings and its transactions all
/// read the same counted copies, so the rule runs once per page, not once per figure.
pub struct SetCopies {
    pub(crate) accounts: Vec<AccountCopy>,
    pub(crate) holdings: Vec<HoldingCopy>,
    pub(crate) liabilities: Vec<LiabilityCopy>,
    /// Each copy's `dedupe_key` as a small number (copies of one account share it), so the
    /// rule compares numbers, not key texts.
    keys: Keys,
    /// For each holding, the index in `accounts` of the account it is held in.
    held_in: Vec<Option<usize>>,
    /// The copies counted across the whole set ([`Counted::Together`]), as indices.
    together: Chosen,
}

struct Keys {
    accounts: Vec<u32>,
    holdings: Vec<u32>,
    liabilities: Vec<u32>,
}

/// Indices of the counted copies, in the order first seen.
#[derive(Clone)]
struct Chosen {
    /// Among active accounts (positions, listed accounts).
    active_accounts: Vec<usize>,
    /// Among accounts of any presence (whose transactions count).
    any_accounts: Vec<usize>,
    holdings: Vec<usize>,
    liabilities: Vec<usize>,
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

/// Numbers the copies' `dedupe_key`s: equal keys get equal numbers.
fn key_numbers<T: StoredCopy>(copies: &[T]) -> Vec<u32> {
    let mut seen: HashMap<&str, u32> = HashMap::with_capacity(copies.len());
    copies
        .iter()
        .map(|c| {
            let next = seen.len() as u32;
            *seen.entry(c.dedupe_key()).or_insert(next)
        })
        .collect()
}

/// The counted copy (its index) of each key within each group among the copies `take`
/// keeps, in the order first seen.
fn counted<T: StoredCopy>(
    copies: &[T],
    keys: &[u32],
    take: impl Fn(&T) -> bool,
    by: Counted,
) -> Vec<usize> {
    let mut slot: BTreeMap<(i64, u32), usize> = BTreeMap::new();
    let mut out: Vec<usize> = Vec::new();
    for (i, c) in copies.iter().enumerate().filter(|(_, c)| take(c)) {
        match slot.entry((by.group(c.client_id()), keys[i])) {
            Entry::Occupied(e) => {
                let kept = &mut out[*e.get()];
                if fresher(c, &copies[*kept]) {
                    *kept = i;
                }
            }
            Entry::Vacant(e) => {
                e.insert(out.len());
                out.push(i);
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
        Ok(SetCopies::of(
            reads.account_copies(set)?,
            reads.holding_copies(set)?,
            reads.liability_copies(set)?,
        ))
    }

    /// The rule applied to every stored copy of a set, however they were read.
    pub fn of(
        accounts: Vec<AccountCopy>,
        holdings: Vec<HoldingCopy>,
        liabilities: Vec<LiabilityCopy>,
    ) -> SetCopies {
        let keys = Keys {
            accounts: key_numbers(&accounts),
            holdings: key_numbers(&holdings),
            liabilities: key_numbers(&liabilities),
        };
        let index_of: HashMap<i64, usize> = accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id, i))
            .collect();
        let held_in = holdings
            .iter()
            .map(|h| index_of.get(&h.account_id?).copied())
            .collect();
        let by = Counted::Together;
        let together = Chosen {
            active_accounts: counted(&accounts, &keys.accounts, |a| a.active, by),
            any_accounts: counted(&accounts, &keys.accounts, |_| true, by),
            holdings: counted(&holdings, &keys.holdings, |_| true, by),
            liabilities: counted(&liabilities, &keys.liabilities, |_| true, by),
        };
        SetCopies {
            accounts,
            holdings,
            liabilities,
            keys,
            held_in,
            together,
        }
    }

    /// The counted copies of each kind (accounts among active copies), as indices.
    fn chosen(&self, by: Counted) -> Cow<'_, Chosen> {
        match by {
            Counted::Together => Cow::Borrowed(&self.together),
            Counted::EachClient => Cow::Owned(Chosen {
                active_accounts: counted(&self.accounts, &self.keys.accounts, |a| a.active, by),
                any_accounts: Vec::new(),
                holdings: counted(&self.holdings, &self.keys.holdings, |_| true, by),
                liabilities: counted(&self.liabilities, &self.keys.liabilities, |_| true, by),
            }),
        }
    }

    /// Positions, one per `dedupe_key` within each group: active accounts (debt accounts
    /// negative through their value), except those valued through holdings, whose holdings
    /// count instead; holdings; liabilities as negative debt. `client_id` is the client
    /// whose connection supplied the counted copy.
    pub(crate) fn positions(&self, by: Counted) -> Vec<Position> {
        // Accounts (in any copy, any presence) whose holdings are known, per group.
        let held: BTreeSet<(i64, u32)> = self
            .holdings
            .iter()
            .zip(&self.held_in)
            .filter_map(|(h, at)| Some((by.group(h.client_id), self.keys.accounts[(*at)?])))
            .collect();
        let chosen = self.chosen(by);
        let accounts = chosen
            .active_accounts
            .iter()
            .filter(|&&i| {
                let a = &self.accounts[i];
                !held.contains(&(by.group(a.client_id), self.keys.accounts[i]))
            })
            .map(|&i| {
                let a = &self.accounts[i];
                Position {
                    client_id: a.client_id,
                    connection_id: a.connection_id,
                    source: "account",
                    class: account_class(a),
                    currency: a.currency.clone(),
                    value_minor: a.balance_minor,
                }
            });
        let holdings = chosen.holdings.iter().map(|&i| {
            let h = &self.holdings[i];
            Position {
                client_id: h.client_id,
                connection_id: h.connection_id,
                source: "holding",
                class: h.asset_class.clone(),
                currency: h.currency.clone(),
                value_minor: h.value_minor,
            }
        });
        let liabilities = chosen.liabilities.iter().map(|&i| {
            let l = &self.liabilities[i];
            Position {
                client_id: l.client_id,
                connection_id: l.connection_id,
                source: "liability",
                class: "debt".to_string(),
                currency: l.currency.clone(),
                value_minor: -l.balance_minor,
            }
        });
        accounts.chain(holdings).chain(liabilities).collect()
    }

    /// The accounts a page lists: one per `dedupe_key` across the set (active copies only),
    /// ordered by currency, largest balance first.
    pub(crate) fn listed_accounts(&self) -> Vec<ListedAccount<'_>> {
        // Where each key's listed account is in `out`.
        let mut at: HashMap<u32, usize> = HashMap::new();
        let mut out: Vec<ListedAccount<'_>> = Vec::new();
        for &i in &self.together.active_accounts {
            at.insert(self.keys.accounts[i], out.len());
            out.push(ListedAccount {
                copy: &self.accounts[i],
                copies: 0,
                owners: BTreeSet::new(),
                reached_by: BTreeSet::new(),
            });
        }
        // Owners are named on any copy, even one the provider no longer returns; copies
        // and the clients who reach the account count active copies only.
        for (a, key) in self.accounts.iter().zip(&self.keys.accounts) {
            if let Some(&j) = at.get(key) {
                let listed = &mut out[j];
                listed.owners.extend(a.owners.iter().map(String::as_str));
                if a.active {
                    listed.copies += 1;
                    listed.reached_by.insert(a.client_id);
                }
            }
        }
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
    pub(crate) fn listed_holdings(&self) -> Vec<&HoldingCopy> {
        let mut out: Vec<&HoldingCopy> = self
            .together
            .holdings
            .iter()
            .map(|&i| &self.holdings[i])
            .collect();
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
        let mut has_holdings = vec![false; self.accounts.len()];
        for &i in self.held_in.iter().flatten() {
            has_holdings[i] = true;
        }
        self.together
            .any_accounts
            .iter()
            .filter(|&&i| !cash || !has_holdings[i])
            .map(|&i| self.accounts[i].id)
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

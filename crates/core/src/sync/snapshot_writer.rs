//! Writes one connection's snapshot inside the caller's transaction (so readers see the old
//! data or the new data, never a mix).
//!
//! Rules, on purpose:
//! - rows are matched by dedupe key (and transactions also by provider id), so a provider
//!   that reissues ids updates the row instead of adding a duplicate;
//! - a row whose content hash did not change is not written at all;
//! - accounts and transactions the provider stops returning are kept and marked
//!   `presence = 'missing'` (transactions only inside the date window the provider returned
//!   for that account: older ones simply aged out of the window);
//! - holdings, liabilities and cards are point-in-time positions: absent ones are removed;
//! - a part that was not fetched (see [`SnapshotParts`]) leaves its rows untouched.
//!
//! The writer names no SQL: it speaks to [`SnapshotStore`], which the solo book's SQLite
//! transaction implements (`store/snapshot_store.rs`) and a firm's PostgreSQL transaction too
//! (`crates/firm/src/snapshot/`), so both engines keep one set of rules.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::domain::dedupe::{self, RowHasher};
use crate::domain::model::{mask_identifier, Card, Holding, Liability, Snapshot, Transaction};
use crate::store::snapshot_store::{
    AccountRow, PositionKey, PositionTable, SnapshotStore, StoredTxn, TxnRow,
};
use crate::time::{self, Timestamp};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct WriteStats {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows kept but marked missing (accounts, transactions) or removed (positions).
    pub retired: u64,
    pub skipped: u64,
    /// Odd fields worked around in records that were kept (providers.md's looser answers).
    pub odd: u64,
}

impl WriteStats {
    pub fn written(&self) -> u64 {
        self.inserted + self.updated + self.retired
    }

    fn add(&mut self, o: WriteStats) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.retired += o.retired;
        self.skipped += o.skipped;
        self.odd += o.odd;
    }
}

/// Account provider id → (row id, dedupe key), for the rows other tables point at.
type AccountMap = HashMap<String, (i64, String)>;

/// Writes `snap` for `connection_id` through `db`, an open transaction of either engine.
pub fn write_snapshot<S: SnapshotStore + ?Sized>(
    db: &S,
    connection_id: i64,
    snap: &Snapshot,
    now: Timestamp,
) -> Result<WriteStats, S::Error> {
    let now_s = time::to_db(now);
    let as_of = snap.data_as_of.map(time::to_db);
    let mut stats = WriteStats {
        skipped: u64::from(snap.skipped()),
        odd: u64::from(snap.notes.oddities_total()),
        ..Default::default()
    };
    let (accounts, s) = write_accounts(db, connection_id, snap, as_of.as_deref())?;
    stats.add(s);
    if snap.parts.holdings {
        stats.add(write_holdings(
            db,
            connection_id,
            snap,
            &accounts,
            as_of.as_deref(),
        )?);
    }
    if snap.parts.transactions {
        stats.add(write_transactions(
            db,
            connection_id,
            &snap.transactions,
            &accounts,
            &now_s,
        )?);
    }
    if snap.parts.liabilities {
        stats.add(write_liabilities(
            db,
            connection_id,
            snap,
            as_of.as_deref(),
        )?);
    }
    if snap.parts.cards {
        stats.add(write_cards(db, connection_id, snap, as_of.as_deref())?);
    }
    db.finish()?;
    Ok(stats)
}

fn write_accounts<S: SnapshotStore + ?Sized>(
    db: &S,
    connection_id: i64,
    snap: &Snapshot,
    as_of: Option<&str>,
) -> Result<(AccountMap, WriteStats), S::Error> {
    let mut stats = WriteStats::default();
    // Existing rows: dedupe key → (id, hash, presence); provider id → (id, key).
    let mut existing: HashMap<String, (i64, i64, String)> = HashMap::new();
    let mut map: AccountMap = HashMap::new();
    for r in db.accounts(connection_id)? {
        map.insert(r.provider_id, (r.id, r.dedupe_key.clone()));
        existing.insert(r.dedupe_key, (r.id, r.hash, r.presence));
    }
    let mut claimed: HashSet<String> = HashSet::new();
    for a in &snap.accounts {
        let key = dedupe::account_key(a);
        if !claimed.insert(key.clone()) {
            // The same account twice in one answer: keep the first.
            stats.skipped += 1;
            continue;
        }
        let masked = a.identifier.as_deref().map(mask_identifier);
        let owners = a.owners.join("\u{1f}");
        let hash = RowHasher::default()
            .str(&a.provider_id)
            .str(a.kind.as_str())
            .str(&a.name)
            .opt(masked.as_deref())
            .str(a.balance.currency.as_str())
            .int(a.balance.minor)
            .opt_int(a.available.map(|m| m.minor))
            .opt(a.asset_class.map(|c| c.as_str()))
            .str(&owners)
            .finish();
        let row = AccountRow {
            provider_id: &a.provider_id,
            kind: a.kind.as_str(),
            name: &a.name,
            number_masked: masked.as_deref(),
            currency: a.balance.currency.as_str(),
            balance_minor: a.balance.minor,
            available_minor: a.available.map(|m| m.minor),
            asset_class: a.asset_class.map(|c| c.as_str()),
            as_of,
            hash,
        };
        let id = match existing.get(&key) {
            Some((id, old_hash, presence)) if *old_hash == hash && presence == "active" => {
                stats.unchanged += 1;
                *id
            }
            Some((id, _, _)) => {
                db.update_account(*id, &row)?;
                db.replace_owners(*id, &a.owners)?;
                stats.updated += 1;
                *id
            }
            None => {
                let id = db.insert_account(connection_id, &key, &row)?;
                db.add_owners(id, &a.owners)?;
                stats.inserted += 1;
                id
            }
        };
        map.insert(a.provider_id.clone(), (id, key));
    }
    // Only a complete account list can say that an account is gone.
    for (key, (id, _, presence)) in existing.iter().filter(|_| snap.parts.accounts) {
        if !claimed.contains(key) && presence == "active" {
            db.mark_account_missing(*id)?;
            stats.retired += 1;
        }
    }
    Ok((map, stats))
}

/// Appends `#n` to the n-th repeat of a key within one answer.
fn with_occurrence(seen: &mut HashMap<String, u32>, key: String) -> String {
    let n = seen.entry(key.clone()).or_insert(0);
    *n += 1;
    if *n == 1 {
        key
    } else {
        format!("{key}#{n}")
    }
}

fn write_holdings<S: SnapshotStore + ?Sized>(
    db: &S,
    connection_id: i64,
    snap: &Snapshot,
    accounts: &AccountMap,
    as_of: Option<&str>,
) -> Result<WriteStats, S::Error> {
    let account_of = |h: &Holding| h.account_ref.as_ref().and_then(|r| accounts.get(r));
    let units_of = |h: &Holding| h.units.map(|u| u.normalize().to_string());
    let keyed = |h: &Holding| {
        let account = account_of(h);
        let key = dedupe::holding_key(h, account.map(|(_, k)| k.as_str()));
        let hash = RowHasher::default()
            .str(&h.provider_id)
            .opt_int(account.map(|(id, _)| *id))
            .str(&h.name)
            .opt(h.isin.as_deref())
            .str(h.asset_class.as_str())
            .opt(units_of(h).as_deref())
            .int(h.value.minor)
            .str(h.value.currency.as_str())
            .finish();
        (key, hash)
    };
    let upsert = |k: &PositionKey<'_>, h: &Holding| {
        let account_id = account_of(h).map(|(id, _)| *id);
        db.upsert_holding(k, h, account_id, units_of(h).as_deref(), as_of)
    };
    let table = PositionTable::Holdings;
    write_positions(db, table, connection_id, &snap.holdings, keyed, upsert)
}

fn write_liabilities<S: SnapshotStore + ?Sized>(
    db: &S,
    connection_id: i64,
    snap: &Snapshot,
    as_of: Option<&str>,
) -> Result<WriteStats, S::Error> {
    let keyed = |l: &Liability| {
        let hash = RowHasher::default()
            .str(&l.provider_id)
            .str(l.kind.as_str())
            .str(&l.name)
            .int(l.outstanding.minor)
            .str(l.outstanding.currency.as_str())
            .finish();
        (dedupe::liability_key(l), hash)
    };
    let upsert = |k: &PositionKey<'_>, l: &Liability| db.upsert_liability(k, l, as_of);
    let table = PositionTable::Liabilities;
    write_positions(db, table, connection_id, &snap.liabilities, keyed, upsert)
}

fn write_cards<S: SnapshotStore + ?Sized>(
    db: &S,
    connection_id: i64,
    snap: &Snapshot,
    as_of: Option<&str>,
) -> Result<WriteStats, S::Error> {
    let keyed = |c: &Card| {
        let hash = RowHasher::default()
            .str(&c.provider_id)
            .str(&c.name)
            .opt(c.pan_masked.as_deref())
            .opt(c.balance.as_ref().map(|b| b.currency.as_str()))
            .opt_int(c.balance.map(|b| b.minor))
            .finish();
        (dedupe::card_key(c), hash)
    };
    let upsert = |k: &PositionKey<'_>, c: &Card| db.upsert_card(k, c, as_of);
    let table = PositionTable::Cards;
    write_positions(db, table, connection_id, &snap.cards, keyed, upsert)
}

/// A point-in-time position table (holdings, liabilities, cards), one shared piece: every
/// row keyed (numbered by occurrence) and hashed, written only when its hash changed, and
/// the rows the answer no longer holds removed.
fn write_positions<S: SnapshotStore + ?Sized, T>(
    db: &S,
    table: PositionTable,
    connection_id: i64,
    items: &[T],
    keyed: impl Fn(&T) -> (String, i64),
    upsert: impl Fn(&PositionKey<'_>, &T) -> Result<(), S::Error>,
) -> Result<WriteStats, S::Error> {
    let mut stats = WriteStats::default();
    let existing = db.positions(table, connection_id)?;
    let mut seen = HashMap::new();
    let mut claimed = HashSet::new();
    for item in items {
        let (key, hash) = keyed(item);
        let key = with_occurrence(&mut seen, key);
        match existing.get(&key) {
            Some((_, old)) if *old == hash => stats.unchanged += 1,
            found => {
                let k = PositionKey {
                    connection_id,
                    dedupe_key: &key,
                    hash,
                };
                upsert(&k, item)?;
                if found.is_some() {
                    stats.updated += 1;
                } else {
                    stats.inserted += 1;
                }
            }
        }
        claimed.insert(key);
    }
    for (key, (id, _)) in &existing {
        if !claimed.contains(key) {
            db.delete_position(table, *id)?;
            stats.retired += 1;
        }
    }
    Ok(stats)
}

fn write_transactions<S: SnapshotStore + ?Sized>(
    db: &S,
    connection_id: i64,
    txns: &[Transaction],
    accounts: &AccountMap,
    now: &str,
) -> Result<WriteStats, S::Error> {
    let mut stats = WriteStats::default();
    // Group incoming by account; unknown accounts are skipped and counted.
    let mut by_account: HashMap<i64, Vec<&Transaction>> = HashMap::new();
    for t in txns {
        match accounts.get(&t.account_ref) {
            Some((id, _)) => by_account.entry(*id).or_default().push(t),
            None => stats.skipped += 1,
        }
    }
    // Existing rows of the connection, by account.
    let mut stored: HashMap<i64, Vec<StoredTxn>> = HashMap::new();
    for row in db.transactions(connection_id)? {
        stored.entry(row.account_id).or_default().push(row);
    }
    let empty = Vec::new();
    for (account_id, mut incoming) in by_account {
        let rows = stored.get(&account_id).unwrap_or(&empty);
        let s =
            write_account_transactions(db, connection_id, account_id, &mut incoming, rows, now)?;
        stats.add(s);
    }
    Ok(stats)
}

fn write_account_transactions<S: SnapshotStore + ?Sized>(
    db: &S,
    connection_id: i64,
    account_id: i64,
    incoming: &mut [&Transaction],
    rows: &[StoredTxn],
    now: &str,
) -> Result<WriteStats, S::Error> {
    let mut stats = WriteStats::default();
    let by_pid: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.provider_id.as_str(), i))
        .collect();
    let by_key: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.dedupe_key.as_str(), i))
        .collect();
    let mut claimed = vec![false; rows.len()];
    let mut keys_in_use: HashSet<String> = rows.iter().map(|r| r.dedupe_key.clone()).collect();

    // Occurrence numbers: identical transactions are ordered by provider id so the numbering
    // does not depend on the order of the answer.
    let mut keyed: Vec<(String, &Transaction)> = incoming
        .iter()
        .map(|t| (dedupe::transaction_content(t), *t))
        .collect();
    keyed.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.provider_id.cmp(&b.1.provider_id))
    });
    let mut window_start: Option<String> = None;
    let mut occurrence = 0u32;
    let mut prev_content: Option<&str> = None;
    let mut seen_pids: HashSet<&str> = HashSet::new();
    for (content, t) in &keyed {
        let t = *t;
        occurrence = if prev_content == Some(content.as_str()) {
            occurrence + 1
        } else {
            0
        };
        prev_content = Some(content.as_str());
        if !seen_pids.insert(t.provider_id.as_str()) {
            // The same provider id twice in one answer: keep the first.
            stats.skipped += 1;
            continue;
        }
        let booking = t.booking_date.to_string();
        if window_start.as_deref().is_none_or(|w| booking.as_str() < w) {
            window_start = Some(booking.clone());
        }
        let key = dedupe::transaction_key(content, occurrence);
        let found = by_pid
            .get(t.provider_id.as_str())
            .copied()
            .filter(|&i| !claimed[i])
            .or_else(|| by_key.get(key.as_str()).copied().filter(|&i| !claimed[i]));
        match found {
            Some(i) => {
                claimed[i] = true;
                let row = &rows[i];
                // Keep the row's key if the new one is held by another row.
                let key = if key != row.dedupe_key && keys_in_use.contains(&key) {
                    row.dedupe_key.clone()
                } else {
                    key
                };
                let hash = transaction_hash(t, &key);
                if row.hash == hash && row.active {
                    stats.unchanged += 1;
                    continue;
                }
                keys_in_use.remove(&row.dedupe_key);
                keys_in_use.insert(key.clone());
                let new = txn_row(t, &key, &booking, now, hash);
                db.update_transaction(row.id, &new)?;
                stats.updated += 1;
            }
            None => {
                let key = if keys_in_use.contains(&key) {
                    // Held by a row matched by provider id whose content changed.
                    format!("{key}~{}", t.provider_id)
                } else {
                    key
                };
                let hash = transaction_hash(t, &key);
                keys_in_use.insert(key.clone());
                let new = txn_row(t, &key, &booking, now, hash);
                db.insert_transaction(connection_id, account_id, &new)?;
                stats.inserted += 1;
            }
        }
    }
    // Inside the returned window, a stored transaction that was not returned is kept and
    // marked missing; older ones aged out of the provider's window and stay as they are.
    if let Some(window) = window_start {
        for (i, row) in rows.iter().enumerate() {
            if !claimed[i] && row.active && row.booking_date >= window {
                db.mark_transaction_missing(row.id)?;
                stats.retired += 1;
            }
        }
    }
    Ok(stats)
}

/// A transaction's columns, for the statements.
fn txn_row<'a>(
    t: &'a Transaction,
    key: &'a str,
    booking: &'a str,
    now: &'a str,
    hash: i64,
) -> TxnRow<'a> {
    TxnRow {
        provider_id: &t.provider_id,
        dedupe_key: key,
        booking_date: booking,
        value_date: t.value_date.map(|d| d.to_string()),
        amount_minor: t.amount.minor,
        currency: t.amount.currency.as_str(),
        balance_minor: t.balance_after.map(|m| m.minor),
        description: &t.description,
        category: t.category.as_deref(),
        counterparty: t.counterparty.as_deref(),
        now,
        hash,
    }
}

fn transaction_hash(t: &Transaction, key: &str) -> i64 {
    RowHasher::default()
        .str(&t.provider_id)
        .str(key)
        .str(&t.booking_date.to_string())
        .opt(t.value_date.map(|d| d.to_string()).as_deref())
        .int(t.amount.minor)
        .str(t.amount.currency.as_str())
        .opt_int(t.balance_after.map(|m| m.minor))
        .str(&t.description)
        .opt(t.category.as_deref())
        .opt(t.counterparty.as_deref())
        .finish()
}

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

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection as Db};
use serde::Serialize;

use crate::domain::dedupe::{self, RowHasher};
use crate::domain::model::{mask_identifier, Holding, Snapshot, Transaction};
use crate::error::Result;
use crate::time::{self, Timestamp};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WriteStats {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows kept but marked missing (accounts, transactions) or removed (positions).
    pub retired: u64,
    pub skipped: u64,
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
    }
}

/// Account provider id → (row id, dedupe key), for the rows other tables point at.
type AccountMap = HashMap<String, (i64, String)>;

pub fn write_snapshot(
    db: &Db,
    connection_id: i64,
    snap: &Snapshot,
    now: Timestamp,
) -> Result<WriteStats> {
    let now_s = time::to_db(now);
    let as_of = snap.data_as_of.map(time::to_db);
    let mut stats = WriteStats {
        skipped: u64::from(snap.skipped),
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
    Ok(stats)
}

fn write_accounts(
    db: &Db,
    connection_id: i64,
    snap: &Snapshot,
    as_of: Option<&str>,
) -> Result<(AccountMap, WriteStats)> {
    let mut stats = WriteStats::default();
    // Existing rows: dedupe key → (id, hash, presence); provider id → (id, key).
    let mut existing: HashMap<String, (i64, i64, String)> = HashMap::new();
    let mut map: AccountMap = HashMap::new();
    {
        let mut stmt = db.prepare_cached(
            "SELECT id, dedupe_key, row_hash, presence, provider_id FROM accounts
             WHERE connection_id = ?1",
        )?;
        let mut rows = stmt.query([connection_id])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let key: String = r.get(1)?;
            map.insert(r.get(4)?, (id, key.clone()));
            existing.insert(key, (id, r.get(2)?, r.get(3)?));
        }
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
        let id = match existing.get(&key) {
            Some((id, old_hash, presence)) if *old_hash == hash && presence == "active" => {
                stats.unchanged += 1;
                *id
            }
            Some((id, _, _)) => {
                db.prepare_cached(
                    "UPDATE accounts SET provider_id = ?2, kind = ?3, name = ?4, number_masked = ?5,
                         currency = ?6, balance_minor = ?7, available_minor = ?8, asset_class = ?9,
                         as_of = ?10, row_hash = ?11, presence = 'active'
                     WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    a.provider_id,
                    a.kind.as_str(),
                    a.name,
                    masked,
                    a.balance.currency.as_str(),
                    a.balance.minor,
                    a.available.map(|m| m.minor),
                    a.asset_class.map(|c| c.as_str()),
                    as_of,
                    hash
                ])?;
                db.prepare_cached("DELETE FROM account_owners WHERE account_id = ?1")?
                    .execute([id])?;
                insert_owners(db, *id, &a.owners)?;
                stats.updated += 1;
                *id
            }
            None => {
                db.prepare_cached(
                    "INSERT INTO accounts (connection_id, provider_id, dedupe_key, kind, name,
                         number_masked, currency, balance_minor, available_minor, asset_class,
                         as_of, row_hash, presence)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'active')",
                )?
                .execute(params![
                    connection_id,
                    a.provider_id,
                    key,
                    a.kind.as_str(),
                    a.name,
                    masked,
                    a.balance.currency.as_str(),
                    a.balance.minor,
                    a.available.map(|m| m.minor),
                    a.asset_class.map(|c| c.as_str()),
                    as_of,
                    hash
                ])?;
                let id = db.last_insert_rowid();
                insert_owners(db, id, &a.owners)?;
                stats.inserted += 1;
                id
            }
        };
        map.insert(a.provider_id.clone(), (id, key));
    }
    // Only a complete account list can say that an account is gone.
    for (key, (id, _, presence)) in existing.iter().filter(|_| snap.parts.accounts) {
        if !claimed.contains(key) && presence == "active" {
            db.prepare_cached(
                "UPDATE accounts SET presence = 'missing', row_hash = 0 WHERE id = ?1",
            )?
            .execute([id])?;
            stats.retired += 1;
        }
    }
    Ok((map, stats))
}

fn insert_owners(db: &Db, account_id: i64, owners: &[String]) -> Result<()> {
    let mut stmt = db.prepare_cached(
        "INSERT OR IGNORE INTO account_owners (account_id, owner_name) VALUES (?1, ?2)",
    )?;
    for o in owners.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        stmt.execute(params![account_id, o])?;
    }
    Ok(())
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

fn write_holdings(
    db: &Db,
    connection_id: i64,
    snap: &Snapshot,
    accounts: &AccountMap,
    as_of: Option<&str>,
) -> Result<WriteStats> {
    let account_of = |h: &Holding| h.account_ref.as_ref().and_then(|r| accounts.get(r));
    let units_of = |h: &Holding| h.units.map(|u| u.normalize().to_string());
    let positions = Positions {
        table: "holdings",
        upsert: "INSERT INTO holdings (connection_id, dedupe_key, row_hash, account_id,
                     provider_id, name, isin, asset_class, units, value_minor, currency, as_of)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (connection_id, dedupe_key) DO UPDATE SET
                     account_id = excluded.account_id, provider_id = excluded.provider_id,
                     name = excluded.name, isin = excluded.isin,
                     asset_class = excluded.asset_class, units = excluded.units,
                     value_minor = excluded.value_minor, currency = excluded.currency,
                     as_of = excluded.as_of, row_hash = excluded.row_hash",
    };
    positions.write(
        db,
        connection_id,
        &snap.holdings,
        |h| {
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
        },
        |stmt, row, h| {
            stmt.execute(params![
                row.connection_id,
                row.key,
                row.hash,
                account_of(h).map(|(id, _)| *id),
                h.provider_id,
                h.name,
                h.isin,
                h.asset_class.as_str(),
                units_of(h),
                h.value.minor,
                h.value.currency.as_str(),
                as_of
            ])
        },
    )
}

fn write_liabilities(
    db: &Db,
    connection_id: i64,
    snap: &Snapshot,
    as_of: Option<&str>,
) -> Result<WriteStats> {
    let positions = Positions {
        table: "liabilities",
        upsert: "INSERT INTO liabilities (connection_id, dedupe_key, row_hash, provider_id,
                     kind, name, currency, balance_minor, as_of)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (connection_id, dedupe_key) DO UPDATE SET
                     provider_id = excluded.provider_id, kind = excluded.kind,
                     name = excluded.name, currency = excluded.currency,
                     balance_minor = excluded.balance_minor, as_of = excluded.as_of,
                     row_hash = excluded.row_hash",
    };
    positions.write(
        db,
        connection_id,
        &snap.liabilities,
        |l| {
            let hash = RowHasher::default()
                .str(&l.provider_id)
                .str(l.kind.as_str())
                .str(&l.name)
                .int(l.outstanding.minor)
                .str(l.outstanding.currency.as_str())
                .finish();
            (dedupe::liability_key(l), hash)
        },
        |stmt, row, l| {
            stmt.execute(params![
                row.connection_id,
                row.key,
                row.hash,
                l.provider_id,
                l.kind.as_str(),
                l.name,
                l.outstanding.currency.as_str(),
                l.outstanding.minor,
                as_of
            ])
        },
    )
}

fn write_cards(
    db: &Db,
    connection_id: i64,
    snap: &Snapshot,
    as_of: Option<&str>,
) -> Result<WriteStats> {
    let positions = Positions {
        table: "cards",
        upsert: "INSERT INTO cards (connection_id, dedupe_key, row_hash, provider_id, name,
                     pan_masked, currency, balance_minor, as_of)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (connection_id, dedupe_key) DO UPDATE SET
                     provider_id = excluded.provider_id, name = excluded.name,
                     pan_masked = excluded.pan_masked, currency = excluded.currency,
                     balance_minor = excluded.balance_minor, as_of = excluded.as_of,
                     row_hash = excluded.row_hash",
    };
    positions.write(
        db,
        connection_id,
        &snap.cards,
        |c| {
            let hash = RowHasher::default()
                .str(&c.provider_id)
                .str(&c.name)
                .opt(c.pan_masked.as_deref())
                .opt(c.balance.as_ref().map(|b| b.currency.as_str()))
                .opt_int(c.balance.map(|b| b.minor))
                .finish();
            (dedupe::card_key(c), hash)
        },
        |stmt, row, c| {
            stmt.execute(params![
                row.connection_id,
                row.key,
                row.hash,
                c.provider_id,
                c.name,
                c.pan_masked,
                c.balance.map(|b| b.currency.as_str().to_string()),
                c.balance.map(|b| b.minor),
                as_of
            ])
        },
    )
}

/// The identity of a position row being written: its statement's first three parameters.
struct PositionRow<'a> {
    connection_id: i64,
    key: &'a str,
    hash: i64,
}

/// A point-in-time position table (holdings, liabilities, cards): every row keyed (numbered
/// by occurrence) and hashed, written only when its hash changed, and absent ones removed.
/// `upsert` takes `connection_id, dedupe_key, row_hash` as `?1..?3`, then the table's own
/// columns.
struct Positions {
    table: &'static str,
    upsert: &'static str,
}

impl Positions {
    fn write<T>(
        &self,
        db: &Db,
        connection_id: i64,
        items: &[T],
        keyed: impl Fn(&T) -> (String, i64),
        upsert: impl Fn(
            &mut rusqlite::CachedStatement<'_>,
            PositionRow<'_>,
            &T,
        ) -> rusqlite::Result<usize>,
    ) -> Result<WriteStats> {
        let mut stats = WriteStats::default();
        let existing = load_keyed(db, self.table, connection_id)?;
        let mut seen = HashMap::new();
        let mut claimed = HashSet::new();
        for item in items {
            let (key, hash) = keyed(item);
            let key = with_occurrence(&mut seen, key);
            upsert_if_changed(&existing, &key, hash, &mut stats, || {
                let row = PositionRow {
                    connection_id,
                    key: &key,
                    hash,
                };
                upsert(&mut db.prepare_cached(self.upsert)?, row, item)?;
                Ok(())
            })?;
            claimed.insert(key);
        }
        stats.retired += delete_unclaimed(db, self.table, &existing, &claimed)?;
        Ok(stats)
    }
}

/// dedupe key → (id, row hash) of one connection's rows in a position table.
/// Leaves a row whose hash is unchanged alone; otherwise runs `upsert` and counts an insert or
/// an update.
fn upsert_if_changed(
    existing: &HashMap<String, (i64, i64)>,
    key: &str,
    hash: i64,
    stats: &mut WriteStats,
    upsert: impl FnOnce() -> Result<()>,
) -> Result<()> {
    match existing.get(key) {
        Some((_, old)) if *old == hash => stats.unchanged += 1,
        found => {
            upsert()?;
            if found.is_some() {
                stats.updated += 1;
            } else {
                stats.inserted += 1;
            }
        }
    }
    Ok(())
}

fn load_keyed(db: &Db, table: &str, connection_id: i64) -> Result<HashMap<String, (i64, i64)>> {
    let mut stmt = db.prepare_cached(&format!(
        "SELECT dedupe_key, id, row_hash FROM {table} WHERE connection_id = ?1"
    ))?;
    let rows = stmt
        .query_map([connection_id], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<rusqlite::Result<HashMap<_, _>>>()?;
    Ok(rows)
}

fn delete_unclaimed(
    db: &Db,
    table: &str,
    existing: &HashMap<String, (i64, i64)>,
    claimed: &HashSet<String>,
) -> Result<u64> {
    let mut stmt = db.prepare_cached(&format!("DELETE FROM {table} WHERE id = ?1"))?;
    let mut n = 0;
    for (key, (id, _)) in existing {
        if !claimed.contains(key) {
            stmt.execute([id])?;
            n += 1;
        }
    }
    Ok(n)
}

struct StoredTxn {
    id: i64,
    dedupe_key: String,
    provider_id: String,
    hash: i64,
    active: bool,
    booking_date: String,
}

fn write_transactions(
    db: &Db,
    connection_id: i64,
    txns: &[Transaction],
    accounts: &AccountMap,
    now: &str,
) -> Result<WriteStats> {
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
    {
        let mut stmt = db.prepare_cached(
            "SELECT id, account_id, dedupe_key, provider_id, row_hash, presence, booking_date
             FROM transactions WHERE connection_id = ?1",
        )?;
        let mut rows = stmt.query([connection_id])?;
        while let Some(r) = rows.next()? {
            let presence: String = r.get(5)?;
            stored.entry(r.get(1)?).or_default().push(StoredTxn {
                id: r.get(0)?,
                dedupe_key: r.get(2)?,
                provider_id: r.get(3)?,
                hash: r.get(4)?,
                active: presence == "active",
                booking_date: r.get(6)?,
            });
        }
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

fn write_account_transactions(
    db: &Db,
    connection_id: i64,
    account_id: i64,
    incoming: &mut [&Transaction],
    rows: &[StoredTxn],
    now: &str,
) -> Result<WriteStats> {
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
                db.prepare_cached(
                    "UPDATE transactions SET provider_id = ?2, dedupe_key = ?3, booking_date = ?4,
                         value_date = ?5, amount_minor = ?6, currency = ?7, balance_minor = ?8,
                         description = ?9, category = ?10, counterparty = ?11,
                         presence = 'active', last_seen_at = ?12, row_hash = ?13
                     WHERE id = ?1",
                )?
                .execute(params![
                    row.id,
                    t.provider_id,
                    key,
                    booking,
                    t.value_date.map(|d| d.to_string()),
                    t.amount.minor,
                    t.amount.currency.as_str(),
                    t.balance_after.map(|m| m.minor),
                    t.description,
                    t.category,
                    t.counterparty,
                    now,
                    hash
                ])?;
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
                db.prepare_cached(
                    "INSERT INTO transactions (connection_id, account_id, provider_id, dedupe_key,
                         booking_date, value_date, amount_minor, currency, balance_minor,
                         description, category, counterparty, presence, first_seen_at,
                         last_seen_at, row_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'active', ?13, ?13, ?14)",
                )?
                .execute(params![
                    connection_id,
                    account_id,
                    t.provider_id,
                    key,
                    booking,
                    t.value_date.map(|d| d.to_string()),
                    t.amount.minor,
                    t.amount.currency.as_str(),
                    t.balance_after.map(|m| m.minor),
                    t.description,
                    t.category,
                    t.counterparty,
                    now,
                    hash
                ])?;
                stats.inserted += 1;
            }
        }
    }
    // Inside the returned window, a stored transaction that was not returned is kept and
    // marked missing; older ones aged out of the provider's window and stay as they are.
    if let Some(window) = window_start {
        let mut stmt = db.prepare_cached(
            "UPDATE transactions SET presence = 'missing', row_hash = 0 WHERE id = ?1",
        )?;
        for (i, row) in rows.iter().enumerate() {
            if !claimed[i] && row.active && row.booking_date >= window {
                stmt.execute([row.id])?;
                stats.retired += 1;
            }
        }
    }
    Ok(stats)
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

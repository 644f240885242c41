//! The measured data folder, written with the core's own API (clients, connections and
//! snapshots through the sync engine's snapshot writer, as a real sync stores them):
//! 500 clients with a current account, savings, a portfolio and some transactions each,
//! connections in every health state, and ten of the clients with 50 000 transactions each.
//! Generated once and cached under `target/bench-data/<VERSION>/`: reruns only copy it.

use std::path::{Path, PathBuf};

use advisor_desk_core::clients;
use advisor_desk_core::clients::NewClient;
use advisor_desk_core::domain::{
    Account, AccountKind, AssetClass, Holding, Institution, Provider, Snapshot, SnapshotParts,
    Transaction,
};
use advisor_desk_core::money::{Currency, Money};
use advisor_desk_core::secrets::{MemorySecretStore, Secret};
use advisor_desk_core::settings;
use advisor_desk_core::sync::connections;
use advisor_desk_core::sync::{write_snapshot, NewConnection};
use advisor_desk_core::{paths, time, Store};
use anyhow::{Context, Result};
use chrono::Duration as Days;

/// Bump when the generated book changes, so a stale cache is not reused.
pub const VERSION: &str = "startup-v1";
pub const CLIENTS: usize = 500;
pub const BIG_CLIENTS: usize = 10;
pub const BIG_TRANSACTIONS: usize = 50_000;
/// Transactions of every other client (a year of card and bank movements).
const SMALL_TRANSACTIONS: usize = 120;

/// The setting the app's daily refresh reads: "now" keeps it from starting while measured.
const LAST_SCHEDULED: &str = "sync.last_scheduled_at";
const IDS_FILE: &str = "big-clients.json";

/// The cached book: its database file and the ids of the ten big clients.
pub struct Book {
    pub database: PathBuf,
    pub big_clients: Vec<i64>,
}

/// The cached book under `cache_root`, generating it on first use.
pub fn cached_book(cache_root: &Path) -> Result<Book> {
    let dir = cache_root.join(VERSION);
    let database = paths::database_path(&dir);
    let ids = dir.join(IDS_FILE);
    if !ids.is_file() {
        let tmp = cache_root.join(format!("{VERSION}.partial"));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).with_context(|| format!("create {}", tmp.display()))?;
        let started = std::time::Instant::now();
        eprintln!("generating the benchmark book in {} (once)…", dir.display());
        let big = generate(&paths::database_path(&tmp))?;
        std::fs::write(tmp.join(IDS_FILE), serde_json::to_string(&big)?)?;
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&tmp, &dir)?;
        eprintln!("  done in {:.1} s", started.elapsed().as_secs_f64());
    }
    let big_clients = serde_json::from_str(&std::fs::read_to_string(&ids)?)?;
    Ok(Book {
        database,
        big_clients,
    })
}

/// Copies the book into `data_dir` (a working copy the app may write to) and sets the last
/// scheduled refresh to now.
pub fn working_copy(book: &Book, data_dir: &Path) -> Result<()> {
    std::fs::create_dir_all(data_dir)?;
    let target = paths::database_path(data_dir);
    std::fs::copy(&book.database, &target)
        .with_context(|| format!("copy {} to {}", book.database.display(), target.display()))?;
    for suffix in ["-wal", "-shm"] {
        let mut from = book.database.clone().into_os_string();
        from.push(suffix);
        let mut to = target.clone().into_os_string();
        to.push(suffix);
        let _ = std::fs::remove_file(&to);
        if Path::new(&from).is_file() {
            std::fs::copy(&from, &to)?;
        }
    }
    let store = Store::open(&target)?;
    settings::set(&store, LAST_SCHEDULED, &time::to_db(time::now()))?;
    Ok(())
}

/// A small deterministic generator: the same book on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Ana",
    "Luis",
    "Carmen",
    "Diego",
    "Elena",
    "Javier",
    "Lucía",
    "Marc",
    "Nuria",
    "Pablo",
    "Sofía",
    "Tomás",
    "Émilie",
    "François",
    "Chloé",
    "Olivier",
    "Zoë",
    "Liam",
    "Noah",
    "Maya",
];
const LAST: &[&str] = &[
    "Ruiz",
    "Gómez",
    "Vidal",
    "Sanz",
    "Mora",
    "Prieto",
    "Castillo",
    "Navarro",
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Martin",
    "Fernández",
    "López",
    "Iglesias",
    "Pérez",
];
const BANKS: &[&str] = &[
    "Banco Uno",
    "Caixa Norte",
    "Banco Tres",
    "Desjardins Test",
    "RBC Test",
];
const MERCHANTS: &[&str] = &[
    "Mercadona",
    "Repsol",
    "Amazon",
    "Renfe",
    "Iberdrola",
    "Farmacia Central",
    "Zara",
    "Uber",
    "Nómina",
    "Alquiler piso",
    "Transferencia",
    "Recibo luz",
    "Supermercado Día",
    "Cafetería",
];
const FUNDS: &[(&str, &str, AssetClass)] = &[
    ("World Index Fund", "IE00B4L5Y983", AssetClass::Fund),
    ("Bono Estado 2030", "ES0000012345", AssetClass::FixedIncome),
    ("Iberdrola SA", "ES0144580Y14", AssetClass::Equity),
    ("Plan Pensiones Mixto", "ES0000000001", AssetClass::Pension),
];
/// (status, action_by) with their share of the book: most connections are fine.
const STATES: &[(&str, &str)] = &[
    ("ready", "nobody"),
    ("ready", "nobody"),
    ("ready", "nobody"),
    ("ready", "nobody"),
    ("ready", "nobody"),
    ("ready", "nobody"),
    ("pending_sca", "client"),
    ("retry_later", "nobody"),
    ("needs_advisor", "advisor"),
];

fn money(minor: i64, currency: &str) -> Money {
    Money {
        minor,
        currency: Currency::parse(currency).expect("a known currency"),
    }
}

fn account(id: &str, kind: AccountKind, minor: i64, currency: &str, owner: &str) -> Account {
    Account {
        provider_id: id.into(),
        kind,
        name: format!("{kind:?} {id}"),
        identifier: Some(format!(
            "ES76 2100 0418 {:04} {id}",
            minor.rem_euclid(10_000)
        )),
        balance: money(minor, currency),
        available: None,
        asset_class: None,
        owners: vec![owner.to_string()],
    }
}

fn transactions(rng: &mut Rng, n: usize, account: &str, currency: &str) -> Vec<Transaction> {
    let today = time::now().date_naive();
    (0..n)
        .map(|i| {
            let merchant = rng.pick(MERCHANTS);
            let amount = if merchant == "Nómina" {
                200_000 + rng.below(150_000) as i64
            } else {
                -(100 + rng.below(40_000) as i64)
            };
            Transaction {
                provider_id: format!("{account}-t{i}"),
                account_ref: account.into(),
                // Spread over the last years, newest first.
                booking_date: today - Days::days((i * 1_460 / n.max(1)) as i64),
                value_date: None,
                amount: money(amount, currency),
                balance_after: None,
                description: format!("{merchant} ref {}", rng.below(100_000)),
                category: None,
                counterparty: None,
            }
        })
        .collect()
}

fn snapshot(rng: &mut Rng, key: &str, owner: &str, currency: &str, txns: usize) -> Snapshot {
    let current = format!("{key}c");
    let portfolio = format!("{key}p");
    let holdings = FUNDS
        .iter()
        .take(1 + rng.below(FUNDS.len() as u64) as usize)
        .enumerate()
        .map(|(i, (name, isin, class))| Holding {
            provider_id: format!("{key}h{i}"),
            account_ref: Some(portfolio.clone()),
            name: (*name).into(),
            isin: Some((*isin).into()),
            asset_class: *class,
            units: None,
            value: money(10_000 + rng.below(5_000_000) as i64, currency),
        })
        .collect();
    Snapshot {
        institution: Institution::default(),
        accounts: vec![
            account(
                &current,
                AccountKind::Current,
                rng.below(3_000_000) as i64,
                currency,
                owner,
            ),
            account(
                &format!("{key}s"),
                AccountKind::Savings,
                rng.below(10_000_000) as i64,
                currency,
                owner,
            ),
            account(&portfolio, AccountKind::Portfolio, 0, currency, owner),
        ],
        holdings,
        transactions: transactions(rng, txns, &current, currency),
        liabilities: vec![],
        cards: vec![],
        parts: SnapshotParts::all(),
        data_as_of: None,
        ..Default::default()
    }
}

/// Writes the book into a new database at `path`; returns the big clients' ids.
fn generate(path: &Path) -> Result<Vec<i64>> {
    let store = Store::open(path)?;
    let secrets = MemorySecretStore::new();
    let mut rng = Rng(0x5eed_ad71_50de_5c00);
    let mut big = Vec::new();
    let now = time::now();
    for i in 0..CLIENTS {
        let name = format!("{} {} {:03}", rng.pick(FIRST), rng.pick(LAST), i);
        let client = clients::add(
            &store,
            &NewClient {
                name: name.clone(),
                ..Default::default()
            },
            "bench",
        )?
        .id;
        // Every 50th client (ten of them) is a big one.
        let is_big = i % (CLIENTS / BIG_CLIENTS) == 7;
        if is_big {
            big.push(client);
        }
        // A few clients have no bank yet, some have two.
        let connections = match i % 25 {
            0 => 0,
            1..=4 => 2,
            _ => 1,
        };
        for c in 0..connections {
            let (provider, flow, currency) = if i % 3 == 2 {
                (Provider::Flinks, "flinks_connect", "CAD")
            } else {
                (Provider::Flanks, "flanks_link", "EUR")
            };
            let bank = rng.pick(BANKS);
            let id = connections::add(
                &store,
                &NewConnection {
                    client_id: client,
                    provider,
                    flow: flow.into(),
                    institution_id: Some(bank.to_lowercase().replace(' ', "_")),
                    institution_name: Some(bank.into()),
                },
                &Secret::new(format!("bench-token-{i}-{c}")),
                &secrets,
                "bench",
            )?
            .id;
            let txns = if is_big && c == 0 {
                BIG_TRANSACTIONS
            } else {
                SMALL_TRANSACTIONS
            };
            let snap = snapshot(&mut rng, &format!("k{i}x{c}"), &name, currency, txns);
            let (status, action_by) = STATES[rng.below(STATES.len() as u64) as usize];
            let ok = now - Days::hours(1 + rng.below(24 * 40) as i64);
            store.write(|tx| {
                write_snapshot(tx, id, &snap, ok)?;
                tx.execute(
                    "UPDATE connections SET status = ?2, action_by = ?3, last_success_at = ?4,
                         data_as_of = ?4, last_attempt_at = ?4 WHERE id = ?1",
                    rusqlite::params![id, status, action_by, time::to_db(ok)],
                )?;
                Ok(())
            })?;
        }
    }
    // Closing the last connection folds the write-ahead log into the database file.
    drop(store);
    Ok(big)
}

//! One snapshot writer, two engines: a real sandbox snapshot (fetched over HTTP through the
//! providers' real clients) written by the core's `write_snapshot` into a solo book's SQLite
//! file and into a firm's PostgreSQL database gives the same rows, table by table — and the
//! same again through a sequence of answers: the same one again (nothing written), reissued
//! provider ids (updated, not duplicated), rows that vanished (kept `missing`, positions
//! removed), and a part not fetched (left alone). The connection's after-sync record too.

mod refresh_support;

use std::collections::BTreeMap;

use advisor_desk_core::clients::{self, NewClient};
use advisor_desk_core::domain::{Provider, Snapshot};
use advisor_desk_core::secrets::{KeyringStore, Secret};
use advisor_desk_core::store::snapshot_store::SnapshotStore;
use advisor_desk_core::sync::{self, fetch_snapshot, write_snapshot, NewConnection, WriteStats};
use advisor_desk_core::time::{self, Timestamp};
use advisor_desk_core::Store;
use advisor_desk_firm::snapshot::PgSnapshotRows;
use advisor_desk_firm::test_firm::TestFirm;
use chrono::NaiveDate;
use refresh_support::*;

/// How a column is compared: its value in one canonical text whatever the engine's type.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
    Date,
    Time,
}
use Kind::*;

/// A table of one connection, its columns as expressions both engines read alike (an account
/// named by its dedupe key, never by an id each engine chose).
struct Table {
    name: &'static str,
    from: &'static str,
    columns: &'static [(&'static str, Kind)],
}

const ACCOUNT_KEY: &str = "(SELECT a.dedupe_key FROM accounts a WHERE a.id = t.account_id)";

const TABLES: &[Table] = &[
    Table {
        name: "accounts",
        from: "accounts t WHERE t.connection_id = ",
        columns: &[
            ("t.provider_id", Text),
            ("t.dedupe_key", Text),
            ("t.kind", Text),
            ("t.name", Text),
            ("t.number_masked", Text),
            ("t.currency", Text),
            ("t.balance_minor", Int),
            ("t.available_minor", Int),
            ("t.asset_class", Text),
            ("t.as_of", Time),
            ("t.row_hash", Int),
            ("t.presence", Text),
        ],
    },
    Table {
        name: "account_owners",
        from: "account_owners t JOIN accounts a ON a.id = t.account_id WHERE a.connection_id = ",
        columns: &[("a.dedupe_key", Text), ("t.owner_name", Text)],
    },
    Table {
        name: "holdings",
        from: "holdings t WHERE t.connection_id = ",
        columns: &[
            (ACCOUNT_KEY, Text),
            ("t.provider_id", Text),
            ("t.dedupe_key", Text),
            ("t.name", Text),
            ("t.isin", Text),
            ("t.asset_class", Text),
            ("t.units", Text),
            ("t.value_minor", Int),
            ("t.currency", Text),
            ("t.as_of", Time),
            ("t.row_hash", Int),
        ],
    },
    Table {
        name: "liabilities",
        from: "liabilities t WHERE t.connection_id = ",
        columns: &[
            ("t.provider_id", Text),
            ("t.dedupe_key", Text),
            ("t.kind", Text),
            ("t.name", Text),
            ("t.currency", Text),
            ("t.balance_minor", Int),
            ("t.as_of", Time),
            ("t.row_hash", Int),
        ],
    },
    Table {
        name: "cards",
        from: "cards t WHERE t.connection_id = ",
        columns: &[
            ("t.provider_id", Text),
            ("t.dedupe_key", Text),
            ("t.name", Text),
            ("t.pan_masked", Text),
            ("t.currency", Text),
            ("t.balance_minor", Int),
            ("t.as_of", Time),
            ("t.row_hash", Int),
        ],
    },
    Table {
        name: "transactions",
        from: "transactions t WHERE t.connection_id = ",
        columns: &[
            (ACCOUNT_KEY, Text),
            ("t.provider_id", Text),
            ("t.dedupe_key", Text),
            ("t.booking_date", Date),
            ("t.value_date", Date),
            ("t.amount_minor", Int),
            ("t.currency", Text),
            ("t.balance_minor", Int),
            ("t.description", Text),
            ("t.category", Text),
            ("t.counterparty", Text),
            ("t.presence", Text),
            ("t.first_seen_at", Time),
            ("t.last_seen_at", Time),
            ("t.row_hash", Int),
        ],
    },
    Table {
        name: "connections",
        from: "connections t WHERE t.id = ",
        columns: &[
            ("t.status", Text),
            ("t.action_by", Text),
            ("t.provider_code", Text),
            ("t.provider_message", Text),
            ("CAST(t.consecutive_failures AS bigint)", Int),
            ("t.last_success_at", Time),
            ("t.data_as_of", Time),
            ("t.next_retry_at", Time),
            ("t.institution_name", Text),
        ],
    },
];

type Rows = Vec<Vec<Option<String>>>;

fn sql(table: &Table, connection_id: i64) -> String {
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    format!(
        "SELECT {} FROM {}{connection_id}",
        columns.join(", "),
        table.from
    )
}

/// Every table of the connection in the SQLite book, canonical and sorted.
fn sqlite_tables(store: &Store, connection_id: i64) -> BTreeMap<&'static str, Rows> {
    store
        .read(|db| {
            let mut tables = BTreeMap::new();
            for table in TABLES {
                let mut stmt = db.prepare(&sql(table, connection_id))?;
                let mut rows: Rows = stmt
                    .query_map([], |r| {
                        let mut row = Vec::new();
                        for (i, (_, kind)) in table.columns.iter().enumerate() {
                            row.push(match kind {
                                Text | Date => r.get::<_, Option<String>>(i)?,
                                Int => r.get::<_, Option<i64>>(i)?.map(|n| n.to_string()),
                                Time => r
                                    .get::<_, Option<String>>(i)?
                                    .map(|t| time::to_db(time::from_db(&t).expect("a time"))),
                            });
                        }
                        Ok(row)
                    })?
                    .collect::<Result<_, _>>()?;
                rows.sort();
                tables.insert(table.name, rows);
            }
            Ok(tables)
        })
        .unwrap()
}

/// Every table of the connection in the firm database, canonical and sorted.
fn postgres_tables(
    client: &mut postgres::Client,
    connection_id: i64,
) -> BTreeMap<&'static str, Rows> {
    let mut tables = BTreeMap::new();
    for table in TABLES {
        let mut rows: Rows = client
            .query(&sql(table, connection_id), &[])
            .unwrap()
            .iter()
            .map(|r| {
                (0..table.columns.len())
                    .map(|i| match table.columns[i].1 {
                        Text => r.get::<_, Option<String>>(i),
                        Int => r.get::<_, Option<i64>>(i).map(|n| n.to_string()),
                        Date => r.get::<_, Option<NaiveDate>>(i).map(|d| d.to_string()),
                        Time => r.get::<_, Option<Timestamp>>(i).map(time::to_db),
                    })
                    .collect()
            })
            .collect();
        rows.sort();
        tables.insert(table.name, rows);
    }
    tables
}

/// The two books, each with one client and one connection the same snapshots are written to.
struct TwoBooks {
    _folder: tempfile::TempDir,
    store: Store,
    solo_connection: i64,
    firm: TestFirm,
    firm_connection: i64,
}

impl TwoBooks {
    fn new() -> TwoBooks {
        let folder = tempfile::tempdir().unwrap();
        let store = Store::open(&folder.path().join("book.sqlite")).unwrap();
        let keychain = KeyringStore::new(format!(
            "advisor-desk-test-snapshots-{}",
            std::process::id()
        ));
        let client = clients::add(
            &store,
            &NewClient {
                name: "Ana Both".into(),
                ..Default::default()
            },
            "test",
        )
        .unwrap();
        let new = NewConnection {
            client_id: client.id,
            provider: Provider::Flanks,
            flow: "flanks_link".into(),
            institution_id: None,
            institution_name: None,
        };
        let token = Secret::new("solo-book-token-for-the-comparison");
        let solo = sync::connections::add(&store, &new, &token, &keychain, "test").unwrap();
        let firm = TestFirm::migrated();
        firm.owner()
            .batch_execute(
                "INSERT INTO clients (id, kind, name, created_at, updated_at)
                     VALUES (7, 'person', 'Ana Both', now(), now());
                 INSERT INTO connections (id, client_id, provider, flow, token_hash,
                     created_at, updated_at)
                     VALUES (9, 7, 'flanks', 'flanks_link', 'hash-9', now(), now());",
            )
            .unwrap();
        TwoBooks {
            _folder: folder,
            store,
            solo_connection: solo.id,
            firm,
            firm_connection: 9,
        }
    }

    /// Writes `snap` into both books with the same clock, and the connection's success as the
    /// refresh records it; returns each engine's counts.
    fn write(&self, snap: &Snapshot, now: Timestamp) -> (WriteStats, WriteStats) {
        let solo = self
            .store
            .write(|tx| {
                let stats = write_snapshot(tx, self.solo_connection, snap, now)?;
                tx.record_success(self.solo_connection, now, snap.data_as_of, None)?;
                Ok(stats)
            })
            .unwrap();
        let mut client = self.firm.owner();
        let mut tx = client.transaction().unwrap();
        let firm = {
            let rows = PgSnapshotRows::new(&mut tx);
            let stats = write_snapshot(&rows, self.firm_connection, snap, now).unwrap();
            rows.record_success(self.firm_connection, now, snap.data_as_of, None)
                .unwrap();
            stats
        };
        tx.commit().unwrap();
        (solo, firm)
    }

    /// Both books' rows, compared table by table; returns them.
    fn assert_same_rows(&self, step: &str) -> BTreeMap<&'static str, Rows> {
        let solo = sqlite_tables(&self.store, self.solo_connection);
        let firm = postgres_tables(&mut self.firm.owner(), self.firm_connection);
        for table in TABLES {
            assert_eq!(
                solo[table.name], firm[table.name],
                "{step}: {} differ between SQLite and PostgreSQL",
                table.name
            );
        }
        solo
    }
}

/// A Flanks login's snapshot from the sandbox, with accounts, holdings and transactions.
fn sandbox_snapshot() -> Snapshot {
    let (runtime, sandbox) = start_sandbox(6);
    let book = runtime.block_on(sandbox.control().book()).unwrap();
    let gateways = sandbox_gateways(&sandbox.base_url());
    let flanks = gateways
        .iter()
        .find(|g| g.provider() == Provider::Flanks)
        .unwrap()
        .clone();
    let quiet = |_| {};
    let snapshot = book
        .iter()
        .filter(|entry| entry.provider == "flanks")
        .map(|entry| {
            let token = Secret::new(entry.token.clone());
            runtime
                .block_on(fetch_snapshot(
                    flanks.as_ref(),
                    &token,
                    quick_polling(),
                    &quiet,
                ))
                .unwrap()
        })
        .find(|s| !s.accounts.is_empty() && !s.holdings.is_empty() && !s.transactions.is_empty())
        .expect("a sandbox login with accounts, holdings and transactions");
    runtime.block_on(sandbox.shutdown());
    snapshot
}

fn count(tables: &BTreeMap<&'static str, Rows>, table: &str, presence: Option<&str>) -> usize {
    tables[table]
        .iter()
        .filter(|row| presence.is_none_or(|p| row.contains(&Some(p.to_string()))))
        .count()
}

#[test]
fn the_same_snapshots_give_the_same_rows_in_sqlite_and_postgresql() {
    let snap = sandbox_snapshot();
    let books = TwoBooks::new();
    let t0 = time::now();

    // The first answer: every row inserted, the same in both.
    let (solo, firm) = books.write(&snap, t0);
    assert_eq!(solo, firm, "the same counts from both engines");
    assert!(solo.inserted > 0 && solo.updated == 0, "{solo:?}");
    let first = books.assert_same_rows("first answer");
    assert_eq!(count(&first, "accounts", None), snap.accounts.len());
    assert_eq!(count(&first, "transactions", None), snap.transactions.len());

    // The same answer again: nothing written.
    let (solo, firm) = books.write(&snap, t0 + chrono::Duration::minutes(5));
    assert_eq!(solo, firm);
    assert_eq!(
        solo.written(),
        0,
        "a second write of the same snapshot: {solo:?}"
    );
    assert_eq!(
        books.assert_same_rows("the same answer")["transactions"],
        first["transactions"],
        "unchanged rows untouched (not even their last-seen time)"
    );

    // Reissued provider ids: the rows are updated in place, not duplicated.
    let mut reissued = snap.clone();
    for t in &mut reissued.transactions {
        t.provider_id = format!("{}-reissued", t.provider_id);
    }
    // A holding is known by its ISIN when it has one (else its id is its identity).
    let mut reissued_holdings = 0;
    for h in reissued.holdings.iter_mut().filter(|h| h.isin.is_some()) {
        h.provider_id = format!("{}-reissued", h.provider_id);
        reissued_holdings += 1;
    }
    let (solo, firm) = books.write(&reissued, t0 + chrono::Duration::minutes(10));
    assert_eq!(solo, firm);
    assert_eq!(solo.inserted, 0, "reissued ids are not new rows: {solo:?}");
    assert!(solo.updated >= (snap.transactions.len() + reissued_holdings) as u64);
    let after = books.assert_same_rows("reissued ids");
    assert_eq!(count(&after, "transactions", None), snap.transactions.len());
    assert_eq!(count(&after, "holdings", None), snap.holdings.len());

    // A transaction and a holding no longer returned: the one kept as missing, the other gone.
    let mut fewer = reissued.clone();
    let newest = fewer
        .transactions
        .iter()
        .enumerate()
        .max_by_key(|(_, t)| t.booking_date)
        .map(|(i, _)| i)
        .unwrap();
    fewer.transactions.remove(newest);
    fewer.holdings.pop();
    let (solo, firm) = books.write(&fewer, t0 + chrono::Duration::minutes(15));
    assert_eq!(solo, firm);
    assert!(solo.retired >= 2, "{solo:?}");
    let after = books.assert_same_rows("vanished rows");
    assert_eq!(count(&after, "transactions", Some("missing")), 1);
    assert_eq!(count(&after, "holdings", None), snap.holdings.len() - 1);

    // Holdings not fetched this time: left as they are.
    let mut partial = fewer.clone();
    partial.holdings.clear();
    partial.parts.holdings = false;
    let (solo, firm) = books.write(&partial, t0 + chrono::Duration::minutes(20));
    assert_eq!(solo, firm);
    let last = books.assert_same_rows("holdings not fetched");
    assert_eq!(last["holdings"], after["holdings"]);
    assert_eq!(
        last["connections"][0][0].as_deref(),
        Some("ready"),
        "the after-sync record"
    );
}

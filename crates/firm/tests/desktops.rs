//! Two and three desktops of one firm as separate OS processes (this test binary run again as
//! `desktop_process`), each with its own data folder and its own database role, on one real
//! PostgreSQL firm database: a client Alice shares with Bob is seen by both, her private client
//! by neither Bob nor Carol (0 rows), and Alice's changes (a new client she shares, the shared
//! client's connection repaired) reach Bob's listener within seconds, while Carol — and Bob, for
//! Alice's private client — get no event naming them.

mod common;

use std::collections::BTreeSet;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use advisor_desk_firm::live::{Listener, ListenerConfig, LiveEvent};
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::test_firm::{TestFirm, TestMember};
use advisor_desk_firm::{FirmDbConfig, FirmStore};
use postgres::Client;

/// The issue asks for "within seconds".
const WITHIN: Duration = Duration::from_secs(5);
/// How long a step may take before the test calls it stuck.
const PATIENCE: Duration = Duration::from_secs(60);

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

fn append(path: &Path, line: &str) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(file, "{line}").unwrap();
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set"))
}

/// One desktop: runs when a test starts this binary with the `FIRMDESK_*` variables, does
/// nothing otherwise (it is only an entry point, hence ignored in ordinary runs).
#[test]
#[ignore = "a desktop process of the desktops tests, started by them"]
fn desktop_process() {
    let Ok(mode) = std::env::var("FIRMDESK_MODE") else {
        return;
    };
    let folder = PathBuf::from(var("FIRMDESK_FOLDER"));
    // In the app the password comes from this desktop's keychain.
    let database =
        || FirmDbConfig::new(var("FIRMDESK_URL")).with_password(var("FIRMDESK_PASSWORD"));
    match mode.as_str() {
        "watch" => watch(database(), database(), &folder),
        "act" => act(&database(), &folder),
        other => panic!("unknown desktop mode {other}"),
    }
}

/// A desktop showing the book: writes the clients it sees (`clients`), then every live event
/// (`events`: time, table, id, op, and whether re-reading the row through its role finds it)
/// until its `stop` file appears.
fn watch(store_config: FirmDbConfig, listener_config: FirmDbConfig, folder: &Path) {
    let store = FirmStore::connect(&store_config).unwrap();
    let seen: Vec<String> = store
        .read(|client| {
            Ok(client
                .query("select id from clients order by id", &[])?
                .iter()
                .map(|row| row.get::<_, i64>(0).to_string())
                .collect())
        })
        .unwrap();
    fs::write(folder.join("clients"), seen.join("\n")).unwrap();

    let events = folder.join("events");
    let ready = folder.join("ready");
    let config = ListenerConfig {
        tick: Duration::from_millis(50),
        ..ListenerConfig::default()
    };
    let _listener = Listener::for_firm(config, listener_config, move |event| match event {
        LiveEvent::Listening => fs::write(&ready, "").unwrap(),
        LiveEvent::Change(change) => {
            let at = now_ms();
            // What the desktop does with a change: re-read the row through its own role.
            let visible = store.read(|client| Ok(visible(client, &change.table, &change.id)));
            let visible = visible.unwrap();
            append(
                &events,
                &format!(
                    "{at} {} {} {:?} {visible}",
                    change.table, change.id, change.operation
                ),
            );
        }
        other => append(&events, &format!("{} {other:?}", now_ms())),
    })
    .unwrap();

    let started = Instant::now();
    while !folder.join("stop").exists() && started.elapsed() < PATIENCE {
        thread::sleep(Duration::from_millis(50));
    }
}

/// Whether the row a change names is readable by this role: the client for a client or an
/// assignment of it, else the row of the table itself.
fn visible(client: &mut Client, table: &str, id: &str) -> bool {
    let sql = match table {
        "clients" | "client_assignments" => "select count(*) from clients where id = $1",
        "connections" => "select count(*) from connections where id = $1",
        "refresh_rounds" => "select count(*) from refresh_rounds where id = $1",
        _ => return false,
    };
    let Ok(id) = id.parse::<i64>() else {
        return false;
    };
    common::count(client, sql, &[&id]) == 1
}

/// Alice's desktop at work: a new client shared with Bob (one transaction), the shared client's
/// connection repaired, her private client's connection repaired; each commit's time in
/// `actions` (name, id, time).
fn act(config: &FirmDbConfig, folder: &Path) {
    let store = FirmStore::connect(config).unwrap();
    let shared_with = var("FIRMDESK_SHARE_WITH");
    let actions = folder.join("actions");
    let new_client: i64 = store
        .write(|tx| {
            let id: i64 = tx
                .query_one(
                    "insert into clients (kind, name, created_at, updated_at)
                     values ('person', 'Nueva Clienta', now(), now()) returning id",
                    &[],
                )?
                .get(0);
            tx.execute(
                "insert into client_assignments (client_id, advisor_role, kind)
                 values ($1, $2, 'shared')",
                &[&id, &shared_with],
            )?;
            Ok(id)
        })
        .unwrap();
    append(&actions, &format!("new_client {new_client} {}", now_ms()));
    for (name, connection) in [
        ("repaired_shared", var("FIRMDESK_SHARED_CONNECTION")),
        ("repaired_private", var("FIRMDESK_PRIVATE_CONNECTION")),
    ] {
        let connection: i64 = connection.parse().unwrap();
        let repaired = store
            .write(|tx| {
                Ok(tx.execute(
                    "update connections set status = 'ok', updated_at = now() where id = $1",
                    &[&connection],
                )?)
            })
            .unwrap();
        assert_eq!(repaired, 1, "Alice repairs her own connection {connection}");
        append(&actions, &format!("{name} {connection} {}", now_ms()));
    }
}

/// The book every test starts from, written as each advisor through their own role.
struct Book {
    firm: TestFirm,
    alice: TestMember,
    bob: TestMember,
    carol: TestMember,
    shared_client: i64,
    shared_connection: i64,
    private_client: i64,
    private_connection: i64,
    carols_client: i64,
    folders: tempfile::TempDir,
}

fn insert_client(client: &mut Client, name: &str) -> i64 {
    client
        .query_one(
            "insert into clients (kind, name, created_at, updated_at)
             values ('person', $1, now(), now()) returning id",
            &[&name],
        )
        .unwrap()
        .get(0)
}

fn insert_broken_connection(client: &mut Client, of: i64, hash: &str) -> i64 {
    client
        .query_one(
            "insert into connections (client_id, provider, flow, token_hash, status, created_at, updated_at)
             values ($1, 'flanks', 'flanks_link', $2, 'broken', now(), now()) returning id",
            &[&of, &hash],
        )
        .unwrap()
        .get(0)
}

impl Book {
    fn new() -> Book {
        let firm = TestFirm::migrated();
        let alice = firm.add_member("alice", MemberKind::Advisor);
        let bob = firm.add_member("bob", MemberKind::Advisor);
        let carol = firm.add_member("carol", MemberKind::Advisor);
        let mut as_alice = firm.connect_as(&alice);
        let shared_client = insert_client(&mut as_alice, "Shared Client");
        as_alice
            .execute(
                "insert into client_assignments (client_id, advisor_role, kind) values ($1, $2, 'shared')",
                &[&shared_client, &bob.role],
            )
            .unwrap();
        let shared_connection = insert_broken_connection(&mut as_alice, shared_client, "hash-s");
        let private_client = insert_client(&mut as_alice, "Private Client");
        let private_connection = insert_broken_connection(&mut as_alice, private_client, "hash-p");
        let carols_client = insert_client(&mut firm.connect_as(&carol), "Carol's Client");
        Book {
            firm,
            alice,
            bob,
            carol,
            shared_client,
            shared_connection,
            private_client,
            private_connection,
            carols_client,
            folders: tempfile::tempdir().unwrap(),
        }
    }

    /// This member's desktop's own data folder.
    fn folder(&self, member: &TestMember) -> PathBuf {
        let folder = self.folders.path().join(&member.role);
        fs::create_dir_all(&folder).unwrap();
        folder
    }

    fn spawn(&self, mode: &str, member: &TestMember) -> Child {
        Command::new(std::env::current_exe().unwrap())
            .args(["desktop_process", "--exact", "--ignored", "--nocapture"])
            .env("FIRMDESK_MODE", mode)
            .env("FIRMDESK_FOLDER", self.folder(member))
            // The address without the password, which travels apart (the keychain's, in the app).
            .env(
                "FIRMDESK_URL",
                format!(
                    "host=127.0.0.1 port={} dbname={} user={} sslmode=disable",
                    self.firm.database.port, self.firm.database.name, member.role
                ),
            )
            .env("FIRMDESK_PASSWORD", &member.password)
            .env("FIRMDESK_SHARE_WITH", &self.bob.role)
            .env(
                "FIRMDESK_SHARED_CONNECTION",
                self.shared_connection.to_string(),
            )
            .env(
                "FIRMDESK_PRIVATE_CONNECTION",
                self.private_connection.to_string(),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn wait_for(&self, what: &str, done: impl Fn() -> bool) {
        let started = Instant::now();
        while !done() {
            assert!(started.elapsed() < PATIENCE, "waited too long for {what}");
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn lines(&self, member: &TestMember, file: &str) -> Vec<String> {
        fs::read_to_string(self.folder(member).join(file))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn clients_seen(&self, member: &TestMember) -> BTreeSet<i64> {
        self.lines(member, "clients")
            .iter()
            .map(|id| id.parse().unwrap())
            .collect()
    }

    /// The changes a desktop was told of: (time ms, table, id, op, visible on re-reading).
    fn changes(&self, member: &TestMember) -> Vec<(u128, String, i64, String, bool)> {
        self.lines(member, "events")
            .iter()
            .filter_map(|line| {
                let parts: Vec<&str> = line.split(' ').collect();
                let [at, table, id, op, visible] = parts[..] else {
                    return None; // Listening, Disconnected, ResyncNeeded
                };
                Some((
                    at.parse().ok()?,
                    table.to_string(),
                    id.parse().ok()?,
                    op.to_string(),
                    visible.parse().ok()?,
                ))
            })
            .collect()
    }

    /// Alice's actions: (name, id, time ms of the commit).
    fn actions(&self) -> Vec<(String, i64, u128)> {
        self.lines(&self.alice, "actions")
            .iter()
            .map(|line| {
                let parts: Vec<&str> = line.split(' ').collect();
                (
                    parts[0].to_string(),
                    parts[1].parse().unwrap(),
                    parts[2].parse().unwrap(),
                )
            })
            .collect()
    }
}

fn finish(name: &str, child: Child) {
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "desktop {name} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Starts the watching desktops, lets Alice's desktop act, closes with a firm-wide change every
/// watcher must see (so each was listening throughout), and stops them.
fn run(book: &Book, watchers: &[&TestMember]) {
    let children: Vec<Child> = watchers.iter().map(|m| book.spawn("watch", m)).collect();
    for member in watchers {
        let ready = book.folder(member).join("ready");
        book.wait_for("a desktop listening", || ready.exists());
    }
    finish("alice", book.spawn("act", &book.alice));

    let round: i64 = book
        .firm
        .owner()
        .query_one(
            "insert into refresh_rounds (started_by) values ('owner') returning id",
            &[],
        )
        .unwrap()
        .get(0);
    for member in watchers {
        book.wait_for("the firm-wide change", || {
            book.changes(member)
                .iter()
                .any(|(_, table, id, _, _)| table == "refresh_rounds" && *id == round)
        });
        fs::write(book.folder(member).join("stop"), "").unwrap();
    }
    for (member, child) in watchers.iter().zip(children) {
        finish(&member.role, child);
    }
}

/// Bob sees the shared client and not Alice's private one, and each of Alice's changes to what
/// they share reaches him within [`WITHIN`]; nothing names her private client's connection.
fn assert_bob_followed_alice(book: &Book) {
    let bob_sees = book.clients_seen(&book.bob);
    assert!(bob_sees.contains(&book.shared_client), "{bob_sees:?}");
    assert!(!bob_sees.contains(&book.private_client), "{bob_sees:?}");
    assert_eq!(
        common::count(
            &mut book.firm.connect_as(&book.bob),
            "select count(*) from clients where id = $1",
            &[&book.private_client]
        ),
        0
    );

    let changes = book.changes(&book.bob);
    for (action, id, committed) in book.actions() {
        let expected = match action.as_str() {
            "new_client" => ("client_assignments", "Insert"),
            "repaired_shared" => ("connections", "Update"),
            _ => {
                assert!(
                    !changes
                        .iter()
                        .any(|(_, table, seen, _, _)| table == "connections" && *seen == id),
                    "Bob was told of Alice's private connection {id}: {changes:?}"
                );
                continue;
            }
        };
        let (at, _, _, _, visible) = changes
            .iter()
            .find(|(_, table, seen, op, _)| {
                (table.as_str(), op.as_str()) == expected && *seen == id
            })
            .unwrap_or_else(|| panic!("Bob never heard of {action} {id}: {changes:?}"));
        assert!(visible, "{action}: Bob re-reads {id} through his role");
        let waited = Duration::from_millis(at.saturating_sub(committed) as u64);
        eprintln!("{action}: reached Bob's desktop {waited:?} after Alice's commit");
        assert!(waited < WITHIN, "{action}: seen after {waited:?}");
    }
}

#[test]
fn two_desktops_share_a_client_and_see_each_others_changes_live() {
    let book = Book::new();
    run(&book, &[&book.bob]);
    assert_bob_followed_alice(&book);
}

#[test]
fn a_third_desktop_not_sharing_sees_none_of_it() {
    let book = Book::new();
    run(&book, &[&book.bob, &book.carol]);
    assert_bob_followed_alice(&book);

    let carol_sees = book.clients_seen(&book.carol);
    assert_eq!(carol_sees, BTreeSet::from([book.carols_client]));
    let mut carol = book.firm.connect_as(&book.carol);
    for id in [book.shared_client, book.private_client] {
        assert_eq!(
            common::count(
                &mut carol,
                "select count(*) from clients where id = $1",
                &[&id]
            ),
            0
        );
    }
    let named: Vec<_> = book
        .changes(&book.carol)
        .into_iter()
        .filter(|(_, table, _, _, _)| table != "refresh_rounds")
        .collect();
    assert!(named.is_empty(), "Carol was told of {named:?}");
}

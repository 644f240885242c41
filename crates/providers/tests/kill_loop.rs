//! Kill -9 at random moments, 200 times: during link exchanges, during syncs and during
//! backups. A child process (this test binary, re-executed) works against the sandbox over
//! real HTTP and a real SQLite file, and prints one `COMMIT …` line after each commit
//! returns. The parent kills it with SIGKILL after a random delay, then restarts the way the
//! app does (`Store::open` with its check, `resume_and_reconcile`), runs the full
//! `integrity_check` and the foreign-key check, and checks that everything ever reported as
//! committed is still there, and that every link whose callback arrived is completed — by
//! the restart, or by the same callback arriving again — never lost. Every file under a
//! backup's name must pass the full check too, and the newest reported backup (or a newer
//! one) must be there.
//!
//! Parent and children share the "keychain" through the JSON file store of `link_support`
//! (each change written and renamed, like a keychain entry: whole or absent).
//!
//! `KILL_LOOP_SEED` replays a run (the seed is printed); `KILL_LOOP_KILLS` sets the kills per
//! kind (default 70 link, 55 sync and 75 backup: 200 in all).

mod link_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use advisor_desk_core::links::{CallbackSource, LinkFlow, LinkOutcome, LinkService};
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::store::integrity::full_check;
use advisor_desk_core::store::verified_copy::row_counts;
use advisor_desk_core::store::{backup_dir, backup_files, BackupKind};
use advisor_desk_core::sync::connections::{self, token_hash};
use advisor_desk_core::sync::{CancelToken, SyncProgress, SyncStep};
use advisor_desk_core::Store;
use advisor_desk_sandbox::{Sandbox, SandboxControl};
use chrono::{DateTime, SubsecRound, Utc};
use link_support::*;
use rusqlite::{Connection, OpenFlags};

const ENV_KIND: &str = "KILL_LOOP_KIND";
const ENV_DIR: &str = "KILL_LOOP_DIR";
const ENV_BASE: &str = "KILL_LOOP_BASE";
const DEFAULT_SEED: u64 = 0x5eed_0017;

/// The three kinds of work killed, with the longest random delay before each kill (chosen
/// from one iteration's length, so the kills land all along it).
const KINDS: [(Kind, u64); 3] = [(Kind::Link, 900), (Kind::Sync, 1_100), (Kind::Backup, 250)];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Link,
    Sync,
    Backup,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Link => "link",
            Kind::Sync => "sync",
            Kind::Backup => "backup",
        }
    }

    fn named(name: &str) -> Kind {
        KINDS
            .iter()
            .map(|(k, _)| *k)
            .find(|k| k.name() == name)
            .unwrap()
    }
}

fn database(dir: &Path) -> PathBuf {
    dir.join("desk.sqlite3")
}

fn open(dir: &Path, base: &str) -> (Arc<Store>, Arc<FileSecretStore>, LinkService) {
    let store = Arc::new(Store::open(&database(dir)).expect("the database opens after a kill"));
    let secrets = Arc::new(FileSecretStore::new(&dir.join("keychain.json")));
    let service = service(base, store.clone(), secrets.clone());
    (store, secrets, service)
}

// ---------------------------------------------------------------------------------------
// The child: works until it is killed, one line on stdout per commit.

/// A line is only a report once it is whole: the parent ignores a line cut by the kill.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of the kill loop"]
async fn kill_loop_child() {
    let Ok(kind) = std::env::var(ENV_KIND) else {
        return;
    };
    let dir = PathBuf::from(std::env::var(ENV_DIR).unwrap());
    let base = std::env::var(ENV_BASE).unwrap();
    let (store, secrets, service) = open(&dir, &base);
    say("READY");
    match Kind::named(&kind) {
        Kind::Link => link_child(&store, &base, &service).await,
        Kind::Sync => sync_child(&dir, &base, store, secrets).await,
        Kind::Backup => backup_child(&store),
    }
}

/// Clients connected one after another, the three flows in turn: each client, each callback
/// URL and each completed link reported.
async fn link_child(store: &Store, base: &str, service: &LinkService) {
    let web = Web::new(base);
    let me = std::process::id();
    for i in 0.. {
        let client = add_client(store, &format!("Killed {me}-{i}"));
        say(&format!("COMMIT client {client}"));
        let flow = FLOWS[(me as usize + i) % FLOWS.len()];
        let (session, url) = walk_link(service, &web, client, flow, &format!("k{me}n{i}")).await;
        say(&format!("CALLBACK {session} {client} {url}"));
        let connection = deliver(service, session, &url).await;
        say(&format!("COMMIT link {session} {client} {connection}"));
    }
}

const FLOWS: [LinkFlow; 3] = [
    LinkFlow::FlanksLink,
    LinkFlow::FlanksConnectV2,
    LinkFlow::FlinksConnect,
];

/// Starts a link for `client` and walks the provider's pages as the client would (`user` makes
/// the login unique); returns the session and the callback URL the pages end on.
async fn walk_link(
    service: &LinkService,
    web: &Web,
    client: i64,
    flow: LinkFlow,
    user: &str,
) -> (i64, String) {
    let start = service.start_connect(client, flow).await.unwrap();
    let url = match flow {
        LinkFlow::FlinksConnect => {
            web.flinks_connect(&start.url, &format!("sbx_client_{user}"))
                .await
        }
        LinkFlow::FlanksConnectV2 => {
            let (_, body, to) = web.connect_v2(&start.url, user, "SCA_SMS").await;
            to.unwrap_or_else(|| panic!("no callback: {body}"))
        }
        _ => {
            let (_, body, to) = web
                .flanks_link(&start.url, user, "SCA_SMS", Some("1"))
                .await;
            to.unwrap_or_else(|| panic!("no callback: {body}"))
        }
    };
    (start.session_id, url)
}

/// Hands the callback to the service as the link window would; returns the new connection.
async fn deliver(service: &LinkService, session: i64, url: &str) -> i64 {
    let outcome = service
        .handle_callback(
            url.as_bytes(),
            Some(session),
            CallbackSource::EmbeddedWindow,
        )
        .await
        .unwrap();
    match outcome {
        LinkOutcome::Connected { connection_id, .. } => connection_id,
        other => panic!("link {session}: {other:?}"),
    }
}

/// Rounds of syncing every connection, the sandbox a day further each round (new movements):
/// after each connection's sync, its run and its transaction count read back and reported.
async fn sync_child(dir: &Path, base: &str, store: Arc<Store>, secrets: Arc<FileSecretStore>) {
    let control = SandboxControl::new(base);
    let engine = engine(base, store.clone(), secrets);
    let reader = Arc::new(Mutex::new(read_only(&database(dir))));
    let ids: Vec<i64> = connections::list(&store, None)
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    loop {
        control.advance_clock(86_400).await.unwrap();
        control.refresh().await.unwrap();
        let reader = reader.clone();
        let progress = Arc::new(move |p: SyncProgress| {
            if let SyncStep::Finished { ok, .. } = p.step {
                if !ok {
                    say(&format!("FAILED sync {}", p.connection_id));
                    return;
                }
                let conn = reader.lock().unwrap();
                let (run, rows) = synced(&conn, p.connection_id);
                say(&format!("COMMIT sync {} {run} {rows}", p.connection_id));
            }
        });
        engine
            .sync_many(ids.clone(), progress, CancelToken::new())
            .await;
    }
}

/// The newest sync run of a connection and its transactions, as committed.
fn synced(conn: &Connection, connection_id: i64) -> (i64, i64) {
    conn.query_row(
        "SELECT (SELECT max(id) FROM sync_runs WHERE connection_id = ?1),
                (SELECT count(*) FROM transactions WHERE connection_id = ?1)",
        [connection_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

/// A client added, then a backup taken, again and again.
fn backup_child(store: &Store) {
    let me = std::process::id();
    for i in 0.. {
        let client = add_client(store, &format!("Backed up {me}-{i}"));
        say(&format!("COMMIT client {client}"));
        let taken = store.take_backup(BackupKind::OnDemand).unwrap().unwrap();
        say(&format!(
            "COMMIT backup {} {}",
            taken.file.taken_at.to_rfc3339(),
            taken.rows["clients"]
        ));
    }
}

fn read_only(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

// ---------------------------------------------------------------------------------------
// The parent.

/// Everything the children reported, and what the checks found.
#[derive(Default)]
struct Ledger {
    clients: BTreeSet<i64>,
    /// session → (client, connection)
    links: BTreeMap<i64, (i64, i64)>,
    /// session → (client, callback URL), until the link is seen completed.
    callbacks: BTreeMap<i64, (i64, String)>,
    /// connection → (newest run, transactions)
    syncs: BTreeMap<i64, (i64, i64)>,
    /// The newest backup reported: when, and its clients.
    backup: Option<(DateTime<Utc>, i64)>,
    figures: BTreeMap<Kind, Figures>,
}

#[derive(Default)]
struct Figures {
    kills: u32,
    commits: u32,
    failed_syncs: u32,
    resumed: usize,
    redelivered: u32,
    integrity_ok: u32,
    longest_delay_ms: u64,
    elapsed: Duration,
    checking: Duration,
}

impl Ledger {
    fn take(&mut self, kind: Kind, line: &str) {
        let words: Vec<&str> = line.split(' ').collect();
        let n = |i: usize| words[i].parse::<i64>().unwrap();
        let figures = self.figures.entry(kind).or_default();
        match words.as_slice() {
            ["COMMIT", "client", _] => {
                self.clients.insert(n(2));
            }
            ["CALLBACK", _, _, url] => {
                self.callbacks.insert(n(1), (n(2), url.to_string()));
            }
            ["COMMIT", "link", ..] => {
                self.links.insert(n(2), (n(3), n(4)));
            }
            ["COMMIT", "sync", ..] => {
                let e = self.syncs.entry(n(2)).or_default();
                *e = (e.0.max(n(3)), e.1.max(n(4)));
            }
            ["COMMIT", "backup", at, clients] => {
                let at = DateTime::parse_from_rfc3339(at).unwrap().to_utc();
                self.backup = Some((at, clients.parse().unwrap()));
            }
            ["FAILED", "sync", _] => figures.failed_syncs += 1,
            _ => return,
        }
        if line.starts_with("COMMIT") {
            figures.commits += 1;
        }
    }
}

/// Starts a child of `kind`, kills it `delay` after it is ready, and returns its whole lines.
fn run_and_kill(dir: &Path, base: &str, kind: Kind, delay: Duration) -> Vec<String> {
    let stderr = std::fs::File::create(dir.join("child.stderr")).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill_loop_child",
            "--include-ignored",
            "--nocapture",
        ])
        .env(ENV_KIND, kind.name())
        .env(ENV_DIR, dir)
        .env(ENV_BASE, base)
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = mpsc::channel();
    let reading = std::thread::spawn(move || {
        let mut line = String::new();
        // Only whole lines: the last one may have been cut by the kill.
        while out.read_line(&mut line).unwrap_or(0) > 0 && line.ends_with('\n') {
            let _ = tx.send(line.trim_end().to_string());
            line.clear();
        }
    });
    let mut lines = Vec::new();
    let ready = Instant::now() + Duration::from_secs(60);
    while !lines.iter().any(|l| l == "READY") {
        match rx.recv_timeout(ready.saturating_duration_since(Instant::now())) {
            Ok(l) => lines.push(l),
            Err(_) => break,
        }
    }
    std::thread::sleep(delay);
    child.kill().unwrap();
    let status = child.wait().unwrap();
    reading.join().unwrap();
    lines.extend(rx.try_iter());
    assert_eq!(
        status.signal(),
        Some(9),
        "the {kind:?} child ended by itself ({status}): {}",
        std::fs::read_to_string(dir.join("child.stderr")).unwrap_or_default()
    );
    lines
}

/// The restart after a kill, and every check.
async fn restart_and_check(dir: &Path, base: &str, kind: Kind, ledger: &mut Ledger) {
    let (store, secrets, service) = open(dir, base);
    let report = service.resume_and_reconcile().await.unwrap();
    assert!(report.errors.is_empty(), "{kind:?}: {report:?}");
    let problems = full_check(&database(dir)).unwrap();
    assert!(
        problems.is_empty(),
        "{kind:?}: integrity_check: {problems:?}"
    );
    let orphans: i64 = read_only(&database(dir))
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(orphans, 0, "{kind:?}: rows whose parent is gone");
    let figures = ledger.figures.entry(kind).or_default();
    figures.integrity_ok += 1;
    figures.resumed += report.resumed.len() + report.recovered_connections.len();

    // A link whose callback arrived is done, or finished by that callback arriving again
    // (the code was kept, the claim had not happened).
    let db = read_only(&database(dir));
    for (session, (client, url)) in std::mem::take(&mut ledger.callbacks) {
        let (open, step) = session_state(&db, session);
        if open {
            assert_eq!(step, None, "session {session} claimed but not resumed");
            deliver(&service, session, &url).await;
            ledger.figures.get_mut(&kind).unwrap().redelivered += 1;
        }
        let conns = connections::list(&store, Some(client)).unwrap();
        assert_eq!(
            conns.len(),
            1,
            "session {session}: client {client}'s connection"
        );
        // From now on checked like a link the child saw completed.
        ledger.links.entry(session).or_insert((client, conns[0].id));
    }
    // No session is left half-way through its exchange.
    let stuck: i64 = db
        .query_row(
            "SELECT count(*) FROM link_sessions WHERE completed_at IS NULL AND exchange_step IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stuck, 0, "sessions left in the middle of an exchange");

    for client in &ledger.clients {
        advisor_desk_core::clients::get(&store, *client)
            .unwrap_or_else(|e| panic!("committed client {client} lost: {e}"));
    }
    for (session, (client, connection)) in &ledger.links {
        let conns = connections::list(&store, Some(*client)).unwrap();
        assert!(
            conns.iter().any(|c| c.id == *connection),
            "session {session}: connection {connection} of client {client} lost"
        );
    }
    // Every connection's token is in the keychain, under the hash its row records.
    for c in connections::list(&store, None).unwrap() {
        let token = secrets
            .get(&c.secret_key().unwrap())
            .unwrap()
            .unwrap_or_else(|| panic!("connection {}: token missing", c.id));
        assert_eq!(
            connections::stored_token_hash(&store, c.id).unwrap(),
            token_hash(&token)
        );
    }
    for (connection, (run, rows)) in &ledger.syncs {
        let (newest, now) = synced(&db, *connection);
        assert!(
            newest >= *run,
            "connection {connection}: sync run {run} lost"
        );
        assert!(
            now >= *rows,
            "connection {connection}: {rows} transactions, now {now}"
        );
    }
    check_backups(&database(dir), ledger.backup);
}

fn session_state(db: &Connection, session: i64) -> (bool, Option<String>) {
    db.query_row(
        "SELECT completed_at IS NULL, exchange_step FROM link_sessions WHERE id = ?1",
        [session],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

/// Every file under a backup's name is whole and sound; the newest reported backup is there,
/// or a newer one that replaced it.
fn check_backups(db: &Path, reported: Option<(DateTime<Utc>, i64)>) {
    let files = backup_files(db).unwrap();
    for f in &files {
        let problems = full_check(&f.path).unwrap();
        assert!(problems.is_empty(), "{}: {problems:?}", f.path.display());
    }
    if let Some((at, clients)) = reported {
        // A backup's name keeps its time to the millisecond.
        let at = at.trunc_subsecs(3);
        let newest = files
            .iter()
            .filter(|f| f.kind == BackupKind::OnDemand && f.taken_at >= at)
            .max_by_key(|f| f.taken_at)
            .unwrap_or_else(|| panic!("the backup of {at} is gone and none replaced it"));
        let rows = row_counts(&read_only(&newest.path)).unwrap();
        assert!(rows["clients"] >= clients, "{}", newest.path.display());
    }
}

fn open_sessions(db: &Path) -> i64 {
    read_only(db)
        .query_row(
            "SELECT count(*) FROM link_sessions WHERE completed_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

fn partial_copies(db: &Path) -> usize {
    std::fs::read_dir(backup_dir(db))
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "partial"))
            })
            .count()
        })
        .unwrap_or(0)
}

fn kills_per_kind() -> [u32; 3] {
    match std::env::var("KILL_LOOP_KILLS") {
        Ok(n) => [n.parse().unwrap(); 3],
        Err(_) => [70, 55, 75],
    }
}

/// Connections the sync and backup children work on: two of each flow, linked without a
/// kill.
const BOOK_CONNECTIONS: usize = 6;

/// One data folder, the work killed in it, and everything reported there.
struct Folder {
    dir: tempfile::TempDir,
    ledger: Ledger,
}

impl Folder {
    fn new(base: &str) -> Folder {
        let dir = tempfile::tempdir().unwrap();
        drop(open(dir.path(), base));
        Folder {
            dir,
            ledger: Ledger::default(),
        }
    }

    /// `kills` children of `kind`, each killed at a random moment and checked after.
    async fn kill_loop(&mut self, base: &str, kind: Kind, kills: u32, rng: &mut fastrand::Rng) {
        let longest = KINDS.iter().find(|(k, _)| *k == kind).unwrap().1;
        let phase = Instant::now();
        for _ in 0..kills {
            let delay = rng.u64(0..=longest);
            let (d, b) = (self.dir.path().to_path_buf(), base.to_string());
            let lines = tokio::task::spawn_blocking(move || {
                run_and_kill(&d, &b, kind, Duration::from_millis(delay))
            })
            .await
            .unwrap();
            for line in &lines {
                self.ledger.take(kind, line);
            }
            let figures = self.ledger.figures.entry(kind).or_default();
            figures.kills += 1;
            figures.longest_delay_ms = figures.longest_delay_ms.max(delay);
            let checking = Instant::now();
            restart_and_check(self.dir.path(), base, kind, &mut self.ledger).await;
            self.ledger.figures.get_mut(&kind).unwrap().checking += checking.elapsed();
        }
        self.ledger.figures.entry(kind).or_default().elapsed = phase.elapsed();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_nothing_committed() {
    let seed = std::env::var("KILL_LOOP_SEED")
        .map(|s| s.parse().unwrap())
        .unwrap_or(DEFAULT_SEED);
    println!("kill loop: seed {seed} (KILL_LOOP_SEED={seed} replays it)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let sandbox = Sandbox::start(sandbox_config()).unwrap();
    let base = sandbox.base_url();
    let started = Instant::now();
    let [link_kills, sync_kills, backup_kills] = kills_per_kind();

    // Link exchanges in a folder of their own: the book grows by a connection per link.
    let mut links = Folder::new(&base);
    links
        .kill_loop(&base, Kind::Link, link_kills, &mut rng)
        .await;

    // Syncs, then backups, in a small book (each restart checks the whole file).
    let mut book = Folder::new(&base);
    {
        let (store, _, service) = open(book.dir.path(), &base);
        let web = Web::new(&base);
        for i in 0..BOOK_CONNECTIONS {
            let client = add_client(&store, &format!("Synced {i}"));
            let flow = FLOWS[i % FLOWS.len()];
            let (session, url) = walk_link(&service, &web, client, flow, &format!("book{i}")).await;
            deliver(&service, session, &url).await;
        }
    }
    book.kill_loop(&base, Kind::Sync, sync_kills, &mut rng)
        .await;
    book.kill_loop(&base, Kind::Backup, backup_kills, &mut rng)
        .await;

    let mut total = 0;
    for (kind, f) in links.ledger.figures.iter().chain(&book.ledger.figures) {
        total += f.kills;
        println!(
            "kill loop: {:<6} {} kills in {:.1} s ({:.1} s of it restarting and checking; kills \
             0–{} ms after the child was ready): {} commits reported, all found; {} full \
             integrity checks, all ok; {} exchanges finished by the restart, {} by the same \
             callback arriving again; {} syncs failed",
            kind.name(),
            f.kills,
            f.elapsed.as_secs_f64(),
            f.checking.as_secs_f64(),
            f.longest_delay_ms,
            f.commits,
            f.integrity_ok,
            f.resumed,
            f.redelivered,
            f.failed_syncs
        );
        assert!(f.commits > 0, "{kind:?}: no commit before any kill");
    }
    println!(
        "kill loop: {total} kills in {:.1} s; links: {} clients, {} connections, {} links cut before \
         their callback (still open, to start again); book: {} \
         clients, {} synced connections, newest backup {:?}; {} partial copies left by kills \
         in backups/ (never listed as backups; the next backup removes those over an hour old)",
        started.elapsed().as_secs_f64(),
        links.ledger.clients.len(),
        links.ledger.links.len(),
        open_sessions(&database(links.dir.path())),
        book.ledger.clients.len(),
        book.ledger.syncs.len(),
        book.ledger.backup.map(|b| b.0),
        partial_copies(&database(book.dir.path()))
    );
}

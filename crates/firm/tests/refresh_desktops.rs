//! 200 sandbox connections refreshed by three desktops at once — three OS processes (this test
//! binary run again as `desktop_process`), each with its own pool — against a real PostgreSQL
//! server and the real sandbox over HTTP, through the production refresher: credentials opened
//! from `sealed_secrets` with the firm key in the keychain, snapshots written by the core's own
//! writer into the firm's tables. Each connection is fetched once per round (the sandbox's call
//! counts), with one outcome row and one committed write; then with one desktop killed -9
//! mid-round, and with the database restarted mid-round (in the middle of syncs).

mod refresh_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use advisor_desk_core::firm::FirmId;
use advisor_desk_firm::refresh::{claims, worker, WorkerConfig};
use advisor_desk_firm::test_firm::TestFirm;
use advisor_desk_firm::test_server::{TestDatabase, TestServer};
use advisor_desk_firm::{FirmDbConfig, FirmPool};
use advisor_desk_sandbox::{SandboxControl, SandboxHandle};
use refresh_support::*;

const CONNECTIONS: usize = 200;
/// How long a desktop process may take for its part of a round: a guard against a hang, not a
/// measure (a round takes well under a minute on an idle machine, minutes on a loaded one).
const ROUND_DEADLINE: Duration = Duration::from_secs(600);

/// One desktop: runs when the parent test starts this binary with the `FIRMSYNC_*` variables,
/// does nothing otherwise (it is only an entry point, hence ignored in ordinary runs).
#[test]
#[ignore = "a desktop process of the refresh tests, started by them"]
fn desktop_process() {
    let Ok(desktop) = std::env::var("FIRMSYNC_DESKTOP") else {
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set"));
    // The worker, its lease heartbeat, and the refresher's reads before a fetch.
    let pool = FirmDbConfig::new(var("FIRMSYNC_DB_URL"))
        .with_pool_size(3)
        .with_connect_timeout(Duration::from_secs(10))
        .open_pool()
        .unwrap();
    let keychain = firm_keychain(&var("FIRMSYNC_KEYCHAIN"));
    let mut refresher = Watched::new(
        desktop_refresher(&pool, keychain, &var("FIRMSYNC_SANDBOX_URL")),
        Path::new(&var("FIRMSYNC_FETCH_LOG")),
        Duration::from_millis(var("FIRMSYNC_PAUSE_MS").parse().unwrap()),
    );
    let config = WorkerConfig {
        batch: 4,
        lease: Duration::from_secs(var("FIRMSYNC_LEASE_S").parse().unwrap()),
        poll: Duration::from_millis(200),
        give_up_after: Duration::from_secs(60),
        ..WorkerConfig::new(desktop)
    };
    let round: i64 = var("FIRMSYNC_ROUND").parse().unwrap();
    let report = worker::run_round(&pool, &config, round, &mut refresher).unwrap();
    println!(
        "desktop report: completed={} lost={} retries={}",
        report.completed, report.lost, report.retries
    );
}

/// The parent's side: the sandbox (on its own runtime), the database and the round.
struct Firm {
    runtime: tokio::runtime::Runtime,
    sandbox: SandboxHandle,
    control: SandboxControl,
    database: TestDatabase,
    /// The keychain service the desktops open (the firm key is filed there).
    keychain: String,
    pool: FirmPool,
    round: i64,
    logs: tempfile::TempDir,
    /// Connection id → provider name.
    providers: BTreeMap<i64, String>,
    /// The logins' credentials tokens / loginIds: they must never reach the database.
    secrets: Vec<String>,
}

impl Firm {
    fn new(server: &TestServer) -> Firm {
        let (runtime, sandbox) = start_sandbox(CONNECTIONS);
        let control = sandbox.control();
        let book = runtime.block_on(control.book()).unwrap();
        assert_eq!(book.len(), CONNECTIONS, "the sandbox seeded the book");
        let providers: BTreeMap<_, _> = connections(&book)
            .into_iter()
            .map(|(id, entry)| (id, entry.provider.clone()))
            .collect();
        let secrets = book.iter().map(|entry| entry.token.clone()).collect();
        let database = TestFirm::migrated_on(server).database;
        let keychain = format!("advisor-desk-test-{}", database.name);
        let firm = FirmId::new(format!("firm-{}", database.name)).unwrap();
        let mut owner = postgres::Client::connect(&database.owner_url(), postgres::NoTls).unwrap();
        let seeded = seed_firm(&mut owner, &firm, firm_keychain(&keychain).as_ref(), &book);
        assert_eq!(seeded, providers);
        count_connection_writes(&mut owner);
        drop(owner);
        // The parent inspects as the superuser: everything, whatever the policies.
        let pool = FirmDbConfig::new(&database.superuser_url)
            .with_pool_size(2)
            .open_pool()
            .unwrap();
        let mut client = pool.get().unwrap();
        let due: Vec<i64> = providers.keys().copied().collect();
        let round = claims::start_round(&mut client, "parent", &due)
            .unwrap()
            .round_id();
        drop(client);
        Firm {
            runtime,
            sandbox,
            control,
            database,
            keychain,
            pool,
            round,
            logs: tempfile::tempdir().unwrap(),
            providers,
            secrets,
        }
    }

    fn fetch_log(&self, desktop: &str) -> PathBuf {
        self.logs.path().join(format!("{desktop}.fetched"))
    }

    fn spawn(&self, desktop: &str, lease_s: u64, pause_ms: u64) -> Child {
        Command::new(std::env::current_exe().unwrap())
            .args(["desktop_process", "--exact", "--ignored", "--nocapture"])
            .env("FIRMSYNC_DESKTOP", desktop)
            // The firm's administrator (row-level security applies; they see every row).
            .env("FIRMSYNC_DB_URL", self.database.owner_url())
            .env("FIRMSYNC_KEYCHAIN", &self.keychain)
            .env("FIRMSYNC_SANDBOX_URL", self.sandbox.base_url())
            .env("FIRMSYNC_FETCH_LOG", self.fetch_log(desktop))
            .env("FIRMSYNC_LEASE_S", lease_s.to_string())
            .env("FIRMSYNC_PAUSE_MS", pause_ms.to_string())
            .env("FIRMSYNC_ROUND", self.round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn query_i64(&self, sql: &str) -> i64 {
        self.pool.get().unwrap().query_one(sql, &[]).unwrap().get(0)
    }

    /// Outcomes recorded so far, by desktop.
    fn outcomes_by(&self, desktop: &str) -> BTreeSet<i64> {
        self.pool
            .get()
            .unwrap()
            .query(
                "select connection_id from refresh_outcomes where round_id = $1 and desktop = $2",
                &[&self.round, &desktop],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    fn wait_for_outcomes(&self, at_least: i64) {
        let deadline = Instant::now() + ROUND_DEADLINE;
        while self.query_i64("select count(*) from refresh_outcomes") < at_least {
            assert!(Instant::now() < deadline, "the round does not move");
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every due connection has exactly one outcome and exactly one committed write, each
    /// refreshed one holds its snapshot's rows once, and the round is closed.
    fn assert_round_complete_once(&self) {
        let progress = claims::progress(&mut self.pool.get().unwrap(), self.round).unwrap();
        assert!(progress.finished, "{progress:?}");
        assert_eq!(progress.completed, CONNECTIONS as i64);
        let outcomes: Vec<i64> = self
            .pool
            .get()
            .unwrap()
            .query(
                "select connection_id from refresh_outcomes where round_id = $1",
                &[&self.round],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let unique: BTreeSet<&i64> = outcomes.iter().collect();
        assert_eq!(
            outcomes.len(),
            CONNECTIONS,
            "one outcome row per connection"
        );
        assert_eq!(unique.len(), CONNECTIONS);
        assert!(unique.iter().all(|id| self.providers.contains_key(*id)));
        assert_eq!(
            self.query_i64("select count(*) from connection_writes where writes = 1"),
            CONNECTIONS as i64,
            "every connection's result committed once"
        );
        let refreshed =
            self.query_i64("select count(*) from refresh_outcomes where outcome = 'refreshed'");
        assert_eq!(
            self.query_i64(
                "select count(*) from refresh_outcomes o join connections c on c.id = o.connection_id
                 where o.outcome = 'refreshed' and c.status = 'ready'
                   and c.consecutive_failures = 0 and c.last_success_at is not null"
            ),
            refreshed,
            "every refreshed connection recorded as the solo sync records it"
        );
        self.assert_rows_written_once();
        assert!(
            refreshed > CONNECTIONS as i64 / 2,
            "mostly refreshed: {refreshed}"
        );
        self.assert_no_secret_in_the_database();
    }

    /// Each refreshed connection holds exactly the rows its one snapshot had (the outcome counts
    /// them), none twice.
    fn assert_rows_written_once(&self) {
        for (table, part) in [
            ("accounts", "accounts"),
            ("holdings", "holdings"),
            ("transactions", "transactions"),
        ] {
            let mismatched = self.query_i64(&format!(
                "select count(*) from refresh_outcomes o where o.outcome = 'refreshed'
                   and (o.detail ->> '{part}')::bigint
                       <> (select count(*) from {table} t where t.connection_id = o.connection_id)"
            ));
            assert_eq!(
                mismatched, 0,
                "{table}: rows of a snapshot missing or doubled"
            );
            assert!(
                self.query_i64(&format!("select count(*) from {table}")) > 0,
                "{table} written"
            );
        }
        assert_eq!(
            self.query_i64(
                "select count(*) from (select 1 from transactions
                 group by account_id, provider_id having count(*) > 1) d"
            ),
            0,
            "no transaction stored twice"
        );
    }

    /// Every row the refresh wrote, as text, holds no credentials token or loginId.
    fn assert_no_secret_in_the_database(&self) {
        let dump: String = self
            .pool
            .get()
            .unwrap()
            .query_one(
                "select concat_ws(' ',
                     (select string_agg(r::text, ' ') from refresh_rounds r),
                     (select string_agg(l::text, ' ') from refresh_leases l),
                     (select string_agg(o::text, ' ') from refresh_outcomes o),
                     (select string_agg(c::text, ' ') from connections c),
                     (select string_agg(a::text, ' ') from accounts a),
                     (select string_agg(h::text, ' ') from holdings h),
                     (select string_agg(t::text, ' ') from transactions t))",
                &[],
            )
            .unwrap()
            .get(0);
        assert!(dump.contains("refreshed"), "the dump holds the outcomes");
        for secret in &self.secrets {
            assert!(
                !dump.contains(secret.as_str()),
                "a token reached the database"
            );
        }
    }

    /// The sandbox's count of fetches per provider (Flanks, Flinks).
    fn sandbox_fetches(&self) -> (u64, u64) {
        fetches(&provider_calls(&self.runtime, &self.control))
    }

    /// The sandbox saw each connection fetched exactly once (Flanks, Flinks).
    fn assert_each_fetched_once(&self) {
        assert_eq!(self.sandbox_fetches(), self.due_fetches());
    }

    fn due_fetches(&self) -> (u64, u64) {
        let flinks = self.providers.values().filter(|p| *p == "flinks").count() as u64;
        (CONNECTIONS as u64 - flinks, flinks)
    }

    fn fetched_by(&self, desktop: &str) -> Vec<i64> {
        std::fs::read_to_string(self.fetch_log(desktop))
            .unwrap_or_default()
            .lines()
            .map(|id| id.parse().unwrap())
            .collect()
    }
}

/// Waits for a desktop process to end well; returns its report line.
fn finish(desktop: &str, child: Child) -> String {
    let deadline = Instant::now() + ROUND_DEADLINE;
    let mut child = child;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("desktop {desktop} did not finish");
        }
        thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "desktop {desktop} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = stdout
        .lines()
        .find(|l| l.starts_with("desktop report"))
        .unwrap_or_else(|| panic!("desktop {desktop} reported:\n{stdout}"))
        .to_string();
    eprintln!("{desktop}: {report}");
    report
}

fn finish_all(desktops: &[&str], children: Vec<Child>) {
    for (desktop, child) in desktops.iter().zip(children) {
        finish(desktop, child);
    }
}

#[test]
fn three_desktops_fetch_each_of_200_connections_once_per_round() {
    let firm = Firm::new(TestServer::shared());
    let desktops = ["a", "b", "c"];
    let children: Vec<_> = desktops.iter().map(|d| firm.spawn(d, 30, 0)).collect();
    finish_all(&desktops, children);
    firm.assert_round_complete_once();
    firm.assert_each_fetched_once();
    for desktop in desktops {
        let fetched = firm.fetched_by(desktop);
        assert!(!fetched.is_empty(), "desktop {desktop} took part");
        assert_eq!(
            fetched.iter().collect::<BTreeSet<_>>(),
            firm.outcomes_by(desktop).iter().collect(),
            "desktop {desktop} recorded what it fetched"
        );
    }
}

#[test]
fn a_desktop_killed_mid_round_loses_its_leases_and_the_others_finish_the_round() {
    let firm = Firm::new(TestServer::shared());
    // Desktop c is slower (a pause between fetch and completion), so when it is killed it
    // holds claimed connections, likely one of them already fetched and not yet recorded.
    let mut c = firm.spawn("c", 3, 150);
    let a = firm.spawn("a", 3, 0);
    let b = firm.spawn("b", 3, 0);
    let deadline = Instant::now() + ROUND_DEADLINE;
    while firm.outcomes_by("c").len() < 5 {
        assert!(
            Instant::now() < deadline,
            "desktop c never completed anything"
        );
        thread::sleep(Duration::from_millis(10));
    }
    c.kill().unwrap(); // SIGKILL
    c.wait().unwrap();
    let killed_at = firm.query_i64("select count(*) from refresh_outcomes");
    let held_by_c = firm.query_i64(
        "select count(*) from refresh_leases where holder = 'c' and completed_at is null",
    );
    finish("a", a);
    finish("b", b);
    eprintln!("killed c with {killed_at} outcomes recorded and {held_by_c} leases held by c");
    assert!(
        killed_at < CONNECTIONS as i64,
        "c was killed mid-round, not after it"
    );

    firm.assert_round_complete_once();
    let recorded_by_c = firm.outcomes_by("c");
    let fetched_by_c = firm.fetched_by("c");
    // c fetches one connection at a time: at most its last one was fetched and not recorded,
    // and only that one may have been fetched twice (by c, then by its new holder).
    let unrecorded: Vec<&i64> = fetched_by_c
        .iter()
        .filter(|id| !recorded_by_c.contains(*id))
        .collect();
    assert!(unrecorded.len() <= 1, "{unrecorded:?}");
    let mut everyone: Vec<i64> = ["a", "b", "c"]
        .iter()
        .flat_map(|d| firm.fetched_by(d))
        .collect();
    everyone.sort();
    let fetched_twice: Vec<&i64> = everyone
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| &w[0])
        .collect();
    assert!(
        fetched_twice.iter().all(|id| unrecorded.contains(id)),
        "only c's unrecorded connection may be fetched again: {fetched_twice:?}"
    );
    let (flanks, flinks) = firm.sandbox_fetches();
    let (due_flanks, due_flinks) = firm.due_fetches();
    let extra = flanks + flinks - due_flanks - due_flinks;
    assert!(
        extra <= unrecorded.len() as u64,
        "sandbox fetches {flanks}+{flinks} for {due_flanks}+{due_flinks} due, c left {unrecorded:?}"
    );
    assert!(flanks >= due_flanks && flinks >= due_flinks, "nothing lost");
}

#[test]
fn a_database_restart_mid_round_is_ridden_out_and_each_connection_is_fetched_once() {
    let server = TestServer::start().unwrap();
    let firm = Firm::new(&server);
    let desktops = ["a", "b", "c"];
    // A short pause per fetch keeps the round going while the server restarts.
    let children: Vec<_> = desktops.iter().map(|d| firm.spawn(d, 10, 20)).collect();
    firm.wait_for_outcomes(40);
    let before = firm.query_i64("select count(*) from refresh_outcomes");
    server.restart().unwrap();
    eprintln!("restarted the server with {before} of {CONNECTIONS} outcomes recorded");
    assert!(before < CONNECTIONS as i64, "restarted mid-round");

    // The pools reconnect on checkout (a broken connection is replaced, waiting for the
    // server); a statement cut mid-flight is retried by the worker (tests/refresh_worker.rs).
    finish_all(&desktops, children);
    firm.assert_round_complete_once();
    firm.assert_each_fetched_once();
}

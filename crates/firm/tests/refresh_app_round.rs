//! "Update all" in firm mode through the app-level function (`refresh::app_round`): a real
//! PostgreSQL server, the real sandbox over HTTP, the production refresher (credentials opened
//! from `sealed_secrets` with the firm key in the real keychain, snapshots written by the core's
//! writer). Each connection the member sees is fetched once (the sandbox's call counts), the
//! progress events and the summary and report say what the round did, two desktops clicking at
//! once share one round, and a cancelled update gives its leases back for the next one.
//!
//! Run under `scripts/with-keyring.sh` (the firm key is filed in the Secret Service).

mod refresh_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use advisor_desk_core::firm::FirmId;
use advisor_desk_core::sync::{CancelToken, SyncProgress, SyncResult, SyncScope, SyncStep};
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::refresh::app_round::{refresh_in_round, run_report, scope_ids};
use advisor_desk_firm::refresh::WorkerConfig;
use advisor_desk_firm::test_firm::TestFirm;
use advisor_desk_firm::test_server::TestServer;
use advisor_desk_firm::{FirmDbConfig, FirmPool};
use advisor_desk_sandbox::{SandboxControl, SandboxHandle};
use refresh_support::*;

const LOGINS: usize = 12;

/// A firm of `LOGINS` sandbox connections (one client each), sealed; the sandbox beside it.
struct Firm {
    runtime: tokio::runtime::Runtime,
    sandbox: SandboxHandle,
    control: SandboxControl,
    firm: TestFirm,
    keychain: String,
}

impl Firm {
    fn new() -> Firm {
        let (runtime, sandbox) = start_sandbox(LOGINS);
        let control = sandbox.control();
        let book = runtime.block_on(control.book()).unwrap();
        let firm = TestFirm::migrated_on(TestServer::shared());
        let keychain = format!("advisor-desk-test-{}", firm.database.name);
        let id = FirmId::new(format!("firm-{}", firm.database.name)).unwrap();
        seed_firm(
            &mut firm.owner(),
            &id,
            firm_keychain(&keychain).as_ref(),
            &book,
        );
        Firm {
            runtime,
            sandbox,
            control,
            firm,
            keychain,
        }
    }

    fn pool(&self, url: &str) -> FirmPool {
        FirmDbConfig::new(url)
            .with_pool_size(5)
            .with_connect_timeout(Duration::from_secs(10))
            .open_pool()
            .unwrap()
    }

    /// One click on "Update all" by the desktop signed in on `pool`.
    fn update_all(&self, pool: &FirmPool, desktop: &str, cancel: &CancelToken) -> Update {
        let due = scope_ids(&mut *pool.get().unwrap(), SyncScope::All).unwrap();
        let events: Arc<Mutex<Vec<SyncProgress>>> = Arc::default();
        let sink = events.clone();
        let progress = Arc::new(move |p: SyncProgress| sink.lock().unwrap().push(p));
        let mut refresher = desktop_refresher(
            pool,
            firm_keychain(&self.keychain),
            &self.sandbox.base_url(),
        )
        .with_cancel(cancel.clone());
        let config = WorkerConfig {
            batch: 3,
            poll: Duration::from_millis(100),
            ..WorkerConfig::new(desktop)
        };
        let summary =
            refresh_in_round(pool, &config, &due, &mut refresher, progress, cancel).unwrap();
        let report = run_report(&mut *pool.get().unwrap(), &summary).unwrap();
        let events = events.lock().unwrap().clone();
        Update {
            due,
            summary,
            report,
            events,
        }
    }

    fn sandbox_fetches(&self) -> u64 {
        let (flanks, flinks) = fetches(&provider_calls(&self.runtime, &self.control));
        flanks + flinks
    }

    fn count(&self, sql: &str) -> i64 {
        self.firm.superuser().query_one(sql, &[]).unwrap().get(0)
    }
}

struct Update {
    due: Vec<i64>,
    summary: advisor_desk_core::sync::SyncSummary,
    report: advisor_desk_core::sync::RunReport,
    events: Vec<SyncProgress>,
}

impl Update {
    fn outcome_ids(&self) -> BTreeSet<i64> {
        self.summary
            .outcomes
            .iter()
            .map(|o| o.connection_id)
            .collect()
    }

    /// Connection id → how many times its step was reported.
    fn steps(&self, wanted: fn(&SyncStep) -> bool) -> BTreeMap<i64, usize> {
        let mut seen = BTreeMap::new();
        for e in self.events.iter().filter(|e| wanted(&e.step)) {
            *seen.entry(e.connection_id).or_default() += 1;
        }
        seen
    }
}

fn fetching(step: &SyncStep) -> bool {
    matches!(step, SyncStep::Fetching)
}

fn finished(step: &SyncStep) -> bool {
    matches!(step, SyncStep::Finished { .. })
}

#[test]
fn an_advisors_update_all_refreshes_each_connection_they_see_once_with_progress_and_report() {
    let firm = Firm::new();
    let alice = firm.firm.add_member("alice", MemberKind::Advisor);
    // Alice serves clients 1–8; 9–12 are someone else's and must stay untouched.
    firm.firm
        .owner()
        .batch_execute(&format!(
            "INSERT INTO client_assignments (client_id, advisor_role)
                 SELECT n, '{}' FROM generate_series(1, 8) AS n",
            alice.role
        ))
        .unwrap();
    let pool = firm.pool(&firm.firm.url_for(&alice));

    let update = firm.update_all(&pool, "alice-desktop", &CancelToken::new());

    let hers: Vec<i64> = (1..=8).collect();
    assert_eq!(update.due, hers, "the scope is what Alice sees");
    assert_eq!(update.outcome_ids(), hers.iter().copied().collect());
    assert_eq!(
        firm.sandbox_fetches(),
        8,
        "each of hers fetched once, no other"
    );
    let s = &update.summary;
    assert_eq!((s.total, s.synced + s.failed, s.cancelled), (8, 8, 0));
    assert!(
        s.synced > 0,
        "the sandbox's healthy logins refreshed: {s:?}"
    );
    // One outcome and one recorded attempt per connection of hers; none for the others.
    assert_eq!(
        firm.count("SELECT count(*) FROM refresh_outcomes WHERE connection_id <= 8"),
        8
    );
    assert_eq!(
        firm.count("SELECT count(*) FROM connections WHERE id > 8 AND last_attempt_at IS NOT NULL"),
        0
    );
    assert_eq!(
        firm.count("SELECT count(*) FROM refresh_outcomes WHERE connection_id > 8"),
        0
    );
    // Progress: each connection fetched and finished once, the bar ending full.
    let once: BTreeMap<i64, usize> = hers.iter().map(|id| (*id, 1)).collect();
    assert_eq!(update.steps(fetching), once);
    assert_eq!(update.steps(finished), once);
    let last = update
        .events
        .iter()
        .rev()
        .find(|e| finished(&e.step))
        .unwrap();
    assert_eq!((last.done, last.total), (8, 8));
    assert!(update.events.iter().all(|e| !e.institution.is_empty()));
    // The report counts what the summary does, with the firm's client names.
    let r = &update.report;
    assert_eq!(r.total, 8);
    assert_eq!(
        r.updated + r.retrying + r.needs_client.len() + r.needs_advisor.len(),
        8
    );
    assert_eq!(
        r.updated,
        s.outcomes
            .iter()
            .filter(|o| matches!(o.result, SyncResult::Synced { .. }))
            .filter(|o| o.status.action_by() == advisor_desk_core::domain::Actor::Nobody)
            .count()
    );
    for needs in r.needs_client.iter().chain(&r.needs_advisor) {
        assert_eq!(needs.client_name, format!("Client {}", needs.client_id));
    }
}

#[test]
fn two_desktops_clicking_at_once_share_one_round_and_fetch_each_connection_once() {
    let firm = Firm::new();
    let owner_url = firm.firm.database.owner_url();
    let (a, b) = (firm.pool(&owner_url), firm.pool(&owner_url));
    let (first, second) = thread::scope(|scope| {
        let one = scope.spawn(|| firm.update_all(&a, "desktop-a", &CancelToken::new()));
        let two = scope.spawn(|| firm.update_all(&b, "desktop-b", &CancelToken::new()));
        (one.join().unwrap(), two.join().unwrap())
    });

    let all: BTreeSet<i64> = (1..=LOGINS as i64).collect();
    assert_eq!(firm.sandbox_fetches(), LOGINS as u64, "each fetched once");
    assert_eq!(
        firm.count("SELECT count(*) FROM refresh_rounds"),
        1,
        "one round"
    );
    assert_eq!(
        firm.count("SELECT count(*) FROM refresh_outcomes"),
        LOGINS as i64
    );
    // Both windows end with the whole round's summary, whoever fetched what.
    for update in [&first, &second] {
        assert_eq!(update.outcome_ids(), all);
        assert_eq!(update.summary.cancelled, 0);
        assert_eq!(update.report.total, LOGINS);
    }
    let fetched_by_both: usize = first.steps(fetching).len() + second.steps(fetching).len();
    assert_eq!(
        fetched_by_both, LOGINS,
        "no connection fetched by both desktops"
    );
}

#[test]
fn a_cancelled_update_gives_its_leases_back_and_the_next_click_finishes_the_round() {
    let firm = Firm::new();
    let pool = firm.pool(&firm.firm.database.owner_url());
    let cancel = CancelToken::new();
    // Cancelled as soon as the first connection is done.
    let stopper = cancel.clone();
    let watcher = thread::spawn({
        let pool = pool.clone();
        move || {
            let mut client = pool.get().unwrap();
            while client
                .query_one("SELECT count(*) FROM refresh_outcomes", &[])
                .unwrap()
                .get::<_, i64>(0)
                == 0
            {
                thread::sleep(Duration::from_millis(5));
            }
            stopper.cancel();
        }
    });
    let stopped = firm.update_all(&pool, "desktop-a", &cancel);
    watcher.join().unwrap();

    let s = &stopped.summary;
    assert_eq!(s.total, LOGINS);
    assert!(s.cancelled > 0, "the rest was cancelled: {s:?}");
    assert_eq!(s.synced + s.failed + s.cancelled, LOGINS);
    let cancelled_steps = stopped
        .events
        .iter()
        .filter(|e| e.step == SyncStep::Cancelled)
        .count();
    assert_eq!(cancelled_steps, s.cancelled);
    assert_eq!(
        firm.count(
            "SELECT count(*) FROM refresh_leases
             WHERE completed_at IS NULL AND (holder IS NOT NULL OR expires_at IS NOT NULL)"
        ),
        0,
        "no lease left held: the next desktop need not wait for an expiry"
    );
    // A fetch in flight when the advisor cancelled may have asked the provider already; its
    // answer is dropped and it is fetched again by the next update. Nothing else is.
    let done_before = firm.count("SELECT count(*) FROM refresh_outcomes");
    let asked = firm.sandbox_fetches() as i64;
    assert!(
        (done_before..=done_before + 1).contains(&asked),
        "{asked} fetches for {done_before} recorded"
    );

    let next = firm.update_all(&pool, "desktop-a", &CancelToken::new());
    assert_eq!(next.summary.cancelled, 0);
    assert_eq!(next.summary.total, LOGINS);
    assert_eq!(
        firm.count("SELECT count(*) FROM refresh_rounds"),
        1,
        "the same round"
    );
    assert_eq!(
        firm.count("SELECT count(*) FROM refresh_outcomes"),
        LOGINS as i64
    );
    let in_all = firm.sandbox_fetches() as i64;
    assert_eq!(
        in_all - asked,
        LOGINS as i64 - done_before,
        "the next update fetched only what was left"
    );
}

/// The solo book's holder check, run by the firm's refresh on each new connection's first
/// snapshot: a client named as the login's holder joins at once, a client the holders do not
/// name is held back (`pending`, the names kept, audited) and left out of the book's reads.
#[test]
fn a_first_snapshot_whose_holders_name_another_person_is_held_back() {
    let firm = Firm::new();
    let book = firm.runtime.block_on(firm.control.book()).unwrap();
    let mut owner = firm.firm.owner();
    for (id, entry) in connections(&book) {
        let name = match (id % 2, entry.holders.first()) {
            (1, Some(holder)) => holder.clone(),
            _ => format!("Nobody Known {id}"),
        };
        owner
            .execute("UPDATE clients SET name = $2 WHERE id = $1", &[&id, &name])
            .unwrap();
    }
    let pool = firm.pool(&firm.firm.database.owner_url());
    firm.update_all(&pool, "desktop-a", &CancelToken::new());

    let mut db = firm.firm.superuser();
    let (mut matched, mut held) = (0, 0);
    for (id, entry) in connections(&book) {
        let row = db
            .query_one(
                "SELECT c.holder_check, c.holder_names, o.outcome,
                        (SELECT count(*) FROM audit_log a WHERE a.connection_id = c.id
                           AND a.action = 'connection.holder_check_pending'),
                        (SELECT count(*) FROM book_connections b WHERE b.id = c.id)
                   FROM connections c JOIN refresh_outcomes o ON o.connection_id = c.id
                  WHERE c.id = $1",
                &[&id],
            )
            .unwrap();
        let (state, names, outcome): (String, Option<String>, String) =
            (row.get(0), row.get(1), row.get(2));
        let (audited, in_book): (i64, i64) = (row.get(3), row.get(4));
        let expected = match (outcome.as_str(), entry.holders.is_empty(), id % 2) {
            ("failed", _, _) => "unchecked",
            (_, true, _) => "no_holders",
            (_, false, 1) => "matched",
            _ => "pending",
        };
        assert_eq!(state, expected, "connection {id}: {entry:?}");
        if state == "pending" {
            held += 1;
            let kept = names.unwrap_or_default();
            for holder in &entry.holders {
                assert!(kept.split('\u{1f}').any(|n| n == holder), "{holder} kept");
            }
            assert_eq!((audited, in_book), (1, 0), "held back and audited");
        } else {
            matched += usize::from(state == "matched");
            assert_eq!((audited, in_book), (0, 1));
        }
    }
    assert!(
        matched > 0 && held > 0,
        "both cases met: {matched} matched, {held} held"
    );
}

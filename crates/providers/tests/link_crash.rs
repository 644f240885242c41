//! Crash test of the write-ahead exchange: for each flow (Flanks legacy Link, Connect v2,
//! Flinks Connect, and a Flanks SCA reauthorization), the process running the exchange is
//! killed (`abort`, no unwinding, no flush) at every step boundary. After a "restart"
//! (fresh store, `resume_and_reconcile`) every credential must be present exactly once,
//! mapped to the right client, with its token in the keychain.
//!
//! The parent test starts the sandbox, creates the link sessions in a real SQLite file and
//! walks the provider pages; it then re-executes this test binary as a child that handles
//! the callback with an observer aborting at the chosen step. Parent and child share the
//! secret store through a small JSON file (test-only, below).

mod link_support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use advisor_desk_core::links::sessions;
use advisor_desk_core::links::{
    CallbackSource, ExchangeBoundary, ExchangeObserver, LinkFlow, LinkService,
};
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::sync::connections;
use advisor_desk_core::sync::connections::token_hash;
use advisor_desk_core::Store;
use advisor_desk_sandbox::Sandbox;
use link_support::*;

const ENV_DIR: &str = "LINK_CRASH_DIR";
const ENV_BASE: &str = "LINK_CRASH_BASE";
const ENV_URL: &str = "LINK_CRASH_CALLBACK";
const ENV_SESSION: &str = "LINK_CRASH_SESSION";
const ENV_STEP: &str = "LINK_CRASH_STEP";

struct AbortAt(ExchangeBoundary);

impl ExchangeObserver for AbortAt {
    fn at(&self, _session_id: i64, boundary: ExchangeBoundary) {
        if boundary == self.0 {
            std::process::abort();
        }
    }
}

const BOUNDARIES: [(&str, Option<ExchangeBoundary>); 7] = [
    ("claimed", Some(ExchangeBoundary::Claimed)),
    ("code_saved", Some(ExchangeBoundary::CodeSaved)),
    ("exchanged", Some(ExchangeBoundary::Exchanged)),
    ("token_saved", Some(ExchangeBoundary::TokenSaved)),
    ("mapped", Some(ExchangeBoundary::Mapped)),
    ("cleaned_up", Some(ExchangeBoundary::CleanedUp)),
    ("none", None),
];

fn boundary(name: &str) -> Option<ExchangeBoundary> {
    BOUNDARIES
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, b)| *b)
}

fn open(dir: &Path, base: &str) -> (Arc<Store>, Arc<FileSecretStore>, LinkService) {
    let store = Arc::new(Store::open(&dir.join("desk.sqlite3")).unwrap());
    let secrets = Arc::new(FileSecretStore::new(&dir.join("keychain.json")));
    let service = service(base, store.clone(), secrets.clone());
    (store, secrets, service)
}

/// The child: handles one callback and aborts at the boundary named in the environment.
/// Does nothing unless started by `every_step_boundary_…` with its environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of the crash test"]
async fn crash_child() {
    let Ok(dir) = std::env::var(ENV_DIR) else {
        return;
    };
    let base = std::env::var(ENV_BASE).unwrap();
    let url = std::env::var(ENV_URL).unwrap();
    let session: i64 = std::env::var(ENV_SESSION).unwrap().parse().unwrap();
    let step = std::env::var(ENV_STEP).unwrap();
    let (_, _, service) = open(Path::new(&dir), &base);
    let service = match boundary(&step) {
        Some(b) => service.with_observer(Arc::new(AbortAt(b))),
        None => service,
    };
    let outcome = service
        .handle_callback(
            url.as_bytes(),
            Some(session),
            CallbackSource::EmbeddedWindow,
        )
        .await
        .unwrap();
    println!("child outcome: {outcome:?}");
}

fn run_child(dir: &Path, base: &str, url: &str, session: i64, step: &str) -> Option<i32> {
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--include-ignored", "--nocapture"])
        .env(ENV_DIR, dir)
        .env(ENV_BASE, base)
        .env(ENV_URL, url)
        .env(ENV_SESSION, session.to_string())
        .env(ENV_STEP, step)
        .env("RUST_BACKTRACE", "0")
        .status()
        .unwrap();
    status.code()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_step_boundary_of_the_exchange_survives_a_crash() {
    let sandbox = Sandbox::start(sandbox_config()).unwrap();
    let base = sandbox.base_url();
    let web = Web::new(&base);
    let dir = tempfile::tempdir().unwrap();
    let mut expected: Vec<(i64, LinkFlow, &str)> = Vec::new();
    let mut n = 0;
    for flow in [
        LinkFlow::FlanksLink,
        LinkFlow::FlanksConnectV2,
        LinkFlow::FlinksConnect,
    ] {
        for (step, _) in BOUNDARIES {
            n += 1;
            // Set up as the app would: a client, a link session, the provider pages.
            let (store, _, service) = open(dir.path(), &base);
            let client = add_client(&store, &format!("Client {n} {step}"));
            let start = service.start_connect(client, flow).await.unwrap();
            let callback = match flow {
                LinkFlow::FlanksLink => {
                    let (s, body, loc) = web
                        .flanks_link(&start.url, &format!("crash-{n}"), "SCA_SMS", Some("1"))
                        .await;
                    assert_eq!(s, 302, "{body}");
                    loc.unwrap()
                }
                LinkFlow::FlanksConnectV2 => {
                    let (s, body, loc) = web
                        .connect_v2(&start.url, &format!("crash-{n}"), "SCA_SMS")
                        .await;
                    assert_eq!(s, 302, "{body}");
                    loc.unwrap()
                }
                LinkFlow::FlinksConnect => {
                    web.flinks_connect(&start.url, &format!("sbx_client_crash{n}"))
                        .await
                }
            };
            drop(service);
            drop(store);

            let (d, b, c, sid) = (
                dir.path().to_path_buf(),
                base.clone(),
                callback.clone(),
                start.session_id,
            );
            let code = tokio::task::spawn_blocking(move || run_child(&d, &b, &c, sid, step))
                .await
                .unwrap();
            if step == "none" {
                assert_eq!(
                    code,
                    Some(0),
                    "{flow:?}: the child without a crash succeeds"
                );
            } else {
                assert_ne!(
                    code,
                    Some(0),
                    "{flow:?} {step}: the child must have crashed"
                );
            }

            // Restart: a fresh store and service; resume and reconcile.
            let (store, secrets, service) = open(dir.path(), &base);
            let report = service.resume_and_reconcile().await.unwrap();
            assert!(report.errors.is_empty(), "{flow:?} {step}: {report:?}");
            let conns = connections::list(&store, Some(client)).unwrap();
            assert_eq!(conns.len(), 1, "{flow:?} {step}: {report:?}");
            let token = secrets
                .get(&conns[0].secret_key().unwrap())
                .unwrap()
                .unwrap_or_else(|| panic!("{flow:?} {step}: token missing from the keychain"));
            assert_eq!(
                connections::stored_token_hash(&store, conns[0].id).unwrap(),
                token_hash(&token)
            );
            let session = sessions::get(&store, start.session_id).unwrap();
            assert!(!session.is_open(), "{flow:?} {step}: {session:?}");
            assert!(
                !secrets.names().iter().any(|k| k.starts_with("link/")
                    && k.ends_with(&format!("/{}/code", start.session_id))),
                "{flow:?} {step}: a code entry was left behind"
            );
            // A second restart changes nothing.
            let again = service.resume_and_reconcile().await.unwrap();
            assert!(again.resumed.is_empty() && again.recovered_connections.is_empty());
            expected.push((client, flow, step));
        }
    }

    // Reauthorizations (Pending SCA → SCA link) killed at every boundary: the same
    // connection, the same token, the session finished `reauthorized`.
    let control = sandbox.control();
    let (store, secrets, _) = open(dir.path(), &base);
    let (reauth_client, _, _) = expected[0];
    let conn = connections::list(&store, Some(reauth_client)).unwrap()[0].clone();
    let token = secrets.get(&conn.secret_key().unwrap()).unwrap().unwrap();
    drop(store);
    for (step, _) in BOUNDARIES {
        control
            .force(
                token.expose(),
                advisor_desk_sandbox::ForcedState::PendingSca,
            )
            .await
            .unwrap();
        let (store, _, service) = open(dir.path(), &base);
        let link = match service.start_reauthorize(conn.id).await.unwrap() {
            advisor_desk_core::links::ReauthStart::Started { link } => link,
            other => panic!("{step}: {other:?}"),
        };
        let (s, body, loc) = web.flanks_sca_link(&link.url, "2468").await;
        assert_eq!(s, 302, "{body}");
        drop(service);
        drop(store);
        let (d, b, c, sid) = (
            dir.path().to_path_buf(),
            base.clone(),
            loc.unwrap(),
            link.session_id,
        );
        let code = tokio::task::spawn_blocking(move || run_child(&d, &b, &c, sid, step))
            .await
            .unwrap();
        assert_eq!(
            code == Some(0),
            step == "none",
            "reauth {step}: exit {code:?}"
        );
        let (store, secrets, service) = open(dir.path(), &base);
        let report = service.resume_and_reconcile().await.unwrap();
        assert!(report.errors.is_empty(), "reauth {step}: {report:?}");
        let session = sessions::get(&store, link.session_id).unwrap();
        assert_eq!(
            session.outcome.as_deref(),
            Some("reauthorized"),
            "reauth {step}: {report:?}"
        );
        assert_eq!(
            connections::list(&store, Some(reauth_client))
                .unwrap()
                .len(),
            1,
            "reauth {step}"
        );
        assert_eq!(
            secrets.get(&conn.secret_key().unwrap()).unwrap(),
            Some(token.clone()),
            "reauth {step}: the same token"
        );
        assert!(
            !secrets
                .names()
                .iter()
                .any(|k| k.starts_with("link/")
                    && k.ends_with(&format!("/{}/code", link.session_id))),
            "reauth {step}: a code entry was left behind"
        );
    }

    // Every credential exactly once, each with its own token and client.
    let (store, secrets, _) = open(dir.path(), &base);
    let all = connections::list(&store, None).unwrap();
    assert_eq!(all.len(), expected.len());
    for (client, flow, step) in &expected {
        let mine: Vec<_> = all.iter().filter(|c| c.client_id == *client).collect();
        assert_eq!(mine.len(), 1, "{flow:?} {step}");
        assert_eq!(mine[0].flow, flow.as_str(), "{flow:?} {step}");
    }
    let names = secrets.names();
    assert_eq!(
        names.len(),
        expected.len(),
        "only connection tokens remain: {names:?}"
    );
    assert!(names.iter().all(|n| n.starts_with("connection/")));
}

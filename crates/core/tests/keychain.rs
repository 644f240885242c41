//! The real OS keychain (the Secret Service on Linux). These tests need a running, unlocked
//! Secret Service: `./dev test` runs them inside `scripts/with-keyring.sh` (a private D-Bus
//! session with gnome-keyring). Each test uses its own keychain service name, so nothing of a
//! real advisor's keychain is read or touched.

use std::process::Command;

use advisor_desk_core::secrets::{KeyringStore, Secret, SecretError, SecretKey, SecretStore};

/// The lock test locks the whole Secret Service; the tests of this binary take turns.
static KEYCHAIN_TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    KEYCHAIN_TURN.lock().unwrap_or_else(|p| p.into_inner())
}

/// When set, this test binary is running as a child process of one of the tests below.
const CHILD_MODE: &str = "ADVISOR_DESK_KEYCHAIN_CHILD";

fn unique_service(test: &str) -> String {
    format!("app.advisordesk.test.{test}.{}", std::process::id())
}

/// Runs one test of this binary in a fresh process with extra environment.
fn run_child(test: &str, envs: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        test,
        "--include-ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
#[ignore = "needs a Secret Service; run by ./dev test"]
fn a_secret_written_by_one_process_is_read_by_another_and_deleted() {
    let _turn = turn();
    if std::env::var(CHILD_MODE).is_ok() {
        return; // only the parent runs this body
    }
    let service = unique_service("roundtrip");
    let store = KeyringStore::new(&service);
    let key = SecretKey::new("connection/1/token").unwrap();
    let value = format!("ctok-{}-ünïcode", std::process::id());
    store.put(&key, &Secret::new(value.clone())).unwrap();

    let child = run_child(
        "child_reads_and_deletes",
        &[
            (CHILD_MODE, "read"),
            ("EXPECT_SERVICE", &service),
            ("EXPECT_VALUE", &value),
        ],
    );
    assert!(
        child.status.success(),
        "child failed: {}{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(String::from_utf8_lossy(&child.stdout).contains("child read the secret"));
    // The child deleted it: it is gone for this process too.
    assert!(store.get(&key).unwrap().is_none());
    assert!(
        !store.delete(&key).unwrap(),
        "deleting twice reports nothing deleted"
    );
}

#[test]
#[ignore = "child process of the round-trip test"]
fn child_reads_and_deletes() {
    if std::env::var(CHILD_MODE).as_deref() != Ok("read") {
        return;
    }
    let store = KeyringStore::new(std::env::var("EXPECT_SERVICE").unwrap());
    let key = SecretKey::new("connection/1/token").unwrap();
    let got = store
        .get(&key)
        .unwrap()
        .expect("the parent's secret is in the keychain");
    assert_eq!(got.expose(), std::env::var("EXPECT_VALUE").unwrap());
    assert!(store.delete(&key).unwrap());
    println!("child read the secret");
}

#[test]
#[ignore = "needs a Secret Service; run by ./dev test"]
fn check_proves_a_round_trip_and_leaves_nothing_behind() {
    let _turn = turn();
    let store = KeyringStore::new(unique_service("check"));
    store.check().unwrap();
    let probe = SecretKey::new("probe/availability").unwrap();
    assert!(store.get(&probe).unwrap().is_none());
}

#[test]
#[ignore = "needs a Secret Service; run by ./dev test"]
fn concurrent_calls_are_serialised_and_all_succeed() {
    let _turn = turn();
    let service = unique_service("concurrent");
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let service = service.clone();
            std::thread::spawn(move || {
                let store = KeyringStore::new(service);
                let key = SecretKey::new(format!("connection/{i}/token")).unwrap();
                store.put(&key, &Secret::new(format!("value-{i}"))).unwrap();
                let back = store.get(&key).unwrap().unwrap();
                assert_eq!(back.expose(), format!("value-{i}"));
                assert!(store.delete(&key).unwrap());
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn an_absent_keychain_gives_the_typed_unavailable_error() {
    if std::env::var(CHILD_MODE).as_deref() == Ok("absent") {
        let store = KeyringStore::new(unique_service("absent"));
        let key = SecretKey::new("provider/flanks/client_secret").unwrap();
        let put = store.put(&key, &Secret::new("must-not-be-stored"));
        let get = store.get(&key);
        println!("put={put:?} get={get:?}");
        assert!(matches!(put, Err(SecretError::Unavailable(_))), "{put:?}");
        assert!(matches!(get, Err(SecretError::Unavailable(_))), "{get:?}");
        // The message tells the advisor what to do, and never falls back to plaintext.
        let msg = put.unwrap_err().to_string();
        assert!(msg.contains("keychain is not available"), "{msg}");
        assert!(!msg.contains("must-not-be-stored"));
        return;
    }
    // In a child with no reachable D-Bus session, so the Secret Service cannot be found.
    let out = run_child(
        "an_absent_keychain_gives_the_typed_unavailable_error",
        &[
            (CHILD_MODE, "absent"),
            ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus"),
        ],
    );
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("put=Err(Unavailable"));
}

#[test]
#[ignore = "needs a Secret Service; run by ./dev test"]
fn a_locked_keychain_gives_the_typed_locked_error() {
    let _turn = turn();
    let service = unique_service("locked");
    let store = KeyringStore::new(&service);
    let key = SecretKey::new("connection/7/token").unwrap();
    store.put(&key, &Secret::new("kept-while-locked")).unwrap();

    lock_all_collections();
    let got = store.get(&key);
    let put = store.put(
        &SecretKey::new("connection/8/token").unwrap(),
        &Secret::new("x"),
    );
    unlock_login_collection();

    assert!(matches!(got, Err(SecretError::Locked)), "{got:?}");
    assert!(matches!(put, Err(SecretError::Locked)), "{put:?}");
    assert!(got
        .unwrap_err()
        .to_string()
        .contains("unlock your keychain"));
    // Nothing was lost while locked.
    assert_eq!(
        store.get(&key).unwrap().unwrap().expose(),
        "kept-while-locked"
    );
    store.delete(&key).unwrap();
}

fn lock_all_collections() {
    let status = Command::new("gdbus")
        .args([
            "call",
            "--session",
            "--dest",
            "org.freedesktop.secrets",
            "--object-path",
            "/org/freedesktop/secrets",
            "--method",
            "org.freedesktop.Secret.Service.Lock",
            "['/org/freedesktop/secrets/collection/login']",
        ])
        .status()
        .expect("gdbus is installed");
    assert!(status.success());
}

/// Unlocks again through the daemon's control socket, as the login session would.
fn unlock_login_collection() {
    let mut child = Command::new("gnome-keyring-daemon")
        .args([
            "--unlock",
            "--components=secrets",
            "--replace",
            "--daemonize",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"advisor-desk-session\n")
        .unwrap();
    child.wait().unwrap();
}

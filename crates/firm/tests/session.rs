//! Firm mode as the app runs it, on a real PostgreSQL server of its own and the real Secret
//! Service: an advisor joins with an invite file (its secrets filed in the keychain), the
//! session connects with the role password from there, hears a change, notices the server
//! stopped within seconds, and connects again when it is back.

use std::path::Path;
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use advisor_desk_core::firm::{
    accept_invite, keychain, read_invite, write_invite, FirmKey, FirmSettings,
};
use advisor_desk_core::secrets::{KeyringStore, Secret, SecretStore};
use advisor_desk_firm::live::ListenerConfig;
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::migrations::LATEST_VERSION;
use advisor_desk_firm::session::{
    FirmSession, FirmStatus, SessionError, SessionEvent, SessionOptions,
};
use advisor_desk_firm::test_firm::{TestFirm, TestMember};
use advisor_desk_firm::test_server::TestServer;

/// "Unreachable within a few seconds" and "connected again" are both asserted within this.
const WITHIN: Duration = Duration::from_secs(5);
const PASSPHRASE: &str = "correct horse battery staple";

fn options() -> SessionOptions {
    SessionOptions {
        probe_every: Duration::from_secs(2),
        retry_first: Duration::from_millis(200),
        retry_max: Duration::from_secs(1),
        connect_timeout: Duration::from_secs(2),
        listener: ListenerConfig {
            tick: Duration::from_millis(50),
            reconnect_first: Duration::from_millis(100),
            reconnect_max: Duration::from_millis(500),
            ..ListenerConfig::default()
        },
    }
}

fn keychain(test: &str) -> KeyringStore {
    KeyringStore::new(format!(
        "app.advisordesk.test.firm-session.{test}.{}",
        std::process::id()
    ))
}

/// The administrator's invite for `member`, written, read back and accepted as the app does.
fn join(
    firm: &TestFirm,
    member: &TestMember,
    folder: &Path,
    secrets: &dyn SecretStore,
) -> FirmSettings {
    let invite = firm.invite_for(member, "Ruiz & Partners", FirmKey::generate(1).unwrap());
    let path = folder.join("ana.invite");
    write_invite(&path, &invite, PASSPHRASE).unwrap();
    accept_invite(secrets, read_invite(&path, PASSPHRASE).unwrap()).unwrap()
}

fn open(
    settings: FirmSettings,
    secrets: &dyn SecretStore,
) -> (FirmSession, Receiver<SessionEvent>) {
    let (events, received) = channel();
    let session = FirmSession::open(settings, secrets, options(), move |event| {
        let _ = events.send(event);
    })
    .unwrap();
    (session, received)
}

/// Waits for the first event `wanted` accepts, within `within`; returns it and how long it took.
fn wait_for(
    received: &Receiver<SessionEvent>,
    within: Duration,
    wanted: impl Fn(&SessionEvent) -> bool,
) -> (SessionEvent, Duration) {
    let start = Instant::now();
    loop {
        let left = within.saturating_sub(start.elapsed());
        match received.recv_timeout(left) {
            Ok(event) if wanted(&event) => return (event, start.elapsed()),
            Ok(_) => {}
            Err(_) => panic!("no such event within {within:?}"),
        }
    }
}

fn is_connected(event: &SessionEvent) -> bool {
    matches!(event, SessionEvent::Status(status) if status.is_connected())
}

fn is_unreachable(event: &SessionEvent) -> bool {
    matches!(event, SessionEvent::Status(FirmStatus::Unreachable { .. }))
}

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn a_session_hears_changes_and_follows_the_server_down_and_back() {
    let server = TestServer::start().unwrap();
    let firm = TestFirm::migrated_on(&server);
    let ana = firm.add_member("ana", MemberKind::Advisor);
    let folder = tempfile::tempdir().unwrap();
    let secrets = keychain("follows");
    let settings = join(&firm, &ana, folder.path(), &secrets);
    let (session, events) = open(settings.clone(), &secrets);

    wait_for(&events, WITHIN, is_connected);
    assert!(matches!(
        session.status(),
        FirmStatus::Connected { schema_version, .. } if schema_version == LATEST_VERSION
    ));
    assert!(session.store().is_some());

    // Another desktop (here the owner) adds a client and assigns it to Ana: her callback hears
    // it (a change reaches only the advisors serving its client, so the assignment is needed).
    let mut owner = firm.owner();
    let mut tx = owner.transaction().unwrap();
    let client: i64 = tx
        .query_one(
            "INSERT INTO clients (kind, name, created_at, updated_at) \
             VALUES ('person', 'Lucía Gómez', now(), now()) RETURNING id",
            &[],
        )
        .unwrap()
        .get(0);
    tx.execute(
        "INSERT INTO client_assignments (client_id, advisor_role) VALUES ($1, $2)",
        &[&client, &ana.role],
    )
    .unwrap();
    tx.commit().unwrap();
    drop(owner);
    let (change, _) = wait_for(&events, WITHIN, |e| matches!(e, SessionEvent::Changed(_)));
    let SessionEvent::Changed(change) = change else {
        unreachable!()
    };
    assert!(
        ["clients", "client_assignments"].contains(&change.table.as_str()),
        "{change:?}"
    );

    server.stop().unwrap();
    let (_, took) = wait_for(&events, WITHIN, is_unreachable);
    let FirmStatus::Unreachable { error, since } = session.status() else {
        panic!("{:?}", session.status())
    };
    assert_eq!(error.code, "firm_unreachable", "{}", error.message);
    assert!(!error.message.contains(&ana.password), "{}", error.message);
    eprintln!("unreachable noticed after {took:?}");

    // Still down a little later: the outage keeps its first time.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(matches!(session.status(), FirmStatus::Unreachable { since: s, .. } if s == since));

    server.start_again().unwrap();
    // Connected again, and — notices sent while the listener was away are lost — told to
    // re-read; the two come in either order (the listener may reconnect before the probe).
    let start = Instant::now();
    let (mut connected, mut resync) = (false, false);
    while !(connected && resync) {
        let left = (WITHIN * 2).saturating_sub(start.elapsed());
        let event = events
            .recv_timeout(left)
            .expect("connected again and a resync");
        connected |= is_connected(&event);
        resync |= event == SessionEvent::ResyncNeeded;
    }
    eprintln!(
        "connected again and resync asked after {:?}",
        start.elapsed()
    );
    // The pool works again for reads.
    let count: i64 = session
        .store()
        .unwrap()
        .read(|c| Ok(c.query_one("SELECT count(*) FROM clients", &[])?.get(0)))
        .unwrap();
    assert_eq!(count, 1, "the client assigned to Ana, and only it");

    session.close();
    forget(&secrets, &settings);
}

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn a_wrong_password_is_refused_with_its_code_and_never_shown() {
    let firm = TestFirm::migrated();
    let ana = firm.add_member("bea", MemberKind::Advisor);
    let folder = tempfile::tempdir().unwrap();
    let secrets = keychain("refused");
    let settings = join(&firm, &ana, folder.path(), &secrets);
    let wrong = "not-the-password-81f2";
    secrets
        .put(
            &keychain::password_entry(&settings.firm).unwrap(),
            &Secret::new(wrong),
        )
        .unwrap();
    let (session, events) = open(settings.clone(), &secrets);
    wait_for(&events, WITHIN, is_unreachable);
    let FirmStatus::Unreachable { error, .. } = session.status() else {
        panic!("{:?}", session.status())
    };
    assert_eq!(error.code, "firm_sign_in_refused", "{}", error.message);
    assert!(!error.message.contains(wrong), "{}", error.message);
    session.close();
    forget(&secrets, &settings);
}

#[test]
#[ignore = "needs a Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test ... -- --include-ignored"]
fn without_the_role_password_in_the_keychain_firm_mode_does_not_start() {
    let firm = TestFirm::migrated();
    let ana = firm.add_member("cai", MemberKind::Advisor);
    let folder = tempfile::tempdir().unwrap();
    let secrets = keychain("missing");
    let settings = join(&firm, &ana, folder.path(), &secrets);
    forget(&secrets, &settings);
    let refused = FirmSession::open(settings, &secrets, options(), |_| {}).err();
    assert!(
        matches!(refused, Some(SessionError::PasswordMissing)),
        "{refused:?}"
    );
}

fn forget(secrets: &dyn SecretStore, settings: &FirmSettings) {
    secrets
        .delete(&keychain::password_entry(&settings.firm).unwrap())
        .unwrap();
    for version in &settings.key_versions {
        secrets
            .delete(&keychain::key_entry(&settings.firm, *version).unwrap())
            .unwrap();
    }
}

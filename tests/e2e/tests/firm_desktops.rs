//! Two and three desktops of one firm in real app windows, at the same time, on one real
//! PostgreSQL firm database the test starts itself. Each desktop is its own app (data folder,
//! keychain namespace, XDG folders, driver session) joined through Settings → Firm as its own
//! member. The firm's owner assigns "Shared" to Ana and Ben and "Only Ana's" to Ana: Ana's book
//! page shows both, Ben's only "Shared", and Ben cannot open Ana's client by its id. A client
//! added while the windows are open reaches every book page it belongs on within seconds, with
//! no reload (the delay is printed). With three windows (a compliance officer's the third), a
//! change made as Ana reaches the other two, and one desktop quitting leaves the others as they
//! were.
//!
//! The new clients are written through the crate (as the owner, or as Ana's role), not through a
//! window's "Add client": the windows do not add clients in firm mode yet.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use advisor_desk_core::clients::{ClientKind, Language};
use advisor_desk_core::store::queries::clients::write::ClientRow;
use advisor_desk_core::time;
use advisor_desk_e2e::desktop::Desktop;
use advisor_desk_e2e::firm::{status_is, AdminKey};
use advisor_desk_e2e::ui::{doc_shot, js, park_pointer};
use advisor_desk_e2e::ACTION;
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::queries::clients;
use advisor_desk_firm::test_firm::{TestFirm, TestMember};

/// The issue asks for a change on one desktop to show on the others "within seconds".
const WITHIN: Duration = Duration::from_secs(5);
/// How often the windows are looked at while waiting for a change: the measured delay's
/// resolution (plus one WebDriver round trip per window).
const POLL: Duration = Duration::from_millis(25);

/// The tests take turns: five app windows at once would only slow each other down.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The names on the book page, or null while it is still loading.
const BOOK_NAMES: &str = "
    if (!document.querySelector('[data-testid=book-table], [data-testid=book-empty]')) return null;
    return [...document.querySelectorAll('[data-testid=book-row] [data-testid=book-name]')]
        .map((a) => a.textContent.trim());";

/// Set before a change and looked for after it: a page reloaded to show the change has lost it.
const MARK: &str = "window.__firmDesktopsMark = 'not reloaded'; return 1";
const MARKED: &str = "return window.__firmDesktopsMark === 'not reloaded'";

fn book_names(desktop: &Desktop) -> Option<BTreeSet<String>> {
    serde_json::from_value(js(&desktop.app.session, BOOK_NAMES)).unwrap_or(None)
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|n| n.to_string()).collect()
}

/// Opens the book page and waits until it shows exactly `expected`.
fn book_shows(desktop: &Desktop, expected: &[&str]) {
    js(&desktop.app.session, "location.hash = '#/'; return 1");
    let expected = names(expected);
    let deadline = Instant::now() + ACTION;
    loop {
        let shown = book_names(desktop);
        if shown.as_ref() == Some(&expected) {
            return;
        }
        if Instant::now() > deadline {
            desktop.fail(&format!("the book shows {shown:?}, not {expected:?}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A client added by `by` (the owner, or a member's role) and assigned to each of `to`, in one
/// transaction: what an advisor's "Add client" with a colleague to share it with writes. A
/// member's new client is assigned to them by the schema itself. Returns its id.
fn add_client(by: &mut postgres::Client, name: &str, to: &[&TestMember]) -> i64 {
    let mut tx = by.transaction().expect("begin");
    let row = ClientRow {
        kind: ClientKind::Person,
        name,
        email: None,
        phone: None,
        notes: "",
        language: Language::Es,
    };
    let id = clients::write::insert(&mut tx, &row, time::now()).expect("insert the client");
    for member in to {
        tx.execute(
            "INSERT INTO client_assignments (client_id, advisor_role, kind)
             VALUES ($1, $2, 'assigned') ON CONFLICT DO NOTHING",
            &[&id, &member.role],
        )
        .expect("assign the client");
    }
    tx.commit().expect("commit the new client");
    id
}

/// Waits until each of `desktops`' book pages (open, marked) lists `name`, and returns how long
/// after `committed` each first did. Fails past [`WITHIN`], or when a page was reloaded.
fn seen_live(desktops: &[&Desktop], name: &str, committed: Instant) -> Vec<Duration> {
    let script = format!(
        "return [...document.querySelectorAll('[data-testid=book-row] [data-testid=book-name]')]
            .some((a) => a.textContent.trim() === {})",
        serde_json::to_string(name).unwrap()
    );
    let mut seen: Vec<Option<Duration>> = vec![None; desktops.len()];
    while seen.iter().any(Option::is_none) {
        for (desktop, when) in desktops.iter().zip(seen.iter_mut()) {
            if when.is_none() && js(&desktop.app.session, &script) == serde_json::json!(true) {
                *when = Some(committed.elapsed());
            }
        }
        if committed.elapsed() > WITHIN {
            let late = desktops
                .iter()
                .zip(&seen)
                .find(|(_, when)| when.is_none())
                .map(|(d, _)| d)
                .unwrap();
            late.fail(&format!(
                "{name} not on the book page {WITHIN:?} after the commit"
            ));
        }
        std::thread::sleep(POLL);
    }
    for desktop in desktops {
        if js(&desktop.app.session, MARKED) != serde_json::json!(true) {
            desktop.fail("the book page was reloaded to show the change");
        }
    }
    seen.into_iter().map(Option::unwrap).collect()
}

fn mark(desktops: &[&Desktop]) {
    for desktop in desktops {
        js(&desktop.app.session, MARK);
    }
}

fn report(what: &str, desktops: &[&Desktop], delays: &[Duration]) {
    for (desktop, delay) in desktops.iter().zip(delays) {
        eprintln!(
            "{what}: on {}'s book page {} ms after the commit",
            desktop.name,
            delay.as_millis()
        );
    }
}

/// Opens client `id`'s page by its address, as a link or a typed URL would.
fn open_client(desktop: &Desktop, id: i64) {
    js(
        &desktop.app.session,
        &format!("location.hash = '#/client/{id}'; return 1"),
    );
}

fn client_page_shows(desktop: &Desktop, id: i64, name: &str) {
    open_client(desktop, id);
    let s = &desktop.app.session;
    s.wait_for_text("[data-testid=client-name]", ACTION, |t| t.contains(name))
        .unwrap_or_else(|e| desktop.fail(&format!("client {id}'s page: {e}")));
}

/// The page of a client the desktop's member does not serve says it is not there, and shows
/// nothing of it.
fn client_page_refused(desktop: &Desktop, id: i64, name: &str) {
    open_client(desktop, id);
    let s = &desktop.app.session;
    let error = s
        .wait_for_css("[data-testid=client-error]", ACTION)
        .unwrap_or_else(|e| desktop.fail(&format!("client {id} refused: {e}")));
    let said = s.text(&error).unwrap();
    eprintln!("{} opening client {id}: {said:?}", desktop.name);
    assert!(
        said.to_lowercase().contains("not found"),
        "{}: client {id} is said to be missing, not another error: {said}",
        desktop.name
    );
    let page = js(s, "return document.body.innerText");
    let page = page.as_str().unwrap_or_default();
    assert!(
        !page.contains(name),
        "{}: {name} on the page: {page}",
        desktop.name
    );
    assert!(s.find_all("[data-testid=client-name]").unwrap().is_empty());
}

/// Nothing on the window says the firm is out of reach, and Settings → Firm says connected.
fn still_connected(desktop: &Desktop) {
    let s = &desktop.app.session;
    assert!(
        s.find_all("[data-testid=firm-banner]").unwrap().is_empty(),
        "{}: the firm banner is up",
        desktop.name
    );
    js(s, "location.hash = '#/settings'; return 1");
    status_is(&desktop.app, &desktop.name, "connected", "still connected");
}

fn shot(desktop: &Desktop, name: &str) {
    park_pointer(&desktop.app);
    let path = doc_shot(&desktop.app.session, name);
    eprintln!("screenshot: {}", path.display());
}

/// Ana's and Ben's desktops on a fresh firm whose owner has assigned "Shared" to both and
/// "Only Ana's" to Ana only, each book page showing what it should; the test's turn is held
/// while they run.
struct TwoAdvisors {
    // The desktops are declared first: they close before their firm's database goes.
    ana: Desktop,
    ben: Desktop,
    shared: i64,
    only_ana: i64,
    admin: AdminKey,
    firm: TestFirm,
    /// Bound by name where taken apart (`_turn`, not `..`), so the turn lasts the whole test.
    _turn: MutexGuard<'static, ()>,
}

impl TwoAdvisors {
    fn open(test: &str) -> TwoAdvisors {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let firm = TestFirm::migrated();
        let admin = AdminKey::generate(&firm);
        let ana = Desktop::joined(&firm, &admin, test, "ana", MemberKind::Advisor);
        let ben = Desktop::joined(&firm, &admin, test, "ben", MemberKind::Advisor);
        let mut owner = firm.owner();
        let shared = add_client(&mut owner, "Shared", &[&ana.member, &ben.member]);
        let only_ana = add_client(&mut owner, "Only Ana's", &[&ana.member]);
        book_shows(&ana, &["Only Ana's", "Shared"]);
        book_shows(&ben, &["Shared"]);
        TwoAdvisors {
            ana,
            ben,
            shared,
            only_ana,
            admin,
            firm,
            _turn: turn,
        }
    }
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn two_desktops_see_their_shared_client_not_each_others_and_a_new_one_live() {
    let TwoAdvisors {
        ana,
        ben,
        shared,
        only_ana,
        firm,
        _turn,
        ..
    } = TwoAdvisors::open("firm-desktops-two");

    // By its id: Ben cannot open Ana's client; both open the one they share.
    client_page_refused(&ben, only_ana, "Only Ana's");
    client_page_shows(&ben, shared, "Shared");
    client_page_shows(&ana, only_ana, "Only Ana's");

    // Live: both book pages open, a client for both added by the owner.
    book_shows(&ana, &["Only Ana's", "Shared"]);
    book_shows(&ben, &["Shared"]);
    mark(&[&ana, &ben]);
    let committed = {
        add_client(
            &mut firm.owner(),
            "Nuevo para los dos",
            &[&ana.member, &ben.member],
        );
        Instant::now()
    };
    let delays = seen_live(&[&ana, &ben], "Nuevo para los dos", committed);
    report("the owner's new client", &[&ana, &ben], &delays);
    book_shows(&ana, &["Nuevo para los dos", "Only Ana's", "Shared"]);
    book_shows(&ben, &["Nuevo para los dos", "Shared"]);
    shot(&ana, "firm-desktop-ana");
    shot(&ben, "firm-desktop-ben");

    ben.quit();
    ana.quit();
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn three_desktops_see_one_change_and_carry_on_when_one_quits() {
    let TwoAdvisors {
        ana,
        ben,
        admin,
        firm,
        _turn,
        ..
    } = TwoAdvisors::open("firm-desktops-three");
    // The third desktop: the compliance officer's, who reads the whole book.
    let cleo = Desktop::joined(
        &firm,
        &admin,
        "firm-desktops-three",
        "cleo",
        MemberKind::Compliance,
    );
    book_shows(&cleo, &["Only Ana's", "Shared"]);

    // Ana adds a client she shares with Ben (through her own role): Ben and Cleo see it.
    let mut as_ana = firm.connect_as(&ana.member);
    mark(&[&ana, &ben, &cleo]);
    let committed = {
        add_client(&mut as_ana, "Cliente de Ana y Ben", &[&ben.member]);
        Instant::now()
    };
    let delays = seen_live(&[&ben, &cleo, &ana], "Cliente de Ana y Ben", committed);
    report("Ana's new client", &[&ben, &cleo, &ana], &delays);

    // Ben's desktop quits; Ana's next client reaches Cleo all the same.
    ben.quit();
    let committed = {
        add_client(&mut as_ana, "Después de Ben", &[]);
        Instant::now()
    };
    let delays = seen_live(&[&cleo, &ana], "Después de Ben", committed);
    report("Ana's client after Ben quit", &[&cleo, &ana], &delays);
    book_shows(
        &ana,
        &[
            "Cliente de Ana y Ben",
            "Después de Ben",
            "Only Ana's",
            "Shared",
        ],
    );
    book_shows(
        &cleo,
        &[
            "Cliente de Ana y Ben",
            "Después de Ben",
            "Only Ana's",
            "Shared",
        ],
    );
    still_connected(&ana);
    still_connected(&cleo);

    cleo.quit();
    ana.quit();
}

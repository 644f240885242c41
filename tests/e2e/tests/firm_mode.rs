//! Firm mode in the real window, against a real PostgreSQL server the test starts itself: the
//! administrator's invite (written with the core's own invite code for a member of a migrated
//! firm), joined through Settings → Firm with its file and passphrase; the status shows the
//! firm, its role, server and schema; the server stopped → the plain banner; started again →
//! the banner gone and the status connected. Screenshots in English and Spanish.

use advisor_desk_core::firm::FirmKey;
use advisor_desk_e2e::firm::{self, write_member_invite, NOTICED, PASSPHRASE};
use advisor_desk_e2e::ui::{click, doc_shot, js, park_pointer, switch_language, wait_js};
use advisor_desk_e2e::{AppHome, RunningApp, ACTION};
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::test_firm::TestFirm;
use advisor_desk_firm::test_server::TestServer;

const NAME: &str = "firm-mode";

fn status_is(app: &RunningApp, state: &str, what: &str) {
    firm::status_is(app, NAME, state, what);
}

fn banner_shown(app: &RunningApp, shown: bool) {
    wait_js(
        app,
        NAME,
        if shown {
            "the banner"
        } else {
            "the banner gone"
        },
        &format!(
            "return (document.querySelector('[data-testid=firm-banner]') !== null) === {shown}"
        ),
        NOTICED,
    );
}

fn type_into(app: &RunningApp, css: &str, text: &str) {
    firm::type_into(app, NAME, css, text);
}

fn show_firm_section(app: &RunningApp) {
    js(
        &app.session,
        "document.querySelector('[data-testid=firm-section]').scrollIntoView({block: 'start'}); \
         document.querySelector('main')?.scrollTo?.(0, 0); return 1",
    );
    park_pointer(app);
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn joining_a_firm_shows_it_and_a_stopped_server_shows_the_banner_until_it_is_back() {
    let server = TestServer::start().expect("start a PostgreSQL server");
    let firm = TestFirm::migrated_on(&server);
    let ana = firm.add_member("ana", MemberKind::Advisor);

    let home = AppHome::new();
    let invite_path = home.data_dir().with_file_name("ana.invite");
    write_member_invite(&firm, &ana, FirmKey::generate(1).unwrap(), &invite_path);

    let app = RunningApp::start_until(&home, NAME, "[data-testid=sandbox-badge]");
    let s = &app.session;
    s.execute("location.hash = '#/settings'", vec![]).unwrap();
    s.wait_for_css("[data-testid=firm-solo]", ACTION)
        .unwrap_or_else(|e| app.fail(NAME, &format!("solo mode first: {e}")));

    // Join with the invite file and its passphrase.
    type_into(
        &app,
        "[data-testid=firm-invite-path]",
        invite_path.to_str().unwrap(),
    );
    type_into(&app, "[data-testid=firm-passphrase]", PASSPHRASE);
    click(&app, NAME, "[data-testid=firm-join]");
    status_is(&app, "connected", "connected to the firm");
    let facts = s
        .text(&s.find("[data-testid=firm-facts]").unwrap())
        .unwrap();
    for expected in [
        "Ruiz & Partners",
        ana.role.as_str(),
        &format!("127.0.0.1:{}/{}", firm.database.port, firm.database.name),
        "Connected since",
    ] {
        assert!(facts.contains(expected), "{expected} in {facts}");
    }
    assert!(!facts.contains(&ana.password), "no password on screen");
    assert!(s.find("[data-testid=firm-schema]").is_ok());
    assert!(s.find_all("[data-testid=firm-banner]").unwrap().is_empty());
    show_firm_section(&app);
    let joined_en = doc_shot(s, "firm-mode-en");

    // The server goes away: the banner says so, and the status says since when.
    server.stop().unwrap();
    banner_shown(&app, true);
    status_is(&app, "unreachable", "the status unreachable");
    let banner = s
        .text(&s.find("[data-testid=firm-banner]").unwrap())
        .unwrap();
    assert!(
        banner.contains("The firm's database cannot be reached since")
            && banner.contains("firm mode picks up again by itself as soon as it answers"),
        "{banner}"
    );
    show_firm_section(&app);
    let down_en = doc_shot(s, "firm-unreachable-en");
    switch_language(&app, NAME, "es", "Hogares");
    s.wait_for_text("[data-testid=firm-banner]", ACTION, |t| {
        t.contains("No se puede acceder a la base de datos de la firma")
    })
    .unwrap_or_else(|e| app.fail(NAME, &format!("the banner in Spanish: {e}")));
    show_firm_section(&app);
    let down_es = doc_shot(s, "firm-unreachable-es");

    // Back: the banner goes, the status is connected again.
    server.start_again().unwrap();
    banner_shown(&app, false);
    status_is(&app, "connected", "connected again");
    s.wait_for_text("[data-testid=firm-status]", ACTION, |t| {
        t.contains("Conectado desde")
    })
    .unwrap_or_else(|e| app.fail(NAME, &format!("the status in Spanish: {e}")));
    show_firm_section(&app);
    let joined_es = doc_shot(s, "firm-mode-es");
    switch_language(&app, NAME, "en", "Households");

    // Leaving goes back to the solo book.
    click(&app, NAME, "[data-testid=firm-leave]");
    click(&app, NAME, "[data-testid=firm-leave-yes]");
    s.wait_for_css("[data-testid=firm-solo]", ACTION)
        .unwrap_or_else(|e| app.fail(NAME, &format!("solo again: {e}")));
    assert!(!home.data_dir().join("firm-mode.json").exists());

    eprintln!(
        "screenshots: {} {} {} {}",
        joined_en.display(),
        down_en.display(),
        down_es.display(),
        joined_es.display()
    );
    app.quit();
}

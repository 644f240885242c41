//! The book's writes in firm mode on a real PostgreSQL server: an advisor adds a client (assigned
//! to them, so they see it; another advisor does not), sets its contact, builds a household and
//! moves its members under the solo book's rules, each change audited under their role; a bad
//! input and another advisor's client are refused with nothing written; a stopped server is
//! `firm_unreachable`.

use advisor_desk_core::clients::{ClientKind, Language, NewClient};
use advisor_desk_core::{CoreError, ErrorCode};
use advisor_desk_firm::book_writes::{clients, households};
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::test_firm::{TestFirm, TestMember};
use advisor_desk_firm::test_server::TestServer;
use advisor_desk_firm::{FirmDbConfig, FirmStore};

fn store(firm: &TestFirm, member: &TestMember) -> FirmStore {
    FirmStore::connect(&FirmDbConfig::new(firm.url_for(member)).with_pool_size(1)).unwrap()
}

fn person(name: &str) -> NewClient {
    NewClient {
        name: name.into(),
        ..Default::default()
    }
}

fn code<T: std::fmt::Debug>(result: Result<T, CoreError>) -> &'static str {
    result.unwrap_err().code().as_str()
}

/// (actor_role, client_id, action, detail) of every audit entry, oldest first, as stored.
fn audit(firm: &TestFirm) -> Vec<(String, Option<i64>, String, String)> {
    firm.superuser()
        .query(
            "SELECT actor_role, client_id, action, detail FROM audit_log ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

fn visible_clients(store: &FirmStore) -> Vec<String> {
    store
        .reading(|r| advisor_desk_core::clients::list_from(r, false))
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect()
}

#[test]
fn an_advisor_adds_a_client_that_is_theirs_and_sets_its_contact() {
    let firm = TestFirm::migrated();
    let ana = firm.add_member("ana", MemberKind::Advisor);
    let bo = firm.add_member("bo", MemberKind::Advisor);
    let (as_ana, as_bo) = (store(&firm, &ana), store(&firm, &bo));

    let carla = clients::add(
        &as_ana,
        &NewClient {
            name: "  Carla Ruiz ".into(),
            email: Some("carla@example.es".into()),
            ..Default::default()
        },
        "advisor",
    )
    .unwrap();
    assert_eq!(
        (carla.name.as_str(), carla.kind, carla.archived),
        ("Carla Ruiz", ClientKind::Person, false)
    );
    assert_eq!(visible_clients(&as_ana), ["Carla Ruiz"]);
    assert!(visible_clients(&as_bo).is_empty(), "Bo does not serve her");
    let assigned: Vec<String> = firm
        .superuser()
        .query(
            "SELECT advisor_role FROM client_assignments WHERE client_id = $1",
            &[&carla.id],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(assigned, [ana.role.as_str()]);

    // Bad input is refused as the solo book refuses it, and nothing is written.
    let bad = clients::add(
        &as_ana,
        &NewClient {
            name: "Dario".into(),
            email: Some("nope".into()),
            ..Default::default()
        },
        "advisor",
    );
    assert_eq!(code(bad), "invalid_input");
    assert_eq!(visible_clients(&as_ana), ["Carla Ruiz"]);

    let changed = clients::set_contact(
        &as_ana,
        carla.id,
        &Some(" c@ruiz.es ".into()),
        Language::Es,
        "advisor",
    )
    .unwrap();
    assert_eq!(
        (changed.email.as_deref(), changed.language),
        (Some("c@ruiz.es"), Language::Es)
    );
    let by_bo = clients::set_contact(&as_bo, carla.id, &None, Language::En, "advisor");
    assert_eq!(
        code(by_bo),
        "not_found",
        "another advisor's client is not theirs to change"
    );
    let bad_email = clients::set_contact(
        &as_ana,
        carla.id,
        &Some("x".into()),
        Language::En,
        "advisor",
    );
    assert_eq!(code(bad_email), "invalid_input");

    assert_eq!(
        audit(&firm),
        [
            (
                ana.role.clone(),
                Some(carla.id),
                "client.added".into(),
                String::new()
            ),
            (
                ana.role.clone(),
                Some(carla.id),
                "client.contact_changed".into(),
                "es".into()
            ),
        ]
    );
}

#[test]
fn households_keep_the_solo_books_rules_and_every_change_is_audited() {
    let firm = TestFirm::migrated();
    let ana = firm.add_member("ana", MemberKind::Advisor);
    let bo = firm.add_member("bo", MemberKind::Advisor);
    let (as_ana, as_bo) = (store(&firm, &ana), store(&firm, &bo));
    let add = |s: &FirmStore, name: &str| clients::add(s, &person(name), "advisor").unwrap().id;
    let (luis, marta) = (add(&as_ana, "Luis"), add(&as_ana, "Marta"));
    let family = clients::add(
        &as_ana,
        &NewClient {
            kind: Some(ClientKind::Household),
            name: "Gil family".into(),
            ..Default::default()
        },
        "advisor",
    )
    .unwrap()
    .id;
    let bos_client = add(&as_bo, "Nora");

    assert_eq!(
        code(households::create(&as_ana, "  ", "advisor")),
        "invalid_input"
    );
    let ruiz = households::create(&as_ana, "Ruiz", "advisor").unwrap();
    let gil = households::create(&as_ana, "Gil", "advisor").unwrap();
    assert_eq!(ruiz.name, "Ruiz");

    households::add_member(&as_ana, ruiz.id, luis, "advisor").unwrap();
    households::add_member(&as_ana, ruiz.id, marta, "advisor").unwrap();
    let again = households::add_member(&as_ana, ruiz.id, luis, "advisor").unwrap_err();
    assert!(
        again
            .to_string()
            .contains("already a member of this household"),
        "{again}"
    );
    let elsewhere = households::add_member(&as_ana, gil.id, luis, "advisor").unwrap_err();
    assert!(
        elsewhere.to_string().contains("move them instead"),
        "{elsewhere}"
    );
    assert_eq!(
        code(households::add_member(&as_ana, gil.id, family, "advisor")),
        "invalid_input"
    );
    assert_eq!(
        code(households::add_member(
            &as_ana, gil.id, bos_client, "advisor"
        )),
        "not_found",
        "a client Ana does not serve"
    );
    assert_eq!(
        code(households::add_member(&as_ana, 9_999, luis, "advisor")),
        "not_found"
    );
    assert_eq!(
        code(households::add_member(
            &as_bo, ruiz.id, bos_client, "advisor"
        )),
        "not_found",
        "Bo cannot see Ana's household"
    );

    let members = |h: i64| {
        as_ana
            .reading(|r| {
                advisor_desk_core::store::book_reads::BookReads::household_member_ids(r, h)
            })
            .unwrap()
    };
    assert_eq!(members(ruiz.id), [luis, marta]);
    households::move_member(&as_ana, marta, gil.id, "advisor").unwrap();
    assert_eq!(
        (members(ruiz.id), members(gil.id)),
        (vec![luis], vec![marta])
    );
    // The households page and the book by household read them back (the core's read models).
    let listed = as_ana
        .reading(|r| advisor_desk_core::households::list_from(r))
        .unwrap();
    let named: Vec<(&str, Vec<&str>)> = listed
        .iter()
        .map(|h| {
            let members = h.members.iter().map(|c| c.name.as_str()).collect();
            (h.household.name.as_str(), members)
        })
        .collect();
    assert_eq!(named, [("Gil", vec!["Marta"]), ("Ruiz", vec!["Luis"])]);
    let book = as_ana
        .reading(|r| {
            advisor_desk_core::households::book::book_by_household_from(
                r,
                advisor_desk_core::time::now(),
            )
        })
        .unwrap();
    assert_eq!(book.households.len(), 2);
    let people: Vec<i64> = book.people.iter().map(|p| p.client_id).collect();
    assert_eq!(people, [family], "the household client is in none");
    assert!(
        as_bo
            .reading(|r| advisor_desk_core::households::list_from(r))
            .unwrap()
            .is_empty(),
        "Bo sees none of Ana's households"
    );
    assert_eq!(
        code(households::remove_member(
            &as_ana, ruiz.id, marta, "advisor"
        )),
        "not_found"
    );
    households::remove_member(&as_ana, gil.id, marta, "advisor").unwrap();
    let not_in_one = households::move_member(&as_ana, marta, ruiz.id, "advisor").unwrap_err();
    assert!(
        not_in_one.to_string().contains("add them instead"),
        "{not_in_one}"
    );
    households::delete(&as_ana, ruiz.id, "advisor").unwrap();
    assert_eq!(
        code(households::delete(&as_ana, ruiz.id, "advisor")),
        "not_found"
    );
    let clients_left = visible_clients(&as_ana);
    assert_eq!(
        clients_left,
        ["Gil family", "Luis", "Marta"],
        "members stay clients"
    );

    let actions: Vec<(Option<i64>, String)> = audit(&firm)
        .into_iter()
        .filter(|(role, _, action, _)| *role == ana.role && action.starts_with("household."))
        .map(|(_, client, action, _)| (client, action))
        .collect();
    let h = |a: &str| (None, format!("household.{a}"));
    let m = |c: i64, a: &str| (Some(c), format!("household.{a}"));
    assert_eq!(
        actions,
        [
            h("created"),
            h("created"),
            m(luis, "member_added"),
            m(marta, "member_added"),
            m(marta, "member_moved"),
            m(marta, "member_removed"),
            m(luis, "member_removed"),
            h("deleted"),
        ]
    );
}

#[test]
fn a_write_to_a_stopped_server_is_firm_unreachable_and_changes_nothing() {
    let server = TestServer::start().expect("start a PostgreSQL server");
    let firm = TestFirm::migrated_on(&server);
    let ana = firm.add_member("ana", MemberKind::Advisor);
    let as_ana = FirmStore::connect(
        &FirmDbConfig::new(firm.url_for(&ana))
            .with_pool_size(1)
            .with_connect_timeout(std::time::Duration::from_secs(2)),
    )
    .unwrap();
    clients::add(&as_ana, &person("Luis"), "advisor").unwrap();
    server.stop().unwrap();
    let refused = clients::add(&as_ana, &person("Marta"), "advisor").unwrap_err();
    assert_eq!(refused.code(), ErrorCode::FirmUnreachable, "{refused}");
    let read = as_ana.reading(|r| advisor_desk_core::clients::list_from(r, false));
    assert_eq!(read.unwrap_err().code(), ErrorCode::FirmUnreachable);
    server.start_again().unwrap();
    assert_eq!(visible_clients(&as_ana), ["Luis"]);
}

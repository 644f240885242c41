use super::*;
use crate::clients::NewClient;
use crate::ErrorCode;

fn store() -> Store {
    Store::open_in_memory().unwrap()
}

fn person(s: &Store, name: &str) -> i64 {
    crate::clients::add(
        s,
        &NewClient {
            name: name.into(),
            ..Default::default()
        },
        "test",
    )
    .unwrap()
    .id
}

fn actions(s: &Store) -> Vec<(String, Option<i64>, String)> {
    let mut log: Vec<_> = s
        .audit_log(100)
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("household."))
        .map(|e| (e.action, e.client_id, e.detail))
        .collect();
    log.reverse();
    log
}

#[test]
fn members_are_added_moved_and_removed_each_audited() {
    let s = store();
    let ana = person(&s, "Ana");
    let pedro = person(&s, "Pedro");
    let ruiz = crate::households::create(&s, " Ruiz family ", "test").unwrap();
    let gomez = crate::households::create(&s, "Gómez", "test").unwrap();
    assert_eq!(ruiz.name, "Ruiz family");

    crate::households::add_member(&s, ruiz.id, ana, "test").unwrap();
    crate::households::add_member(&s, ruiz.id, pedro, "test").unwrap();
    crate::households::move_member(&s, pedro, gomez.id, "test").unwrap();
    assert_eq!(
        crate::households::of_client(&s, pedro).unwrap().unwrap().id,
        gomez.id
    );
    crate::households::remove_member(&s, ruiz.id, ana, "test").unwrap();
    assert_eq!(crate::households::of_client(&s, ana).unwrap(), None);

    let all = crate::households::list(&s).unwrap();
    let names: Vec<_> = all.iter().map(|h| h.household.name.as_str()).collect();
    assert_eq!(names, ["Gómez", "Ruiz family"]);
    assert_eq!(
        all[0].members.iter().map(|c| c.id).collect::<Vec<_>>(),
        [pedro]
    );
    assert!(all[1].members.is_empty());

    let r = format!("household {}", ruiz.id);
    assert_eq!(
        actions(&s),
        [
            ("household.created".into(), None, r.clone()),
            (
                "household.created".into(),
                None,
                format!("household {}", gomez.id)
            ),
            ("household.member_added".into(), Some(ana), r.clone()),
            ("household.member_added".into(), Some(pedro), r.clone()),
            (
                "household.member_moved".into(),
                Some(pedro),
                format!("household {} -> household {}", ruiz.id, gomez.id)
            ),
            ("household.member_removed".into(), Some(ana), r),
        ]
    );
}

#[test]
fn a_client_belongs_to_at_most_one_household() {
    let s = store();
    let ana = person(&s, "Ana");
    let a = crate::households::create(&s, "A", "test").unwrap();
    let b = crate::households::create(&s, "B", "test").unwrap();
    crate::households::add_member(&s, a.id, ana, "test").unwrap();

    let err = crate::households::add_member(&s, b.id, ana, "test").unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("move them instead"), "{err}");
    let err = crate::households::add_member(&s, a.id, ana, "test").unwrap_err();
    assert!(err.to_string().contains("already a member"), "{err}");

    // The schema itself refuses a second membership, whatever the code above does.
    let err = s
        .write(|tx| {
            crate::store::queries::households::write::insert_member(
                tx,
                b.id,
                ana,
                "2026-01-01T00:00:00.000Z",
            )
        })
        .unwrap_err();
    assert!(err.to_string().contains("UNIQUE"), "{err}");
    assert_eq!(
        crate::households::of_client(&s, ana).unwrap().unwrap().id,
        a.id
    );
}

#[test]
fn household_clients_archived_clients_and_unknown_ids_are_refused() {
    let s = store();
    let h = crate::households::create(&s, "H", "test").unwrap();
    let family = crate::clients::add(
        &s,
        &NewClient {
            kind: Some(ClientKind::Household),
            name: "Álvarez family".into(),
            ..Default::default()
        },
        "test",
    )
    .unwrap()
    .id;
    let err = crate::households::add_member(&s, h.id, family, "test").unwrap_err();
    assert!(err.to_string().contains("recorded as a household"), "{err}");
    // The schema's trigger refuses it too.
    let err = s
        .write(|tx| {
            crate::store::queries::households::write::insert_member(
                tx,
                h.id,
                family,
                "2026-01-01T00:00:00.000Z",
            )
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot be a household member"),
        "{err}"
    );

    let gone = person(&s, "Gone");
    crate::clients::archive(&s, gone, "test").unwrap();
    let err = crate::households::add_member(&s, h.id, gone, "test").unwrap_err();
    assert!(err.to_string().contains("archived"), "{err}");

    let ana = person(&s, "Ana");
    assert_eq!(
        crate::households::add_member(&s, 999, ana, "t")
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        crate::households::add_member(&s, h.id, 999, "t")
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        crate::households::remove_member(&s, h.id, ana, "t")
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    let err = crate::households::move_member(&s, ana, h.id, "t").unwrap_err();
    assert!(err.to_string().contains("add them instead"), "{err}");
    assert_eq!(
        crate::households::create(&s, "  ", "t").unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert!(actions(&s).iter().all(|(a, ..)| a == "household.created"));
}

#[test]
fn deleting_a_household_keeps_its_members_and_audits_their_leaving() {
    let s = store();
    let ana = person(&s, "Ana");
    let h = crate::households::create(&s, "H", "test").unwrap();
    crate::households::add_member(&s, h.id, ana, "test").unwrap();
    crate::households::rename(&s, h.id, "Renamed", "test").unwrap();
    crate::households::delete(&s, h.id, "test").unwrap();
    assert_eq!(
        crate::households::get(&s, h.id).unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(crate::clients::get(&s, ana).unwrap().name, "Ana");
    let tail: Vec<_> = actions(&s).into_iter().map(|(a, ..)| a).skip(2).collect();
    assert_eq!(
        tail,
        [
            "household.renamed",
            "household.member_removed",
            "household.deleted"
        ]
    );
}

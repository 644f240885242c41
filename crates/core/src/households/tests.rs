use super::*;
use crate::clients::NewClient;
use crate::ErrorCode;

fn store() -> Store {
    Store::open_in_memory().unwrap()
}

fn person(s: &Store, name: &str) -> i64 {
    s.add_client(
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
    let ruiz = s.create_household(" Ruiz family ", "test").unwrap();
    let gomez = s.create_household("Gómez", "test").unwrap();
    assert_eq!(ruiz.name, "Ruiz family");

    s.add_household_member(ruiz.id, ana, "test").unwrap();
    s.add_household_member(ruiz.id, pedro, "test").unwrap();
    s.move_household_member(pedro, gomez.id, "test").unwrap();
    assert_eq!(s.household_of(pedro).unwrap().unwrap().id, gomez.id);
    s.remove_household_member(ruiz.id, ana, "test").unwrap();
    assert_eq!(s.household_of(ana).unwrap(), None);

    let all = s.households().unwrap();
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
    let a = s.create_household("A", "test").unwrap();
    let b = s.create_household("B", "test").unwrap();
    s.add_household_member(a.id, ana, "test").unwrap();

    let err = s.add_household_member(b.id, ana, "test").unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("move them instead"), "{err}");
    let err = s.add_household_member(a.id, ana, "test").unwrap_err();
    assert!(err.to_string().contains("already a member"), "{err}");

    // The schema itself refuses a second membership, whatever the code above does.
    let err = s
        .write(|tx| queries::insert_member(tx, b.id, ana, "2026-01-01T00:00:00.000Z"))
        .unwrap_err();
    assert!(err.to_string().contains("UNIQUE"), "{err}");
    assert_eq!(s.household_of(ana).unwrap().unwrap().id, a.id);
}

#[test]
fn household_clients_archived_clients_and_unknown_ids_are_refused() {
    let s = store();
    let h = s.create_household("H", "test").unwrap();
    let family = s
        .add_client(
            &NewClient {
                kind: Some(ClientKind::Household),
                name: "Álvarez family".into(),
                ..Default::default()
            },
            "test",
        )
        .unwrap()
        .id;
    let err = s.add_household_member(h.id, family, "test").unwrap_err();
    assert!(err.to_string().contains("recorded as a household"), "{err}");
    // The schema's trigger refuses it too.
    let err = s
        .write(|tx| queries::insert_member(tx, h.id, family, "2026-01-01T00:00:00.000Z"))
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot be a household member"),
        "{err}"
    );

    let gone = person(&s, "Gone");
    s.archive_client(gone, "test").unwrap();
    let err = s.add_household_member(h.id, gone, "test").unwrap_err();
    assert!(err.to_string().contains("archived"), "{err}");

    let ana = person(&s, "Ana");
    assert_eq!(
        s.add_household_member(999, ana, "t").unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        s.add_household_member(h.id, 999, "t").unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        s.remove_household_member(h.id, ana, "t")
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    let err = s.move_household_member(ana, h.id, "t").unwrap_err();
    assert!(err.to_string().contains("add them instead"), "{err}");
    assert_eq!(
        s.create_household("  ", "t").unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert!(actions(&s).iter().all(|(a, ..)| a == "household.created"));
}

#[test]
fn deleting_a_household_keeps_its_members_and_audits_their_leaving() {
    let s = store();
    let ana = person(&s, "Ana");
    let h = s.create_household("H", "test").unwrap();
    s.add_household_member(h.id, ana, "test").unwrap();
    s.rename_household(h.id, "Renamed", "test").unwrap();
    s.delete_household(h.id, "test").unwrap();
    assert_eq!(s.household(h.id).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(s.client(ana).unwrap().name, "Ana");
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

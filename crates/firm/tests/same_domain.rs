//! The firm store returns the core's domain types: the same clients written to the solo book
//! (SQLite, the core's own queries) and to the firm database read back identical.

use advisor_desk_core::clients::{ClientKind, Language};
use advisor_desk_core::store::queries::clients as sqlite_clients;
use advisor_desk_core::store::queries::clients::write::ClientRow;
use advisor_desk_core::Store;
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::queries::clients as firm_clients;
use advisor_desk_firm::test_firm::TestFirm;
use advisor_desk_firm::test_server::TestServer;
use advisor_desk_firm::{migrations, FirmDbConfig, FirmDbError, FirmStore};
use chrono::{TimeZone, Utc};

fn rows() -> Vec<ClientRow<'static>> {
    vec![
        ClientRow {
            kind: ClientKind::Person,
            name: "Ana Ruiz Pérez",
            email: Some("ana@example.es"),
            phone: None,
            notes: "prefers calls in the morning",
            language: Language::Es,
        },
        ClientRow {
            kind: ClientKind::Household,
            name: "The Tremblays",
            email: None,
            phone: Some("+1 514 555 0100"),
            notes: "",
            language: Language::Fr,
        },
        ClientRow {
            kind: ClientKind::Person,
            name: "Sam Lee",
            email: None,
            phone: None,
            notes: "",
            language: Language::En,
        },
    ]
}

#[test]
fn clients_read_back_identical_from_sqlite_and_postgresql() {
    let now =
        Utc.with_ymd_and_hms(2026, 3, 14, 9, 26, 53).unwrap() + chrono::Duration::milliseconds(589);
    let later = now + chrono::Duration::days(2);

    let solo = Store::open_in_memory().unwrap();
    let book = TestFirm::migrated();
    let mut firm = book.owner();
    for row in rows() {
        let solo_id = solo
            .write(|tx| sqlite_clients::write::insert(tx, &row, now))
            .unwrap();
        let mut tx = firm.transaction().unwrap();
        let firm_id = firm_clients::write::insert(&mut tx, &row, now).unwrap();
        tx.commit().unwrap();
        assert_eq!(solo_id, firm_id);
    }
    solo.write(|tx| sqlite_clients::write::archive(tx, 3, later))
        .unwrap();
    let mut tx = firm.transaction().unwrap();
    assert!(firm_clients::write::archive(&mut tx, 3, later).unwrap());
    assert!(
        !firm_clients::write::archive(&mut tx, 3, later).unwrap(),
        "archived once"
    );
    tx.commit().unwrap();

    for include_archived in [false, true] {
        let from_sqlite = solo
            .read(|db| sqlite_clients::read::list(db, include_archived))
            .unwrap();
        let from_postgres = firm_clients::read::list(&mut firm, include_archived).unwrap();
        assert_eq!(
            from_postgres, from_sqlite,
            "include_archived = {include_archived}"
        );
        assert_eq!(from_sqlite.len(), if include_archived { 3 } else { 2 });
    }
    for id in [1, 3, 99] {
        let from_sqlite = solo.read(|db| sqlite_clients::read::by_id(db, id)).unwrap();
        let from_postgres = firm_clients::read::by_id(&mut firm, id).unwrap();
        assert_eq!(from_postgres, from_sqlite, "client {id}");
        assert_eq!(
            firm_clients::read::archived(&mut firm, id).unwrap(),
            solo.read(|db| sqlite_clients::read::archived(db, id))
                .unwrap()
        );
    }
}

#[test]
fn an_advisors_list_is_their_clients_only() {
    let book = TestFirm::migrated();
    let alice = book.add_member("alice", MemberKind::Advisor);
    let bob = book.add_member("bob", MemberKind::Advisor);
    let now = Utc::now();
    let [ana, tremblays, _] = <[ClientRow<'static>; 3]>::try_from(rows()).ok().unwrap();

    let mut as_alice = book.connect_as(&alice);
    let mut tx = as_alice.transaction().unwrap();
    let anas = firm_clients::write::insert(&mut tx, &ana, now).unwrap();
    tx.commit().unwrap();
    let mut as_bob = book.connect_as(&bob);
    let mut tx = as_bob.transaction().unwrap();
    firm_clients::write::insert(&mut tx, &tremblays, now).unwrap();
    tx.commit().unwrap();

    let alices: Vec<String> = firm_clients::read::list(&mut as_alice, true)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(alices, vec!["Ana Ruiz Pérez".to_string()]);
    assert!(firm_clients::read::by_id(&mut as_bob, anas)
        .unwrap()
        .is_none());
    let mut tx = as_bob.transaction().unwrap();
    assert!(
        !firm_clients::write::archive(&mut tx, anas, now).unwrap(),
        "Bob cannot archive Alice's client"
    );
    tx.commit().unwrap();
    assert_eq!(
        firm_clients::read::archived(&mut as_alice, anas).unwrap(),
        Some(false)
    );
}

#[test]
fn the_firm_store_refuses_an_unmigrated_database_and_writes_all_or_nothing() {
    let database = TestServer::shared().create_database().unwrap();
    let config = || FirmDbConfig::new(database.owner_url()).with_pool_size(2);
    let refused = FirmStore::connect(&config()).err();
    assert!(
        matches!(
            refused,
            Some(FirmDbError::SchemaNotMigrated { found: 0, .. })
        ),
        "{refused:?}"
    );

    migrations::migrate(
        &mut postgres::Client::connect(&database.owner_url(), postgres::NoTls).unwrap(),
    )
    .unwrap();
    let store = FirmStore::connect(&config()).unwrap();
    let [ana, tremblays, _] = <[ClientRow<'static>; 3]>::try_from(rows()).ok().unwrap();
    let failed = store.write(|tx| {
        firm_clients::write::insert(tx, &ana, Utc::now())?;
        // The second fails (an empty name breaks the schema's check): nothing is kept.
        let nameless = ClientRow {
            name: " ",
            ..tremblays
        };
        firm_clients::write::insert(tx, &nameless, Utc::now())
    });
    assert!(failed.is_err());
    assert!(store
        .read(|db| firm_clients::read::list(db, true))
        .unwrap()
        .is_empty());

    store
        .write(|tx| firm_clients::write::insert(tx, &ana, Utc::now()))
        .unwrap();
    assert_eq!(
        store
            .read(|db| firm_clients::read::list(db, true))
            .unwrap()
            .len(),
        1
    );
}

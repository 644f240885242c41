//! `counted_totals` (firm migration 0007) on a real PostgreSQL server: a solo book copied in is
//! counted by the triggers as the copy commits, the same rows as the solo book keeps; then after
//! each kind of write that moves what a client counts — a snapshot written by the core's writer,
//! a connection moved, held back, deleted, an account missing, a holding gone, a client deleted,
//! an advisor's own write under row-level security, two transactions on one client — the kept
//! rows equal the live de-duplication (`positions::read::each_client`, the oracle), and no mark
//! is left behind.

mod solo_book;

use advisor_desk_core::domain::{Account, AccountKind};
use advisor_desk_core::reads::book::{counted_of, CountedTotal};
use advisor_desk_core::store::book_reads::BookReads;
use advisor_desk_core::sync::write_snapshot;
use advisor_desk_core::test_fixtures::{money, snapshot};
use advisor_desk_firm::copy_in;
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::reads::FirmReads;
use advisor_desk_firm::snapshot::PgSnapshotRows;
use advisor_desk_firm::test_firm::TestFirm;
use postgres::Client;

fn sorted(mut rows: Vec<CountedTotal>) -> Vec<CountedTotal> {
    rows.sort();
    rows
}

/// The kept rows as `client` sees them, after checking they equal the live computation.
fn assert_kept(client: &mut Client, after: &str) -> Vec<CountedTotal> {
    let (kept, live) = {
        let reads = FirmReads::begin(client).unwrap();
        let live = counted_of(&reads.positions_of_each_client().unwrap());
        (sorted(reads.counted_totals().unwrap()), sorted(live))
    };
    assert_eq!(kept, live, "after {after}");
    assert!(!kept.is_empty(), "after {after}: nothing counted");
    kept
}

fn no_marks_left(owner: &mut Client) {
    let left: i64 = owner
        .query_one("SELECT count(*) FROM counted_totals_stale", &[])
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "marks left for a later transaction");
}

fn connection_of(owner: &mut Client, client: i64) -> i64 {
    owner
        .query_one(
            "SELECT min(id) FROM connections WHERE client_id = $1",
            &[&client],
        )
        .unwrap()
        .get(0)
}

#[test]
fn the_firm_keeps_each_client_s_counted_positions_through_every_kind_of_write() {
    let book = solo_book::build();
    let [ana, luis, ben] = [book.clients[0], book.clients[1], book.clients[2]];
    let firm = TestFirm::migrated();
    let mut owner = firm.owner();
    let mut tx = owner.transaction().unwrap();
    book.store
        .read(|db| Ok(copy_in::copy_book(db, &mut tx).map_err(|e| panic!("{e}"))))
        .unwrap()
        .unwrap();
    tx.commit().unwrap();

    // Counted at the copy's commit, and the same as the solo book keeps (ids are kept).
    let kept = assert_kept(&mut owner, "a book copied in");
    let solo = sorted(book.store.read(|db| db.counted_totals()).unwrap());
    assert_eq!(kept, solo, "the firm's kept rows against the solo book's");
    no_marks_left(&mut owner);

    // A snapshot written by the core's writer: a balance changed, the portfolio's holding gone.
    let ana_conn = connection_of(&mut owner, ana);
    let data = snapshot(
        vec![Account {
            provider_id: "joint".into(),
            kind: AccountKind::Current,
            name: "Account joint".into(),
            identifier: Some("ES7600000000000000000001".into()),
            balance: money(2_600_000, "EUR"),
            available: None,
            asset_class: None,
            owners: vec!["Ana Ruiz".into(), "Luis Ruiz".into()],
        }],
        vec![],
        vec![],
    );
    let mut tx = owner.transaction().unwrap();
    write_snapshot(
        &PgSnapshotRows::new(&mut tx),
        ana_conn,
        &data,
        solo_book::at(),
    )
    .unwrap();
    tx.commit().unwrap();
    let kept = assert_kept(&mut owner, "a snapshot written");
    assert!(kept
        .iter()
        .any(|r| r.client_id == ana && r.assets_minor == 2_600_000));

    // Luis's connection moved to Ana: one joint account, two copies, counted once.
    let luis_conn = connection_of(&mut owner, luis);
    owner
        .execute(
            "UPDATE connections SET client_id = $1 WHERE id = $2",
            &[&ana, &luis_conn],
        )
        .unwrap();
    let kept = assert_kept(&mut owner, "a connection moved to another client");
    assert!(kept.iter().all(|r| r.client_id != luis));

    for (what, statement) in [
        (
            "a connection held back",
            format!("UPDATE connections SET holder_check = 'pending' WHERE id = {ana_conn}"),
        ),
        (
            "a held-back connection confirmed",
            format!("UPDATE connections SET holder_check = 'confirmed' WHERE id = {ana_conn}"),
        ),
        (
            "a fresher date",
            format!("UPDATE connections SET data_as_of = now() WHERE id = {luis_conn}"),
        ),
        (
            "an account missing",
            format!("UPDATE accounts SET presence = 'missing' WHERE connection_id = {luis_conn}"),
        ),
        ("a holding deleted", "DELETE FROM holdings".to_string()),
        (
            "a connection deleted",
            format!("DELETE FROM connections WHERE id = {ana_conn}"),
        ),
    ] {
        owner.batch_execute(&statement).unwrap();
        assert_kept(&mut owner, what);
        no_marks_left(&mut owner);
    }

    // An advisor writing their own client's row, under row-level security: recounted all the
    // same (the recount runs as the owner), and the advisor reads only their client's rows.
    let advisor = firm.add_member("ben_s_advisor", MemberKind::Advisor);
    owner
        .execute(
            "INSERT INTO client_assignments (client_id, advisor_role) VALUES ($1, $2)",
            &[&ben, &advisor.role],
        )
        .unwrap();
    let mut as_advisor = firm.connect_as(&advisor);
    let changed = as_advisor
        .execute(
            "UPDATE accounts SET balance_minor = 1 WHERE currency = 'CAD'",
            &[],
        )
        .unwrap();
    assert_eq!(changed, 1);
    assert_kept(&mut owner, "an advisor's write");
    let theirs = assert_kept(&mut as_advisor, "an advisor's write, as the advisor");
    assert!(theirs.iter().all(|r| r.client_id == ben));
    assert!(theirs
        .iter()
        .any(|r| r.currency == "CAD" && r.assets_minor == 1));

    // Two transactions changing one client, the first committing last: both changes counted.
    let mut other = firm.owner();
    let mut first = owner.transaction().unwrap();
    first
        .execute(
            "UPDATE accounts SET balance_minor = 11 WHERE currency = 'CAD'",
            &[],
        )
        .unwrap();
    let mut second = other.transaction().unwrap();
    second
        .execute(
            "UPDATE accounts SET balance_minor = 22 WHERE currency = 'USD'",
            &[],
        )
        .unwrap();
    second.commit().unwrap();
    first.commit().unwrap();
    let kept = assert_kept(&mut owner, "two transactions on one client");
    let of_ben: Vec<(String, i64)> = kept
        .iter()
        .filter(|r| r.client_id == ben)
        .map(|r| (r.currency.clone(), r.assets_minor))
        .collect();
    assert_eq!(of_ben, [("CAD".to_string(), 11), ("USD".to_string(), 22)]);

    // An account returned by the provider again, then a client deleted: its rows go with it.
    owner
        .execute(
            "UPDATE accounts SET presence = 'active' WHERE connection_id = $1",
            &[&luis_conn],
        )
        .unwrap();
    assert_kept(&mut owner, "an account back");
    owner
        .execute("DELETE FROM clients WHERE id = $1", &[&ben])
        .unwrap();
    let kept = assert_kept(&mut owner, "a client deleted");
    assert!(kept.iter().all(|r| r.client_id == ana));
    no_marks_left(&mut owner);
}

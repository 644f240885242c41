//! Copying a solo book into the firm database: every row, ids kept, types converted, nothing
//! secret, all or nothing.

mod common;
mod solo_book;

use advisor_desk_firm::copy_in::{self, CopyInError, TABLES};
use advisor_desk_firm::test_firm::TestFirm;

use common::count;
use solo_book::{build, solo_count};

#[test]
fn every_row_of_a_solo_book_is_copied_with_its_id_and_no_secret() {
    let book = build();
    let firm = TestFirm::migrated();
    let mut owner = firm.owner();

    let mut tx = owner.transaction().unwrap();
    let counts = book
        .store
        .read(|db| Ok(copy_in::copy_book(db, &mut tx).map_err(|e| panic!("{e}"))))
        .unwrap()
        .unwrap();
    tx.commit().unwrap();

    for table in TABLES {
        let solo = solo_count(&book.store, table);
        let copied = count(&mut owner, &format!("SELECT count(*) FROM {table}"), &[]);
        assert_eq!(copied, solo, "{table}");
        assert_eq!(counts[table] as i64, solo, "{table}: the count reported");
    }
    assert!(counts["transactions"] >= 50, "a book with its transactions");
    assert!(counts["audit_log"] > 0 && counts["household_members"] == 2);

    // The monthly sums the firm's trigger kept while the transactions were copied are the
    // solo book's.
    let solo_months: Vec<(i64, String, String, i64, i64)> = book
        .store
        .read(|db| {
            let mut s = db.prepare(
                "SELECT account_id, month, currency, row_count, active_minor
                 FROM transaction_months ORDER BY 1, 2, 3",
            )?;
            let rows = s
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .unwrap();
    let firm_months: Vec<(i64, String, String, i64, i64)> = owner
        .query(
            "SELECT account_id, month, currency, row_count, active_minor
             FROM transaction_months ORDER BY 1, 2, 3",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert!(!firm_months.is_empty());
    assert_eq!(firm_months, solo_months);

    // Ids kept, times converted: the same rows, read back as the solo book's text.
    let solo_connections: Vec<(i64, i64, String, String)> = book
        .store
        .read(|db| {
            let mut s = db.prepare(
                "SELECT id, client_id, token_hash, last_success_at FROM connections ORDER BY id",
            )?;
            let rows = s
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .unwrap();
    let firm_connections: Vec<(i64, i64, String, String)> = owner
        .query(
            "SELECT id, client_id, token_hash, last_success_at FROM connections ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| {
            let at: advisor_desk_core::time::Timestamp = r.get(3);
            (
                r.get(0),
                r.get(1),
                r.get(2),
                advisor_desk_core::time::to_db(at),
            )
        })
        .collect();
    assert_eq!(firm_connections, solo_connections);

    // The next id the firm hands out comes after the copied ones.
    let next: i64 = owner
        .query_one(
            "INSERT INTO clients (kind, name, created_at, updated_at)
             VALUES ('person', 'After the move', now(), now()) RETURNING id",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(next, book.clients.iter().max().unwrap() + 1);

    // No credentials token anywhere in the firm database (the superuser sees every row).
    let mut superuser = firm.superuser();
    for table in TABLES {
        for token in &book.tokens {
            let hits = count(
                &mut superuser,
                &format!("SELECT count(*) FROM {table} t WHERE t::text LIKE '%' || $1 || '%'"),
                &[token],
            );
            assert_eq!(hits, 0, "{table} holds a token in clear");
        }
    }
}

#[test]
fn a_bad_value_refuses_the_copy_and_leaves_the_firm_database_empty() {
    let book = build();
    // A time SQLite accepted but that is no time: the copy must say where, not guess.
    book.store
        .write(|tx| {
            tx.execute(
                "UPDATE transactions SET last_seen_at = 'yesterday-ish' WHERE id = 7",
                [],
            )?;
            Ok(())
        })
        .unwrap();
    let firm = TestFirm::migrated();
    let mut owner = firm.owner();
    let mut tx = owner.transaction().unwrap();
    let refused = book
        .store
        .read(|db| Ok(copy_in::copy_book(db, &mut tx)))
        .unwrap()
        .unwrap_err();
    drop(tx);
    match &refused {
        CopyInError::BadValue { table, column, .. } => {
            assert_eq!((*table, column.as_str()), ("transactions", "last_seen_at"));
        }
        other => panic!("expected a bad value, got {other}"),
    }
    assert_eq!(refused.code(), "copy_in_bad_value");
    assert!(!refused.to_string().contains("yesterday-ish"), "{refused}");
    for table in TABLES {
        assert_eq!(
            count(&mut owner, &format!("SELECT count(*) FROM {table}"), &[]),
            0,
            "{table}"
        );
    }
}

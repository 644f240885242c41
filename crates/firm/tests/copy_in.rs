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

/// The firm's ids of `table`'s rows among `ids`' (the solo ids mapped).
fn mapped(ids: &copy_in::IdMap, table: &str, solo: &[i64]) -> Vec<i64> {
    solo.iter()
        .map(|id| ids.firm_id(table, *id).unwrap())
        .collect()
}

fn solo_rows(book: &solo_book::SoloBook, sql: &str) -> Vec<(i64, i64, String)> {
    book.store
        .read(|db| {
            let mut s = db.prepare(sql)?;
            let rows = s
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .unwrap()
}

#[test]
fn two_books_renumbered_into_one_firm_each_keep_their_own_references() {
    let books = [build(), build()];
    let at = advisor_desk_core::time::to_db(solo_book::at());
    // The second book's logins are its own (the fixture's tokens are fixed), and its audit log
    // names a client since deleted and a household that no longer exists.
    books[1]
        .store
        .write(|tx| {
            tx.execute(
                "UPDATE connections SET token_hash = token_hash || '-second'",
                [],
            )?;
            tx.execute(
                "INSERT INTO audit_log (at, actor, client_id, connection_id, action, detail)
                 VALUES (?1, 'test', 999, NULL, 'client.deleted', 'household 4242')",
                [&at],
            )?;
            Ok(())
        })
        .unwrap();
    let firm = TestFirm::migrated();
    let mut owner = firm.owner();
    let copies: Vec<copy_in::Renumbered> = books
        .iter()
        .map(|book| {
            let mut tx = owner.transaction().unwrap();
            let copied = book
                .store
                .read(|db| Ok(copy_in::copy_book_renumbered(db, &mut tx)))
                .unwrap()
                .unwrap();
            tx.commit().unwrap();
            copied
        })
        .collect();

    // Every row arrived once per book; the shared rates once for the firm.
    for table in TABLES {
        let solo: i64 = books.iter().map(|b| solo_count(&b.store, table)).sum();
        let held = copies[1].already_held.get(table).copied().unwrap_or(0) as i64;
        let firm_rows = count(&mut owner, &format!("SELECT count(*) FROM {table}"), &[]);
        assert_eq!(firm_rows, solo - held, "{table}");
        if copy_in::SHARED_TABLES.contains(table) {
            assert_eq!(held, solo_count(&books[1].store, table), "{table} held");
        }
    }

    // Both books numbered from 1; the firm's ids are disjoint, and every reference of a book
    // points into the same book, as its solo row did.
    let clients: Vec<Vec<i64>> = books
        .iter()
        .zip(&copies)
        .map(|(b, c)| mapped(&c.ids, "clients", &b.clients))
        .collect();
    assert!(clients[0].iter().all(|c| !clients[1].contains(c)));
    for (book, copy) in books.iter().zip(&copies) {
        let solo = solo_rows(
            book,
            "SELECT id, client_id, token_hash FROM connections ORDER BY id",
        );
        let expected: Vec<(i64, i64, String)> = solo
            .iter()
            .map(|(id, client, hash)| {
                (
                    copy.ids.firm_id("connections", *id).unwrap(),
                    copy.ids.firm_id("clients", *client).unwrap(),
                    hash.clone(),
                )
            })
            .collect();
        let ids: Vec<i64> = expected.iter().map(|e| e.0).collect();
        let in_firm: Vec<(i64, i64, String)> = owner
            .query(
                "SELECT id, client_id, token_hash FROM connections WHERE id = ANY($1) ORDER BY id",
                &[&ids],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        assert_eq!(in_firm, expected);
        let members: i64 = owner
            .query_one(
                "SELECT count(*) FROM household_members WHERE household_id = $1 AND client_id = ANY($2)",
                &[
                    &copy.ids.firm_id("households", book.household).unwrap(),
                    &mapped(&copy.ids, "clients", &book.clients),
                ],
            )
            .unwrap()
            .get(0);
        assert_eq!(members, 2, "the household's members are the book's own");
    }
    for mismatch in [
        "SELECT count(*) FROM transactions t JOIN accounts a ON a.id = t.account_id
         WHERE a.connection_id <> t.connection_id",
        "SELECT count(*) FROM holdings h JOIN accounts a ON a.id = h.account_id
         WHERE a.connection_id <> h.connection_id",
        "SELECT count(*) FROM audit_log l JOIN connections c ON c.id = l.connection_id
         WHERE l.client_id IS NOT NULL AND c.client_id <> l.client_id",
    ] {
        assert_eq!(count(&mut owner, mismatch, &[]), 0, "{mismatch}");
    }

    // The audit log keeps its meaning: a household's number is the firm's, a row the book no
    // longer had is said to be the solo book's.
    let household = copies[1]
        .ids
        .firm_id("households", books[1].household)
        .unwrap();
    assert_ne!(
        household, books[1].household,
        "the second book was renumbered"
    );
    let created = count(
        &mut owner,
        "SELECT count(*) FROM audit_log WHERE action = 'household.created' AND detail = $1",
        &[&format!("household {household}")],
    );
    assert_eq!(created, 1);
    let gone: (Option<i64>, String) = owner
        .query_one(
            "SELECT client_id, detail FROM audit_log WHERE action = 'client.deleted'",
            &[],
        )
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(gone.0, None);
    assert!(
        gone.1
            .starts_with("household 4242 (the solo book's number)"),
        "{}",
        gone.1
    );
    assert!(gone.1.contains("the solo book's client 999"), "{}", gone.1);
}

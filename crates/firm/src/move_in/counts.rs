//! Counts verified per table: what arrived in the firm database (its count after the copy
//! minus its count before, in the same transaction) must equal the solo book's count — less,
//! for the shared reference data, the rows the firm already held — else the move-in fails and
//! its transaction rolls back.

use std::collections::BTreeMap;

use postgres::Transaction;
use rusqlite::Connection;

use super::error::MoveInError;
use crate::copy_in::TABLES;

/// Rows per table: the solo book's, equal to what the firm received.
pub type TableCounts = BTreeMap<String, i64>;

/// The firm's rows per copied table, as the caller sees them.
pub(super) fn firm_counts(tx: &mut Transaction<'_>) -> Result<TableCounts, MoveInError> {
    let mut counts = TableCounts::new();
    for table in TABLES {
        let n: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
            .get(0);
        counts.insert(table.to_string(), n);
    }
    Ok(counts)
}

/// The solo book's rows per copied table.
pub(super) fn solo_counts(solo: &Connection) -> Result<TableCounts, MoveInError> {
    let mut counts = TableCounts::new();
    for table in TABLES {
        let n: i64 = solo
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(|e| MoveInError::Solo(e.into()))?;
        counts.insert(table.to_string(), n);
    }
    Ok(counts)
}

/// Refuses the first table whose arrivals differ from the solo book's rows (less those the
/// firm already held).
pub(super) fn verify(
    solo: &TableCounts,
    already_held: &TableCounts,
    before: &TableCounts,
    after: &TableCounts,
) -> Result<(), MoveInError> {
    for (table, &rows) in solo {
        let expected = rows - already_held.get(table).copied().unwrap_or(0);
        let arrived =
            after.get(table).copied().unwrap_or(0) - before.get(table).copied().unwrap_or(0);
        if arrived != expected {
            return Err(MoveInError::CountMismatch {
                table: table.clone(),
                solo: expected,
                firm: arrived,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, i64)]) -> TableCounts {
        pairs.iter().map(|(t, n)| (t.to_string(), *n)).collect()
    }

    #[test]
    fn arrivals_are_the_difference_and_must_equal_the_solo_rows() {
        let solo = counts(&[("clients", 3), ("connections", 2)]);
        let before = counts(&[("clients", 10), ("connections", 0)]);
        let none = TableCounts::new();
        verify(
            &solo,
            &none,
            &before,
            &counts(&[("clients", 13), ("connections", 2)]),
        )
        .unwrap();
        let short = verify(
            &solo,
            &none,
            &before,
            &counts(&[("clients", 12), ("connections", 2)]),
        )
        .unwrap_err();
        assert_eq!(short.code(), "move_in_count_mismatch");
        assert!(short
            .to_string()
            .contains("clients: the solo book has 3 rows but 2"));
    }

    #[test]
    fn rows_the_firm_already_held_are_not_expected_to_arrive() {
        let solo = counts(&[("reference_rates", 10)]);
        let held = counts(&[("reference_rates", 4)]);
        let before = counts(&[("reference_rates", 20)]);
        verify(&solo, &held, &before, &counts(&[("reference_rates", 26)])).unwrap();
        let wrong = verify(&solo, &held, &before, &counts(&[("reference_rates", 30)]));
        assert!(wrong.is_err());
    }
}

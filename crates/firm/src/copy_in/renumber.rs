//! Renumbering a book on its way in: each row of a table with an identity gets a fresh id
//! drawn from the firm's identity (`nextval`), and every column that points at a row — the
//! solo schema's foreign keys, read from SQLite's catalog so a new one is never forgotten, and
//! the audit log's client/connection, which have no foreign key on purpose — is mapped to the
//! new ids. Ids are handed out in the solo order, so "the lowest id on a tie" picks the same
//! row before and after.
//!
//! The audit log keeps its meaning: its `client_id` / `connection_id` are mapped, one naming a
//! row the book no longer has (a deleted client) becomes NULL with the old number said in the
//! detail, and the numbers the app writes into details (`household 4`, `session 12`,
//! `connection 3`) are rewritten to the firm's.

use std::collections::BTreeMap;

use postgres::Transaction;
use rusqlite::Connection;

use super::error::CopyInError;
use super::TABLES;

/// Solo id → firm id, per table with an identity.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IdMap {
    tables: BTreeMap<&'static str, BTreeMap<i64, i64>>,
}

impl IdMap {
    /// The firm's id of the row `solo_id` of `table`, when it moved in.
    pub fn firm_id(&self, table: &str, solo_id: i64) -> Option<i64> {
        self.tables.get(table)?.get(&solo_id).copied()
    }

    /// Every firm id `table`'s rows received, in the solo order.
    pub fn firm_ids(&self, table: &str) -> Vec<i64> {
        self.tables
            .get(table)
            .map(|m| m.values().copied().collect())
            .unwrap_or_default()
    }

    /// Draws one fresh id per solo row of `table` from the firm's identity, when the firm table
    /// has one (tables keyed by their parent's id or by a natural key have none).
    pub(super) fn reserve(
        &mut self,
        solo: &Connection,
        tx: &mut Transaction<'_>,
        table: &'static str,
    ) -> Result<(), CopyInError> {
        let Some(sequence) = super::identity_sequence(tx, table)? else {
            return Ok(());
        };
        let mut statement = solo.prepare(&format!("SELECT id FROM {table} ORDER BY id"))?;
        let solo_ids = statement
            .query_map([], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        let mut fresh: Vec<i64> = tx
            .query(
                "SELECT nextval($1::text::regclass) FROM generate_series(1, $2::bigint)",
                &[&sequence, &(solo_ids.len() as i64)],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        fresh.sort_unstable();
        self.tables
            .insert(table, solo_ids.into_iter().zip(fresh).collect());
        Ok(())
    }
}

/// What a column holding an id points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IdColumn {
    /// The row's own id.
    Own(&'static str),
    /// A foreign key: the parent must have moved in with it.
    Parent(&'static str),
    /// A reference kept for the record (the audit log's): the row may be gone.
    Trail(&'static str),
}

/// The audit log names clients and connections without a foreign key (the trail outlives them).
const TRAIL_COLUMNS: &[(&str, &str, &str)] = &[
    ("audit_log", "client_id", "clients"),
    ("audit_log", "connection_id", "connections"),
];

/// The id columns of a solo table, by column name. A solo integer column named like an id
/// that is neither a foreign key nor a known trail is refused: copied as it is, it would point
/// at another book's row.
pub(super) fn id_columns(
    solo: &Connection,
    table: &'static str,
    ids: &IdMap,
) -> Result<BTreeMap<String, IdColumn>, CopyInError> {
    let mut columns = BTreeMap::new();
    if ids.tables.contains_key(table) {
        columns.insert("id".to_string(), IdColumn::Own(table));
    }
    let mut statement =
        solo.prepare("SELECT \"table\", \"from\" FROM pragma_foreign_key_list(?1)")?;
    let keys = statement
        .query_map([table], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (parent, column) in keys {
        let parent = known_table(&parent).ok_or_else(|| CopyInError::UnmappedId {
            table,
            column: column.clone(),
        })?;
        columns.insert(column, IdColumn::Parent(parent));
    }
    for &(t, column, parent) in TRAIL_COLUMNS {
        if t == table {
            columns.insert(column.to_string(), IdColumn::Trail(parent));
        }
    }
    let mut statement = solo.prepare("SELECT name, type FROM pragma_table_info(?1)")?;
    let all = statement
        .query_map([table], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (name, declared) in all {
        let looks_like_id = name == "id" || name.ends_with("_id");
        if looks_like_id && declared.eq_ignore_ascii_case("integer") && !columns.contains_key(&name)
        {
            return Err(CopyInError::UnmappedId {
                table,
                column: name,
            });
        }
    }
    Ok(columns)
}

fn known_table(name: &str) -> Option<&'static str> {
    TABLES.iter().copied().find(|t| *t == name)
}

/// Numbers the app writes into audit details, and the table each counts in.
const DETAIL_NUMBERS: &[(&str, &str)] = &[
    ("household ", "households"),
    ("session ", "link_sessions"),
    ("connection ", "connections"),
];

/// An audit detail with the ids it names rewritten to the firm's; a number whose row the book
/// no longer has is kept and said to be the solo book's.
pub(super) fn renumber_detail(detail: &str, ids: &IdMap) -> String {
    let mut out = String::with_capacity(detail.len());
    let mut rest = detail;
    'scan: while !rest.is_empty() {
        for &(word, table) in DETAIL_NUMBERS {
            let at_word_start = out
                .chars()
                .last()
                .is_none_or(|c| !c.is_alphanumeric() && c != '_');
            if !at_word_start || !rest.starts_with(word) {
                continue;
            }
            let after = &rest[word.len()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let ends_there = after[digits..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
            let Some(solo_id) = after[..digits].parse::<i64>().ok().filter(|_| ends_there) else {
                continue;
            };
            match ids.firm_id(table, solo_id) {
                Some(firm_id) => out.push_str(&format!("{word}{firm_id}")),
                None => out.push_str(&format!("{word}{solo_id} (the solo book's number)")),
            }
            rest = &after[digits..];
            continue 'scan;
        }
        let next = rest.chars().next().expect("not empty");
        out.push(next);
        rest = &rest[next.len_utf8()..];
    }
    out
}

/// The note added to an audit detail whose client or connection the book no longer had.
pub(super) fn gone_note(table: &str, solo_id: i64) -> String {
    let what = if table == "clients" {
        "client"
    } else {
        "connection"
    };
    format!(" [moved in: about the solo book's {what} {solo_id}, no longer in the book]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> IdMap {
        let mut ids = IdMap::default();
        ids.tables.insert("households", [(3, 41), (4, 42)].into());
        ids.tables.insert("link_sessions", [(12, 900)].into());
        ids
    }

    #[test]
    fn the_numbers_a_detail_names_are_the_firms() {
        let ids = ids();
        assert_eq!(
            renumber_detail("household 3 -> household 4", &ids),
            "household 41 -> household 42"
        );
        assert_eq!(renumber_detail("session 12", &ids), "session 900");
        assert_eq!(
            renumber_detail("the unfinished connection of link session 12.", &ids),
            "the unfinished connection of link session 900."
        );
    }

    #[test]
    fn a_number_of_a_row_gone_is_said_to_be_the_solo_books() {
        assert_eq!(
            renumber_detail("household 7", &ids()),
            "household 7 (the solo book's number)"
        );
    }

    #[test]
    fn other_words_and_numbers_are_left_alone() {
        let ids = ids();
        for text in [
            "flanks: deleted at the provider; client deleted",
            "households 3",
            "subsession 12",
            "session 12b",
            "session ",
            "es: Éléonore 3",
            "flinks 3",
        ] {
            assert_eq!(renumber_detail(text, &ids), text);
        }
    }
}

//! The `clients` table: the advisor's book (a person or a household per row).

use rusqlite::Row;

use crate::clients::{Client, ClientKind, Language};

const COLUMNS: &str =
    "id, kind, name, email, phone, notes, archived, created_at, updated_at, language";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Client> {
    let kind: String = r.get(1)?;
    Ok(Client {
        id: r.get(0)?,
        kind: ClientKind::parse(&kind).unwrap_or(ClientKind::Person),
        name: r.get(2)?,
        email: r.get(3)?,
        phone: r.get(4)?,
        notes: r.get(5)?,
        archived: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
        language: Language::parse(&r.get::<_, String>(9)?).unwrap_or(Language::En),
    })
}

pub mod read {
    use rusqlite::OptionalExtension;

    use super::super::Db;
    use super::{from_row, COLUMNS};
    use crate::clients::Client;
    use crate::error::Result;

    pub fn by_id(db: &Db, id: i64) -> Result<Option<Client>> {
        // Cached: a household's page reads each member this way.
        Ok(db
            .prepare_cached(&format!("SELECT {COLUMNS} FROM clients WHERE id = ?1"))?
            .query_row([id], from_row)
            .optional()?)
    }

    /// Clients in id order; archived ones only when asked.
    pub fn list(db: &Db, include_archived: bool) -> Result<Vec<Client>> {
        let mut stmt = db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM clients WHERE archived = 0 OR ?1 ORDER BY id"
        ))?;
        let rows = stmt
            .query_map([include_archived], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// `Some(archived)` for an existing client, `None` for an unknown one.
    pub fn archived(db: &Db, id: i64) -> Result<Option<bool>> {
        Ok(db
            .query_row("SELECT archived FROM clients WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?)
    }
}

pub mod write {
    use rusqlite::params;

    use super::super::Tx;
    use crate::clients::{ClientKind, Language};
    use crate::error::Result;
    use crate::time::{self, Timestamp};

    /// A validated new client.
    pub struct ClientRow<'a> {
        pub kind: ClientKind,
        pub name: &'a str,
        pub email: Option<&'a str>,
        pub phone: Option<&'a str>,
        pub notes: &'a str,
        pub language: Language,
    }

    pub fn insert(tx: &Tx<'_>, row: &ClientRow<'_>, now: Timestamp) -> Result<i64> {
        tx.execute(
            "INSERT INTO clients (kind, name, email, phone, notes, archived, created_at, updated_at,
                 language)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6, ?7)",
            params![
                row.kind.as_str(),
                row.name,
                row.email,
                row.phone,
                row.notes,
                time::to_db(now),
                row.language.as_str()
            ],
        )?;
        Ok(tx.last_insert_rowid())
    }

    /// The client's e-mail address and message language; false for an unknown client.
    pub fn set_contact(
        tx: &Tx<'_>,
        id: i64,
        email: Option<&str>,
        language: Language,
        now: Timestamp,
    ) -> Result<bool> {
        let changed = tx.execute(
            "UPDATE clients SET email = ?2, language = ?3, updated_at = ?4 WHERE id = ?1",
            params![id, email, language.as_str(), time::to_db(now)],
        )?;
        Ok(changed == 1)
    }

    /// Archives a client not archived yet; false when nothing changed.
    pub fn archive(tx: &Tx<'_>, id: i64, now: Timestamp) -> Result<bool> {
        let changed = tx.execute(
            "UPDATE clients SET archived = 1, updated_at = ?2 WHERE id = ?1 AND archived = 0",
            params![id, time::to_db(now)],
        )?;
        Ok(changed == 1)
    }

    /// Deletes the client row (its accounts, holdings, transactions, sessions… go with it by
    /// foreign key); false when there was none.
    pub fn delete(tx: &Tx<'_>, id: i64) -> Result<bool> {
        Ok(tx.execute("DELETE FROM clients WHERE id = ?1", [id])? == 1)
    }
}

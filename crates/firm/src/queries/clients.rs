//! The `clients` table: the same functions as the core's `store::queries::clients`, on the firm
//! database. Times come back in the core's text form (`time::to_db`), so a `Client` read from
//! either engine compares equal.

use advisor_desk_core::clients::{Client, ClientKind, Language};
use advisor_desk_core::time::{self, Timestamp};
use postgres::Row;

pub(crate) const COLUMNS: &str =
    "id, kind, name, email, phone, notes, archived, created_at, updated_at, language";

fn from_row(r: &Row) -> Client {
    from_row_at(r, 0)
}

/// A row whose columns are [`COLUMNS`] from the `at`-th on (a page read in one statement
/// holds several tables' rows side by side).
pub(crate) fn from_row_at(r: &Row, at: usize) -> Client {
    Client {
        id: r.get(at),
        kind: ClientKind::parse(r.get(at + 1)).unwrap_or(ClientKind::Person),
        name: r.get(at + 2),
        email: r.get(at + 3),
        phone: r.get(at + 4),
        notes: r.get(at + 5),
        archived: r.get(at + 6),
        created_at: time::to_db(r.get::<_, Timestamp>(at + 7)),
        updated_at: time::to_db(r.get::<_, Timestamp>(at + 8)),
        language: Language::parse(r.get(at + 9)).unwrap_or(Language::En),
    }
}

pub mod read {
    use crate::queries::Reader;
    use advisor_desk_core::clients::Client;

    use super::{from_row, COLUMNS};
    use crate::FirmDbError;

    pub fn by_id(db: &mut impl Reader, id: i64) -> Result<Option<Client>, FirmDbError> {
        let row = db.row_opt(
            &format!("SELECT {COLUMNS} FROM clients WHERE id = $1"),
            &[&id],
        )?;
        Ok(row.as_ref().map(from_row))
    }

    /// The clients the member may see, in id order; archived ones only when asked.
    pub fn list(db: &mut impl Reader, include_archived: bool) -> Result<Vec<Client>, FirmDbError> {
        let rows = db.rows(
            &format!("SELECT {COLUMNS} FROM clients WHERE NOT archived OR $1 ORDER BY id"),
            &[&include_archived],
        )?;
        Ok(rows.iter().map(from_row).collect())
    }

    /// `Some(archived)` for a client the member may see, `None` otherwise.
    pub fn archived(db: &mut impl Reader, id: i64) -> Result<Option<bool>, FirmDbError> {
        let row = db.row_opt("SELECT archived FROM clients WHERE id = $1", &[&id])?;
        Ok(row.map(|r| r.get(0)))
    }
}

pub mod write {
    use advisor_desk_core::store::queries::clients::write::ClientRow;
    use advisor_desk_core::time::Timestamp;
    use postgres::Transaction;

    use crate::FirmDbError;

    /// Inserts a validated client (the core's `ClientRow`); an advisor's new client is assigned
    /// to them by the schema in the same statement.
    pub fn insert(
        tx: &mut Transaction<'_>,
        row: &ClientRow<'_>,
        now: Timestamp,
    ) -> Result<i64, FirmDbError> {
        let inserted = tx.query_one(
            "INSERT INTO clients (kind, name, email, phone, notes, archived, created_at, updated_at,
                 language)
             VALUES ($1, $2, $3, $4, $5, false, $6, $6, $7)
             RETURNING id",
            &[
                &row.kind.as_str(),
                &row.name,
                &row.email,
                &row.phone,
                &row.notes,
                &now,
                &row.language.as_str(),
            ],
        )?;
        Ok(inserted.get(0))
    }

    /// Archives a client the member may write; false when there is none.
    pub fn archive(tx: &mut Transaction<'_>, id: i64, now: Timestamp) -> Result<bool, FirmDbError> {
        let changed = tx.execute(
            "UPDATE clients SET archived = true, updated_at = $2 WHERE id = $1 AND NOT archived",
            &[&id, &now],
        )?;
        Ok(changed == 1)
    }
}

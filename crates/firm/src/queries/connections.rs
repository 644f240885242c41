//! The `connections` table's reads, as the core's `store::queries::connections::read`. The firm
//! row has no keychain reference (its credentials are a `sealed_secrets` row), so a connection
//! read here has an empty `secret_ref` (never serialized, never shown).

use advisor_desk_core::domain::holders::HolderCheckState;
use advisor_desk_core::domain::{Actor, ConnectionStatus, Provider};
use advisor_desk_core::sync::Connection;
use advisor_desk_core::time::Timestamp;
use postgres::Row;

pub(crate) const COLUMNS: &str =
    "id, client_id, provider, flow, institution_id, institution_name, status, \
     action_by, provider_code, provider_message, last_attempt_at, last_success_at, data_as_of, \
     next_retry_at, consecutive_failures, created_at, consent_renewed_at, holder_check, \
     holder_names";

fn from_row(r: &Row) -> Connection {
    from_row_at(r, 0)
}

/// A row whose columns are [`COLUMNS`] from the `at`-th on (a page read in one statement
/// holds several tables' rows side by side).
pub(crate) fn from_row_at(r: &Row, at: usize) -> Connection {
    Connection {
        id: r.get(at),
        client_id: r.get(at + 1),
        provider: Provider::parse(r.get(at + 2)).unwrap_or(Provider::Flanks),
        flow: r.get(at + 3),
        institution_id: r.get(at + 4),
        institution_name: r.get(at + 5),
        status: ConnectionStatus::parse(r.get(at + 6)).unwrap_or(ConnectionStatus::Pending),
        action_by: match r.get::<_, &str>(at + 7) {
            "client" => Actor::Client,
            "advisor" => Actor::Advisor,
            _ => Actor::Nobody,
        },
        provider_code: r.get(at + 8),
        provider_message: r.get(at + 9),
        last_attempt_at: r.get(at + 10),
        last_success_at: r.get(at + 11),
        data_as_of: r.get(at + 12),
        next_retry_at: r.get(at + 13),
        // The schema writes only counts from 0 up.
        consecutive_failures: u32::try_from(r.get::<_, i32>(at + 14)).unwrap_or_default(),
        secret_ref: String::new(),
        created_at: r.get::<_, Timestamp>(at + 15),
        consent_renewed_at: r.get(at + 16),
        // A state this build does not know holds the data back rather than showing it.
        holder_check: HolderCheckState::parse(r.get(at + 17)).unwrap_or(HolderCheckState::Pending),
        holder_names: r
            .get::<_, Option<String>>(at + 18)
            .map(|s| s.split('\u{1f}').map(str::to_string).collect())
            .unwrap_or_default(),
    }
}

pub mod read {
    use crate::queries::Reader;
    use advisor_desk_core::sync::Connection;

    use super::{from_row, COLUMNS};
    use crate::FirmDbError;

    /// All connections the member may see, or one client's, in id order.
    pub fn list(
        db: &mut impl Reader,
        client_id: Option<i64>,
    ) -> Result<Vec<Connection>, FirmDbError> {
        // Two texts, not `$1 IS NULL OR client_id = $1`: a statement prepared once is soon
        // planned for any parameter, and that plan could not use the client's index.
        let rows = match client_id {
            Some(id) => db.rows(
                &format!("SELECT {COLUMNS} FROM connections WHERE client_id = $1 ORDER BY id"),
                &[&id],
            )?,
            None => db.rows(
                &format!("SELECT {COLUMNS} FROM connections ORDER BY id"),
                &[],
            )?,
        };
        Ok(rows.iter().map(from_row).collect())
    }

    /// One connection, if the member may see it.
    pub fn by_id(db: &mut impl Reader, id: i64) -> Result<Option<Connection>, FirmDbError> {
        let row = db.row_opt(
            &format!("SELECT {COLUMNS} FROM connections WHERE id = $1"),
            &[&id],
        )?;
        Ok(row.as_ref().map(from_row))
    }

    /// The connections of a set of clients (a household's members), in id order.
    pub fn of_clients(
        db: &mut impl Reader,
        clients: &[i64],
    ) -> Result<Vec<Connection>, FirmDbError> {
        let rows = db.rows(
            &format!("SELECT {COLUMNS} FROM connections WHERE client_id = ANY($1) ORDER BY id"),
            &[&clients],
        )?;
        Ok(rows.iter().map(from_row).collect())
    }
}

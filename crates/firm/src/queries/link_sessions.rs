//! The `link_sessions` table's reads the read models use, as the core's
//! `store::queries::link_sessions::read`. Times come back in the core's text form.

use advisor_desk_core::links::sessions::Delivery;
use advisor_desk_core::links::{LinkFlow, LinkPurpose, LinkSession};
use advisor_desk_core::time::{self, Timestamp};
use postgres::Row;

use crate::FirmDbError;

pub(crate) const COLUMNS: &str =
    "id, client_id, connection_id, flow, purpose, provider_session_id, \
     created_at, expires_at, completed_at, outcome, outcome_detail, exchange_step, token_hash, \
     next_check_at, check_attempts, institution, delivery";

fn text_time(r: &Row, i: usize) -> Option<String> {
    r.get::<_, Option<Timestamp>>(i).map(time::to_db)
}

fn from_row(r: &Row) -> Result<LinkSession, FirmDbError> {
    from_row_at(r, 0)
}

/// A row whose columns are [`COLUMNS`] from the `at`-th on (a page read in one statement
/// holds several tables' rows side by side).
pub(crate) fn from_row_at(r: &Row, at: usize) -> Result<LinkSession, FirmDbError> {
    let unknown = |what: &str| FirmDbError::UnknownValue(format!("link_sessions.{what}"));
    Ok(LinkSession {
        id: r.get(at),
        client_id: r.get(at + 1),
        connection_id: r.get(at + 2),
        flow: LinkFlow::parse(r.get(at + 3)).ok_or_else(|| unknown("flow"))?,
        purpose: LinkPurpose::parse(r.get(at + 4)).ok_or_else(|| unknown("purpose"))?,
        provider_session_id: r.get(at + 5),
        created_at: time::to_db(r.get::<_, Timestamp>(at + 6)),
        expires_at: time::to_db(r.get::<_, Timestamp>(at + 7)),
        completed_at: text_time(r, at + 8),
        outcome: r.get(at + 9),
        outcome_detail: r.get(at + 10),
        exchange_step: r.get(at + 11),
        token_hash: r.get(at + 12),
        next_check_at: text_time(r, at + 13),
        check_attempts: u32::try_from(r.get::<_, i32>(at + 14)).unwrap_or_default(),
        institution: r.get(at + 15),
        delivery: Delivery::parse(r.get(at + 16)).ok_or_else(|| unknown("delivery"))?,
    })
}

pub mod read {
    use crate::queries::Reader;
    use advisor_desk_core::links::LinkSession;

    use super::{from_row, COLUMNS};
    use crate::FirmDbError;

    /// Per connection, its newest session when that one was sent to the client, in connection
    /// order.
    pub fn newest_sent_per_connection(
        db: &mut impl Reader,
    ) -> Result<Vec<LinkSession>, FirmDbError> {
        let rows = db.rows(
            &format!(
                "SELECT {COLUMNS} FROM link_sessions s
                 WHERE s.delivery = 'sent' AND s.connection_id IS NOT NULL
                   AND s.id = (SELECT max(t.id) FROM link_sessions t
                               WHERE t.connection_id = s.connection_id)
                 ORDER BY s.connection_id"
            ),
            &[],
        )?;
        rows.iter().map(from_row).collect()
    }
}

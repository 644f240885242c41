//! What the refresh must know of a connection to record its result as the solo sync does: its
//! client (whose names the holder check compares), its provider (which gateway fetches it), its
//! status (a failure's next status depends on it) and its consecutive failures (the retry
//! backoff grows with them).

use advisor_desk_core::domain::{ConnectionStatus, Provider};
use postgres::GenericClient;

use super::SnapshotRowsError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionState {
    pub client_id: i64,
    pub provider: Provider,
    pub status: ConnectionStatus,
    pub consecutive_failures: u32,
}

/// The connection's state as the caller's role sees it; `None` when it is gone (or not theirs).
pub fn connection_state(
    db: &mut impl GenericClient,
    connection_id: i64,
) -> Result<Option<ConnectionState>, SnapshotRowsError> {
    let Some(row) = db.query_opt(
        "SELECT provider, status, consecutive_failures, client_id FROM connections WHERE id = $1",
        &[&connection_id],
    )?
    else {
        return Ok(None);
    };
    let unknown = |what: &'static str, value: &str| SnapshotRowsError::UnknownStored {
        connection_id,
        what,
        value: value.to_string(),
    };
    let provider: &str = row.get(0);
    let status: &str = row.get(1);
    let failures: i32 = row.get(2);
    Ok(Some(ConnectionState {
        client_id: row.get(3),
        provider: Provider::parse(provider).ok_or_else(|| unknown("provider", provider))?,
        status: ConnectionStatus::parse(status).ok_or_else(|| unknown("status", status))?,
        // Only ever written from a u32; a negative value (by hand) counts as none.
        consecutive_failures: u32::try_from(failures).unwrap_or(0),
    }))
}

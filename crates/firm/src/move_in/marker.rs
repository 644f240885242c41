//! The mark a moved book keeps: after the firm committed, the solo book is left as it was —
//! never deleted, it is the advisor's own copy of what moved — with a setting naming the firm
//! and when, so the app can say "this book now lives in firm X" and a second move-in of the
//! same book is refused before it touches the firm.

use advisor_desk_core::store::audit::{append, NewAuditEntry};
use advisor_desk_core::store::queries::settings;
use advisor_desk_core::{CoreError, Store};
use serde::{Deserialize, Serialize};

/// The solo setting holding a [`MovedTo`] as JSON.
pub const MOVED_TO_SETTING: &str = "firm.moved_to";

/// The solo audit log's action for the book moved out.
pub const MOVED_OUT_ACTION: &str = "book.moved_out";

/// Where this book went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedTo {
    pub firm_id: String,
    pub firm_name: String,
    /// RFC 3339, UTC.
    pub moved_at: String,
}

/// Where the book was moved to, if it was.
pub fn moved_to(solo: &Store) -> Result<Option<MovedTo>, CoreError> {
    let Some(text) = advisor_desk_core::settings::get(solo, MOVED_TO_SETTING)? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|_| CoreError::invalid(format!("the setting {MOVED_TO_SETTING} is not valid")))
}

/// Marks the book moved, with its audit entry, in the caller's solo transaction.
pub(super) fn mark_in(
    tx: &rusqlite::Transaction<'_>,
    to: &MovedTo,
    detail: &str,
) -> Result<(), CoreError> {
    let value = serde_json::to_string(to)
        .map_err(|e| CoreError::invalid(format!("cannot record the move: {e}")))?;
    settings::write::set(tx, MOVED_TO_SETTING, &value)?;
    append(
        tx,
        &NewAuditEntry {
            actor: "advisor",
            client_id: None,
            connection_id: None,
            action: MOVED_OUT_ACTION,
            detail: &format!("moved into the firm '{}': {detail}", to.firm_name),
        },
    )
}

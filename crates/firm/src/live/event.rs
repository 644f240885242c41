//! What a listening desktop is told, and how a notice's payload is read.

use serde::Deserialize;

/// What was done to the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Insert,
    Update,
    Delete,
}

/// One changed row: its table and id, nothing of its contents.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Change {
    pub table: String,
    pub id: String,
    #[serde(rename = "op")]
    pub operation: Operation,
}

/// Why everything shown must be read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResyncReason {
    /// Listening again after a lost connection: changes made meanwhile were not delivered.
    Reconnected,
    /// A notice could not be read, so what it named is unknown.
    UnreadableNotice,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveEvent {
    /// Listening (the first time): changes from now on are delivered.
    Listening,
    Change(Change),
    /// The connection was lost; the listener keeps trying to reconnect.
    Disconnected {
        reason: String,
    },
    ResyncNeeded(ResyncReason),
}

#[derive(Debug, thiserror::Error)]
#[error("a change notice could not be read: {0}")]
pub struct UnreadableNotice(String);

/// Reads one notice's payload: `{"table": …, "id": …, "op": "insert" | "update" | "delete"}`.
pub fn decode(payload: &str) -> Result<Change, UnreadableNotice> {
    let change: Change =
        serde_json::from_str(payload).map_err(|e| UnreadableNotice(e.to_string()))?;
    if change.table.is_empty() || change.id.is_empty() {
        return Err(UnreadableNotice("an empty table or id".into()));
    }
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_names_table_id_and_operation() {
        let change = decode(r#"{"table":"clients","id":"42","op":"update"}"#).unwrap();
        assert_eq!(
            change,
            Change {
                table: "clients".into(),
                id: "42".into(),
                operation: Operation::Update
            }
        );
    }

    #[test]
    fn a_notice_without_an_id_or_with_an_unknown_operation_is_unreadable() {
        for payload in [
            r#"{"table":"clients","id":null,"op":"insert"}"#,
            r#"{"table":"clients","id":"","op":"insert"}"#,
            r#"{"table":"clients","id":"1","op":"truncate"}"#,
            "not json",
        ] {
            assert!(decode(payload).is_err(), "{payload}");
        }
    }
}

//! What a listening desktop is told, and how a notice's payload is read.

/// What was done to the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Insert,
    Update,
    Delete,
}

impl Operation {
    /// The schema's name for it (`live_changes.op`).
    pub fn parse(op: &str) -> Option<Operation> {
        match op {
            "insert" => Some(Operation::Insert),
            "update" => Some(Operation::Update),
            "delete" => Some(Operation::Delete),
            _ => None,
        }
    }
}

/// One changed row the desktop's role may see: its table and id, nothing of its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub table: String,
    pub id: String,
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

/// Reads one notice's payload: the sequence number of its `live_changes` row, nothing else.
pub fn decode(payload: &str) -> Result<i64, UnreadableNotice> {
    match payload.parse::<i64>() {
        Ok(seq) if seq > 0 => Ok(seq),
        _ => Err(UnreadableNotice(format!(
            "not a change number: {:?}",
            payload.chars().take(40).collect::<String>()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_is_a_change_number() {
        assert_eq!(decode("42").unwrap(), 42);
    }

    #[test]
    fn a_notice_that_is_not_a_positive_number_is_unreadable() {
        for payload in ["", "0", "-3", "4.5", r#"{"table":"clients","id":"1"}"#] {
            assert!(decode(payload).is_err(), "{payload}");
        }
    }

    #[test]
    fn operations_are_read_from_the_schemas_names() {
        assert_eq!(Operation::parse("update"), Some(Operation::Update));
        assert_eq!(Operation::parse("truncate"), None);
    }
}

//! The firm snapshot statements' typed error. No secret in it: values named are dates.

use crate::refresh::RefreshError;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotRowsError {
    #[error("firm database error: {0}")]
    Database(#[from] postgres::Error),
    /// A date or time the writer computed that the firm database's types cannot hold.
    #[error("the snapshot's {what} {value:?} is not a valid date or time")]
    BadValue { what: &'static str, value: String },
    /// The connection is no longer there (deleted, or no longer the member's).
    #[error("connection {0} is not in the book")]
    ConnectionGone(i64),
    /// A stored value the core's types cannot hold (a status this version does not know).
    #[error("connection {connection_id} holds an unknown {what} {value:?}")]
    UnknownStored {
        connection_id: i64,
        what: &'static str,
        value: String,
    },
}

impl SnapshotRowsError {
    /// As the refresh reports it: a database failure stays one (the worker retries the
    /// transient ones), the rest is a final failure of this connection's write.
    pub fn for_connection(self, connection_id: i64) -> RefreshError {
        match self {
            SnapshotRowsError::Database(error) => RefreshError::Database(error),
            other => RefreshError::SnapshotWrite {
                connection_id,
                message: other.to_string(),
            },
        }
    }
}

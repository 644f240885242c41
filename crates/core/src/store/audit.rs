//! The append-only audit log: who or what did what, to which client or connection.

use serde::Serialize;

use super::audit_throttle::{Admission, CountedEntries};
use crate::error::Result;
use crate::time::Timestamp;

pub struct NewAuditEntry<'a> {
    pub actor: &'a str,
    pub client_id: Option<i64>,
    pub connection_id: Option<i64>,
    pub action: &'a str,
    pub detail: &'a str,
}

/// An audit entry as the advisor reads it (details are codes and counts, never a secret).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub client_id: Option<i64>,
    pub connection_id: Option<i64>,
    pub action: String,
    pub detail: String,
}

pub use super::queries::audit::write::append;

/// The action of an entry that stands for entries only counted (`audit_throttle`).
pub const COUNTED_ACTION: &str = "audit.counted";

fn append_counts(tx: &rusqlite::Transaction<'_>, counts: &[CountedEntries]) -> Result<()> {
    for c in counts {
        append(
            tx,
            &NewAuditEntry {
                actor: "app",
                client_id: None,
                connection_id: None,
                action: COUNTED_ACTION,
                detail: &c.detail(),
            },
        )?;
    }
    Ok(())
}

impl super::Store {
    pub fn audit(&self, e: &NewAuditEntry<'_>) -> Result<()> {
        self.write(|tx| append(tx, e))
    }

    /// Appends an entry of a kind that can arrive in floods (a refused link): whole while
    /// its kind is under the threshold of its window, else only counted; the counts of
    /// windows that have closed are appended with it (see `audit_throttle`).
    pub fn audit_throttled(&self, kind: &str, e: &NewAuditEntry<'_>, now: Timestamp) -> Result<()> {
        let (admission, closed) = self.audit_throttle.admit(kind, now);
        if admission == Admission::Counted && closed.is_empty() {
            return Ok(());
        }
        self.write(|tx| {
            append_counts(tx, &closed)?;
            if admission == Admission::Whole {
                append(tx, e)?;
            }
            Ok(())
        })
    }

    /// Appends the counts of throttled windows that have closed by `now` (all of them when
    /// `everything`, e.g. at shutdown). Returns how many entries were written.
    pub fn flush_audit_counts(&self, now: Timestamp, everything: bool) -> Result<usize> {
        let counts = if everything {
            self.audit_throttle.take_all()
        } else {
            self.audit_throttle.take_closed(now)
        };
        if counts.is_empty() {
            return Ok(0);
        }
        self.write(|tx| append_counts(tx, &counts))?;
        Ok(counts.len())
    }

    /// The newest entries first.
    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(|c| super::queries::audit::read::latest(c, limit))
    }
}

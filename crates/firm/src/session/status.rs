//! Whether the firm database can be reached, and since when: what the app's banner and
//! Settings → Firm show.

use advisor_desk_core::time::{now, Timestamp};
use advisor_desk_core::IpcError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirmStatus {
    /// Started; the first attempt has not answered yet.
    Connecting,
    Connected {
        since: Timestamp,
        /// The firm database's schema version.
        schema_version: i32,
    },
    /// The last attempt failed. `since` is the first failure of this outage; `error` the
    /// latest reason (stable code, no secret).
    Unreachable { since: Timestamp, error: IpcError },
}

impl FirmStatus {
    pub fn is_connected(&self) -> bool {
        matches!(self, FirmStatus::Connected { .. })
    }

    /// The status after a probe, and whether a person would notice the change (still
    /// connected, or still unreachable with a newer reason, is not one).
    pub(super) fn after(&self, probe: Result<i32, IpcError>) -> (FirmStatus, bool) {
        match (self, probe) {
            (FirmStatus::Connected { schema_version, .. }, Ok(version))
                if *schema_version == version =>
            {
                (self.clone(), false)
            }
            (_, Ok(schema_version)) => (
                FirmStatus::Connected {
                    since: now(),
                    schema_version,
                },
                true,
            ),
            (FirmStatus::Unreachable { since, .. }, Err(error)) => (
                FirmStatus::Unreachable {
                    since: *since,
                    error,
                },
                false,
            ),
            (_, Err(error)) => (
                FirmStatus::Unreachable {
                    since: now(),
                    error,
                },
                true,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gone() -> IpcError {
        IpcError {
            code: "firm_unreachable".into(),
            message: "connection refused".into(),
        }
    }

    #[test]
    fn an_outage_keeps_its_first_time_and_ends_at_the_first_answer() {
        let (down, changed) = FirmStatus::Connecting.after(Err(gone()));
        assert!(changed);
        let FirmStatus::Unreachable { since, .. } = down.clone() else {
            panic!("{down:?}")
        };
        let (still, changed) = down.after(Err(gone()));
        assert!(!changed);
        assert!(matches!(still, FirmStatus::Unreachable { since: s, .. } if s == since));
        let (up, changed) = still.after(Ok(4));
        assert!(changed);
        assert!(up.is_connected());
        let (same, changed) = up.after(Ok(4));
        assert!(!changed);
        assert_eq!(same, up);
    }
}

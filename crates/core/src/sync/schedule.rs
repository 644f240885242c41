//! Which connections a sync covers, and when the once-a-day refresh is due. Pure store reads:
//! the app only runs what these decide.

use serde::Deserialize;

use crate::domain::ConnectionStatus;
use crate::error::Result;
use crate::store::Store;
use crate::sync::connections;
use crate::time::Timestamp;
use crate::{clients, settings};

/// Setting: when the last scheduled refresh started (RFC 3339).
pub const LAST_SCHEDULED_SETTING: &str = "sync.last_scheduled_at";
const DAILY: chrono::Duration = chrono::Duration::hours(24);

/// What to sync, as the UI asks for it (`{kind: "client", id: 3}`, `{kind: "all"}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum SyncScope {
    Connection(i64),
    Client(i64),
    All,
}

/// The connection ids a scope covers: removed connections never; an unknown connection or
/// client is `not_found`.
pub fn scope_ids(store: &Store, scope: SyncScope) -> Result<Vec<i64>> {
    let live = |c: &crate::sync::Connection| c.status != ConnectionStatus::Removed;
    Ok(match scope {
        SyncScope::Connection(id) => vec![connections::get(store, id)?.id],
        SyncScope::Client(id) => {
            clients::get(store, id)?;
            let connections = connections::list(store, Some(id))?;
            connections
                .iter()
                .filter(|c| live(c))
                .map(|c| c.id)
                .collect()
        }
        SyncScope::All => {
            let connections = connections::list(store, None)?;
            connections
                .iter()
                .filter(|c| live(c))
                .map(|c| c.id)
                .collect()
        }
    })
}

/// Whether the daily refresh is due: never ran, or started a day or more ago.
pub fn daily_refresh_due(store: &Store, now: Timestamp) -> Result<bool> {
    let last = settings::get(store, LAST_SCHEDULED_SETTING)?;
    Ok(last
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .is_none_or(|at| now - at.with_timezone(&chrono::Utc) >= DAILY))
}

/// Records that the scheduled refresh started at `now`.
pub fn mark_daily_refresh(store: &Store, now: Timestamp) -> Result<()> {
    settings::set(store, LAST_SCHEDULED_SETTING, &now.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time;

    #[test]
    fn the_daily_refresh_is_due_once_a_day() {
        let store = Store::open_in_memory().unwrap();
        let now = time::now();
        assert!(daily_refresh_due(&store, now).unwrap());
        mark_daily_refresh(&store, now).unwrap();
        assert!(!daily_refresh_due(&store, now).unwrap());
        assert!(!daily_refresh_due(&store, now + chrono::Duration::hours(23)).unwrap());
        assert!(daily_refresh_due(&store, now + chrono::Duration::hours(24)).unwrap());
    }

    #[test]
    fn scopes_deserialise_from_the_ui_payload() {
        let s: SyncScope =
            serde_json::from_value(serde_json::json!({"kind": "client", "id": 3})).unwrap();
        assert_eq!(s, SyncScope::Client(3));
        let s: SyncScope = serde_json::from_value(serde_json::json!({"kind": "all"})).unwrap();
        assert_eq!(s, SyncScope::All);
        assert!(serde_json::from_value::<SyncScope>(serde_json::json!({"kind": "x"})).is_err());
    }

    #[test]
    fn unknown_ids_are_not_found_and_an_empty_book_has_nothing_to_sync() {
        let store = Store::open_in_memory().unwrap();
        assert!(scope_ids(&store, SyncScope::All).unwrap().is_empty());
        for scope in [SyncScope::Client(42), SyncScope::Connection(42)] {
            let code = scope_ids(&store, scope).unwrap_err().code();
            assert_eq!(code.as_str(), "not_found", "{scope:?}");
        }
    }
}

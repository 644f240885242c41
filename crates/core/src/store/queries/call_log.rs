//! The `provider_calls` table: one row per provider HTTP call (never a body or a secret) —
//! and `sync_runs`, one row per sync of a connection.

pub mod read {
    use super::super::Db;
    use crate::domain::Provider;
    use crate::error::Result;
    use crate::sync::ProviderCall;
    use crate::time;

    /// The newest provider calls first.
    pub fn latest(db: &Db, limit: u32) -> Result<Vec<ProviderCall>> {
        let mut stmt = db.prepare(
            "SELECT at, provider, endpoint, status, duration_ms, request_id, outcome
             FROM provider_calls ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit], |r| {
                let at: String = r.get(0)?;
                let provider: String = r.get(1)?;
                Ok(ProviderCall {
                    at: time::from_db(&at).unwrap_or_default(),
                    provider: Provider::parse(&provider).unwrap_or(Provider::Flanks),
                    endpoint: r.get(2)?,
                    status: r.get(3)?,
                    duration_ms: r.get::<_, i64>(4)?.max(0) as u64,
                    request_id: r.get(5)?,
                    outcome: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

pub mod write {
    use rusqlite::params;

    use super::super::{Db, Tx};
    use crate::error::Result;
    use crate::sync::{ProviderCall, WriteStats};
    use crate::time::{self, Timestamp};

    /// Appends provider calls inside the caller's transaction (or connection).
    pub fn append_calls(db: &Db, calls: &[ProviderCall]) -> Result<()> {
        let mut stmt = db.prepare_cached(
            "INSERT INTO provider_calls (at, provider, endpoint, status, duration_ms,
                 request_id, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for c in calls {
            stmt.execute(params![
                time::to_db(c.at),
                c.provider.as_str(),
                c.endpoint,
                c.status,
                c.duration_ms as i64,
                c.request_id,
                c.outcome
            ])?;
        }
        Ok(())
    }

    /// A sync run: when, why, and either its row counts or its failure kind.
    pub struct SyncRun<'a> {
        pub connection_id: i64,
        pub trigger: &'a str,
        pub started: Timestamp,
        pub finished: Timestamp,
        pub result: std::result::Result<&'a WriteStats, &'a str>,
    }

    pub fn record_sync_run(tx: &Tx<'_>, run: &SyncRun<'_>) -> Result<()> {
        let (started, finished) = (time::to_db(run.started), time::to_db(run.finished));
        match run.result {
            Ok(stats) => tx.execute(
                "INSERT INTO sync_runs (connection_id, trigger, started_at, finished_at, outcome,
                     rows_inserted, rows_updated, rows_unchanged, rows_skipped, rows_odd)
                 VALUES (?1, ?2, ?3, ?4, 'ok', ?5, ?6, ?7, ?8, ?9)",
                params![
                    run.connection_id,
                    run.trigger,
                    started,
                    finished,
                    stats.inserted as i64,
                    (stats.updated + stats.retired) as i64,
                    stats.unchanged as i64,
                    stats.skipped as i64,
                    stats.odd as i64
                ],
            )?,
            Err(kind) => tx.execute(
                "INSERT INTO sync_runs (connection_id, trigger, started_at, finished_at, outcome,
                     error_code)
                 VALUES (?1, ?2, ?3, ?4, 'failed', ?5)",
                params![run.connection_id, run.trigger, started, finished, kind],
            )?,
        };
        Ok(())
    }
}

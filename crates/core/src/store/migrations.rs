//! Embedded, ordered migrations. The schema version is SQLite's `user_version`: migration
//! `n` (1-based) moves the file from version `n - 1` to `n`, in one transaction.

use rusqlite::Connection;

use crate::error::Result;

pub const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_clients_and_audit.sql"),
    include_str!("../../migrations/0002_connections_and_links.sql"),
    include_str!("../../migrations/0003_financial_data.sql"),
    include_str!("../../migrations/0004_sync_state.sql"),
    include_str!("../../migrations/0005_link_exchange.sql"),
    include_str!("../../migrations/0006_households.sql"),
    include_str!("../../migrations/0007_reference_rates.sql"),
    include_str!("../../migrations/0008_client_reach_and_consent.sql"),
    include_str!("../../migrations/0010_sync_run_oddities.sql"),
    include_str!("../../migrations/0013_transaction_months.sql"),
    include_str!("../../migrations/0014_holder_check.sql"),
    include_str!("../../migrations/0015_sent_links.sql"),
    include_str!("../../migrations/0016_account_transaction_totals.sql"),
    include_str!("../../migrations/0017_counted_totals.sql"),
    include_str!("../../migrations/0018_household_pages.sql"),
];

pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn current_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Applies every migration above the current version up to `target`.
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let from = current_version(conn)?;
    for version in (from + 1)..=target {
        let sql = MIGRATIONS[(version - 1) as usize];
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "database migrated");
    }
    Ok(())
}

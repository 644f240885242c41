//! The firm schema: embedded, ordered migrations, each recording which SQLite schema version
//! (crates/core's `store::LATEST_VERSION`) it mirrors, so the two engines are versioned together.
//!
//! `firm_schema_migrations` holds one row per applied migration. Migrating is the firm's owner's
//! job (it creates tables and roles); every desktop checks the version on connecting and refuses
//! a newer schema, as the SQLite store refuses a newer file.

use postgres::GenericClient;

use crate::FirmDbError;

pub struct Migration {
    pub version: i32,
    /// The SQLite schema version whose tables this migration brings the firm schema up to.
    pub sqlite_version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sqlite_version: 10,
        name: "firm_book",
        sql: include_str!("../migrations/0001_firm_book.sql"),
    },
    Migration {
        version: 2,
        sqlite_version: 10,
        name: "roles_and_row_security",
        sql: include_str!("../migrations/0002_roles_and_row_security.sql"),
    },
    // The firm's own tables (no SQLite counterpart): the firm schema still mirrors version 10.
    Migration {
        version: 3,
        sqlite_version: 10,
        name: "refresh_rounds",
        sql: include_str!("../migrations/0003_refresh_rounds.sql"),
    },
    Migration {
        version: 4,
        sqlite_version: 10,
        name: "live_changes",
        sql: include_str!("../migrations/0004_live_changes.sql"),
    },
    Migration {
        version: 5,
        sqlite_version: 15,
        name: "holder_check_and_sent_links",
        sql: include_str!("../migrations/0005_holder_check_and_sent_links.sql"),
    },
    // The firm's own set-up for moving books in (no SQLite counterpart): still SQLite 15.
    Migration {
        version: 6,
        sqlite_version: 15,
        name: "moving_books_in",
        sql: include_str!("../migrations/0006_moving_books_in.sql"),
    },
    Migration {
        version: 7,
        sqlite_version: 17,
        name: "counted_totals",
        sql: include_str!("../migrations/0007_counted_totals.sql"),
    },
];

/// The newest version this build knows (the last migration's: numbers were reserved per branch,
/// so they may have a gap while branches are apart).
pub const LATEST_VERSION: i32 = match MIGRATIONS.last() {
    Some(m) => m.version,
    None => 0,
};

/// The SQLite schema version the latest firm schema mirrors.
pub fn mirrored_sqlite_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.sqlite_version)
}

// One key for every desktop of every firm: two desktops migrating at once take turns.
const MIGRATION_LOCK: i64 = 0x4144_464d_4947; // "ADFMIG"

const CREATE_VERSION_TABLE: &str = "
    CREATE TABLE IF NOT EXISTS firm_schema_migrations (
        version         integer     PRIMARY KEY,
        sqlite_version  bigint      NOT NULL,
        name            text        NOT NULL,
        applied_at      timestamptz NOT NULL DEFAULT now()
    )";

/// The schema version of the firm database: 0 when it has none yet.
pub fn current_version(client: &mut impl GenericClient) -> Result<i32, FirmDbError> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('firm_schema_migrations') IS NOT NULL",
            &[],
        )?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let version: Option<i32> = client
        .query_one("SELECT max(version) FROM firm_schema_migrations", &[])?
        .get(0);
    Ok(version.unwrap_or(0))
}

/// Refuses a schema this build does not know (newer) or one not yet migrated (older).
pub fn check_version(client: &mut impl GenericClient) -> Result<(), FirmDbError> {
    match current_version(client)? {
        found if found > LATEST_VERSION => Err(FirmDbError::NewerSchema {
            found,
            supported: LATEST_VERSION,
        }),
        found if found < LATEST_VERSION => Err(FirmDbError::SchemaNotMigrated {
            found,
            latest: LATEST_VERSION,
        }),
        _ => Ok(()),
    }
}

/// Applies every migration above the current version, each in its own transaction, holding an
/// advisory lock so concurrent callers apply each migration once. Returns the version reached.
pub fn migrate(client: &mut postgres::Client) -> Result<i32, FirmDbError> {
    migrate_to(client, LATEST_VERSION)
}

pub fn migrate_to(client: &mut postgres::Client, target: i32) -> Result<i32, FirmDbError> {
    let mut reached = 0;
    loop {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(CREATE_VERSION_TABLE)?;
        let found = current_version(&mut tx)?;
        if found > LATEST_VERSION {
            return Err(FirmDbError::NewerSchema {
                found,
                supported: LATEST_VERSION,
            });
        }
        if found >= target {
            tx.commit()?;
            return Ok(reached.max(found));
        }
        let Some(migration) = MIGRATIONS.iter().find(|m| m.version > found) else {
            tx.commit()?;
            return Ok(reached.max(found));
        };
        tx.batch_execute(migration.sql)
            .map_err(|e| FirmDbError::Migration {
                version: migration.version,
                detail: crate::error::database_detail(&e),
            })?;
        tx.execute(
            "INSERT INTO firm_schema_migrations (version, sqlite_version, name) VALUES ($1, $2, $3)",
            &[&migration.version, &migration.sqlite_version, &migration.name],
        )?;
        tx.commit()?;
        tracing::info!(version = migration.version, "firm database migrated");
        reached = migration.version;
    }
}

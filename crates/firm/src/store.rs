//! `FirmStore`: the firm database as the desktop holds it — the pool, checked to carry the schema
//! this build knows — with the same two entry points as the core's `Store`: `read` lends a
//! connection, `write` runs the closure in one transaction that commits only if it returns Ok.

use postgres::{Client, Transaction};
use r2d2::PooledConnection;
use r2d2_postgres::PostgresConnectionManager;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::{migrations, FirmDbConfig, FirmDbError, FirmPool};

pub struct FirmStore {
    pool: FirmPool,
}

impl FirmStore {
    /// Connects and refuses a database whose schema is newer than this build or not migrated
    /// yet (migrating is the owner's job: `migrations::migrate`).
    pub fn connect(config: &FirmDbConfig) -> Result<FirmStore, FirmDbError> {
        let pool = config.open_pool()?;
        migrations::check_version(&mut *pool.get()?)?;
        Ok(FirmStore { pool })
    }

    /// The pool itself, for work that manages its own connections (the refresh worker holds
    /// one for its loop and one for its lease heartbeat).
    pub fn pool(&self) -> &FirmPool {
        &self.pool
    }

    /// A connection of the pool, with its extensions (where its prepared statements are kept).
    pub(crate) fn pooled(
        &self,
    ) -> Result<PooledConnection<PostgresConnectionManager<MakeRustlsConnect>>, FirmDbError> {
        Ok(self.pool.get()?)
    }

    pub fn read<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, FirmDbError>,
    ) -> Result<T, FirmDbError> {
        let mut client = self.pool.get()?;
        f(&mut client)
    }

    /// One transaction: committed when `f` returns Ok, rolled back (by drop) when it fails.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, FirmDbError>,
    ) -> Result<T, FirmDbError> {
        self.write_as(f)
    }

    /// [`FirmStore::write`] for a caller with its own error type (one that carries the
    /// database's), such as the sealed secrets' `FirmSecretsError`.
    pub fn write_as<T, E: From<FirmDbError>>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut client = self.pool.get().map_err(FirmDbError::from)?;
        let mut tx = client.transaction().map_err(FirmDbError::from)?;
        let out = f(&mut tx)?;
        tx.commit().map_err(FirmDbError::from)?;
        Ok(out)
    }
}

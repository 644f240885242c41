//! Firm mode: a firm's shared book on a PostgreSQL server the firm already runs.
//!
//! - [`pool`]: the connection pool (sfackler's synchronous `postgres` client over tokio-postgres,
//!   pooled by r2d2) with TLS through rustls — `sslmode=require` and a firm's own CA.
//! - [`test_server`] (feature `test-server`): a throw-away PostgreSQL cluster that a test starts
//!   itself on a loopback port in a temporary folder.
//! - [`refresh`]: one refresh per connection across the firm (rounds, leases, fencing).
//! - [`live`]: changes made on one desktop reach the others (`LISTEN`/`NOTIFY`).
//!
//! The core's domain code is synchronous (rusqlite); the firm store is called the same way, from
//! the same blocking threads, so one domain layer reads from either engine (ARCHITECTURE.md).

pub mod error;
pub mod live;
pub mod pool;
pub mod refresh;
#[cfg(feature = "test-server")]
pub mod test_server;

pub use error::FirmDbError;
pub use pool::{FirmDbConfig, FirmPool};

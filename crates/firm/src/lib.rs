//! Firm mode: a firm's shared book on a PostgreSQL server the firm already runs.
//!
//! - [`pool`]: the connection pool (sfackler's synchronous `postgres` client over tokio-postgres,
//!   pooled by r2d2) with TLS through rustls — `sslmode=require` and a firm's own CA.
//! - [`store`]: `FirmStore`, the pool checked for the schema version, with `read` and `write` (one
//!   transaction) like the core's `Store`.
//! - [`migrations`]: the firm schema (tables mirroring the solo book's, the firm's own, roles and
//!   row-level security), versioned together with the SQLite schema.
//! - [`members`]: adding and removing the firm's members (one database role each).
//! - [`secrets`]: the firm's secrets sealed under the firm key in `sealed_secrets`, and removing
//!   an advisor with the firm key's rotation, in one transaction.
//! - [`queries`]: the firm store's statements, in the core's `store::queries` shape, returning
//!   the core's domain types.
//! - [`test_server`] (feature `test-server`): a throw-away PostgreSQL cluster that a test starts
//!   itself on a loopback port in a temporary folder; [`test_firm`] a migrated firm with members.
//! - [`refresh`]: one refresh per connection across the firm (rounds, leases, fencing).
//! - [`live`]: changes made on one desktop reach the others (`LISTEN`/`NOTIFY`).
//! - [`session`]: firm mode as the app runs it — reachability, reconnection, live changes.
//!
//! The core's domain code is synchronous (rusqlite); the firm store is called the same way, from
//! the same blocking threads, so one domain layer reads from either engine (ARCHITECTURE.md).

pub mod error;
pub mod live;
pub mod members;
pub mod migrations;
pub mod pool;
pub mod queries;
pub mod refresh;
pub mod secrets;
pub mod session;
pub mod store;
#[cfg(feature = "test-server")]
pub mod test_firm;
#[cfg(feature = "test-server")]
pub mod test_server;

pub use error::FirmDbError;
pub use pool::{FirmDbConfig, FirmPool};
pub use store::FirmStore;

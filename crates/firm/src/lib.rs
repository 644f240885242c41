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
//! - [`copy_in`]: every row of a solo book copied into the firm database in one transaction
//!   (ids kept, no secrets).
//! - [`move_in`]: a solo book moved into the firm database, all or nothing: its rows (through
//!   `copy_in`), its secrets sealed under the firm key, counts verified, the solo book marked.
//! - [`book_writes`]: the book's writes in firm mode (clients added and their contact set,
//!   households and their members), each one audited transaction under the solo book's rules.
//! - [`reads`]: the core's read models (book, client and household pages, transactions pages,
//!   health queue) on the firm database, through the core's `BookReads`.
//! - [`test_server`] (feature `test-server`): a throw-away PostgreSQL cluster that a test starts
//!   itself on a loopback port in a temporary folder; [`test_firm`] a migrated firm with members.
//! - [`refresh`]: one refresh per connection across the firm (rounds, leases, fencing).
//! - [`live`]: changes made on one desktop reach the others (`LISTEN`/`NOTIFY`).
//! - [`links`]: link sessions on the firm database, and link results kept in the keychain while
//!   it is unreachable.
//! - [`snapshot`]: the core's snapshot writer's statements for a PostgreSQL transaction.
//! - [`session`]: firm mode as the app runs it — reachability, reconnection, live changes.
//!
//! The core's domain code is synchronous (rusqlite); the firm store is called the same way, from
//! the same blocking threads, so one domain layer reads from either engine (ARCHITECTURE.md).

pub mod audit;
pub mod book_writes;
pub mod copy_in;
pub mod error;
pub mod links;
pub mod live;
pub mod members;
pub mod migrations;
pub mod move_in;
pub mod pool;
pub mod queries;
pub mod reads;
pub mod refresh;
pub mod secrets;
pub mod session;
pub mod snapshot;
pub mod store;
#[cfg(feature = "test-server")]
pub mod test_firm;
#[cfg(feature = "test-server")]
pub mod test_server;

pub use error::FirmDbError;
pub use pool::{FirmDbConfig, FirmPool};
pub use store::FirmStore;

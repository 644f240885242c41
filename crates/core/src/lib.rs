//! Advisor Desk core.
//!
//! Everything here runs without a window or an HTTP server so it can be tested directly:
//! the local store (SQLite + migrations), secrets (OS keychain behind a trait), the domain
//! model and the error kinds that cross the IPC boundary as `{code, message}`.

pub mod book;
pub mod clients;
pub mod credentials;
pub mod doctor;
pub mod domain;
pub mod encrypted_file;
pub mod error;
pub mod firm;
pub mod households;
pub mod ipc;
pub mod links;
pub mod money;
pub mod paths;
pub mod rates;
pub mod reads;
pub mod secrets;
pub mod settings;
pub mod store;
pub mod sync;
#[cfg(any(test, feature = "test-fixtures"))]
pub mod test_fixtures;
#[cfg(test)]
mod test_support;
pub mod time;

pub use error::{CoreError, ErrorCode, IpcError};
pub use store::Store;

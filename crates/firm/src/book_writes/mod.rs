//! The book's writes on the firm database, as the app makes them in firm mode: adding a client
//! and setting how it is reached; creating and deleting households, adding, removing and moving
//! their members. Each is one `FirmStore::write` transaction with its audit entry, under the
//! same rules as the core's solo writes (the core's own validation; a client in at most one
//! household), and row-level security decides what the signed-in member may change: a client
//! an advisor adds is assigned to them by the schema (0002), so they see it at once.
//!
//! Errors are the core's: a refusal as the solo book words it, a failed statement through
//! `reads::to_core` (`firm_unreachable` when the server is gone, so nothing was changed).

mod audit;
pub mod clients;
pub mod households;

use advisor_desk_core::CoreError;

use crate::reads::to_core;
use crate::FirmDbError;

/// A write's failure inside its transaction: the core's refusal, or the database's.
struct WriteError(CoreError);

impl From<CoreError> for WriteError {
    fn from(e: CoreError) -> Self {
        WriteError(e)
    }
}

impl From<FirmDbError> for WriteError {
    fn from(e: FirmDbError) -> Self {
        WriteError(to_core(e))
    }
}

impl From<postgres::Error> for WriteError {
    fn from(e: postgres::Error) -> Self {
        WriteError(to_core(e.into()))
    }
}

type WriteResult<T> = Result<T, WriteError>;

/// Runs `f` in one transaction of `store`, with the core's errors out.
fn write<T>(
    store: &crate::FirmStore,
    f: impl FnOnce(&mut postgres::Transaction<'_>) -> WriteResult<T>,
) -> Result<T, CoreError> {
    store.write_as(f).map_err(|e: WriteError| e.0)
}

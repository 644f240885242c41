//! Which book a command works on: the solo SQLite book, or the firm's PostgreSQL book while
//! this desktop is in firm mode. Commands ask `AppState::book()` and run the same core read
//! model on either engine through [`read_book!`]; a command the firm store cannot serve yet
//! says so with `firm_not_available` instead of answering from the solo book.

use std::sync::Arc;

use advisor_desk_core::{ErrorCode, IpcError, Store};
use advisor_desk_firm::store::FirmStore;

use crate::error::CommandError;

/// The book behind the window right now.
pub enum Book<'a> {
    Solo(&'a Store),
    /// Firm mode with the firm database connected (its pool reconnects by itself).
    Firm(Arc<FirmStore>),
}

impl Book<'_> {
    /// The solo store, or a clear refusal naming `what` for a command that firm mode does not
    /// serve yet (never the solo book's answer while the window shows the firm's).
    pub fn solo_only(&self, what: &str) -> Result<&Store, CommandError> {
        match self {
            Book::Solo(store) => Ok(store),
            Book::Firm(_) => Err(firm_not_available(what)),
        }
    }
}

/// The refusal of a command firm mode does not serve yet.
pub fn firm_not_available(what: &str) -> CommandError {
    CommandError(IpcError {
        code: "firm_not_available".into(),
        message: format!("{what} is not available in firm mode yet."),
    })
}

/// The firm database is not connected (starting, or the server is gone).
pub fn firm_unreachable(reason: &str) -> CommandError {
    CommandError(IpcError {
        code: ErrorCode::FirmUnreachable.as_str().into(),
        message: format!("The firm database cannot be reached: {reason}"),
    })
}

/// Runs one core read model on the book in use: `read_book!(state, |r| book_summary_from(r, now))`.
/// The body is compiled once per engine (`r` is a SQLite connection or a `FirmReads`); the
/// firm's blocking client runs in `block_in_place` so the async worker is not held.
#[macro_export]
macro_rules! read_book {
    ($state:expr, |$r:ident| $body:expr) => {
        match $state.book()? {
            $crate::book::Book::Solo(store) => store.read(|$r| $body),
            $crate::book::Book::Firm(firm) => {
                tokio::task::block_in_place(|| firm.reading(|$r| $body))
            }
        }
    };
}

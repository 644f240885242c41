//! Which book a command works on: the solo SQLite book, or the firm's PostgreSQL book while
//! this desktop is in firm mode. Commands ask `AppState::book()` and run the same core read
//! model on either engine through [`read_book!`]; a command the firm store cannot serve yet
//! says so with `firm_not_available` instead of answering from the solo book.
//!
//! While the firm's server is gone the desktop works read-only on what it last showed: a page
//! read through [`page`] is kept when it loads, and given again when the firm answers
//! `firm_unreachable`; a write through [`write_book`] is refused with a plain sentence.

use std::sync::Arc;

use advisor_desk_core::{CoreError, ErrorCode, IpcError, Store};
use advisor_desk_firm::store::FirmStore;

use crate::error::CommandError;
use crate::state::AppState;

/// The book behind the window right now.
pub enum Book<'a> {
    Solo(&'a Store),
    /// Firm mode with the firm database connected (its pool reconnects by itself).
    Firm(Arc<FirmStore>),
}

impl<'a> Book<'a> {
    /// The solo store, or a clear refusal naming `what` for a command that firm mode does not
    /// serve yet (never the solo book's answer while the window shows the firm's).
    pub fn solo_only(&self, what: &str) -> Result<&'a Store, CommandError> {
        match self {
            Book::Solo(store) => Ok(store),
            Book::Firm(_) => Err(firm_not_available(what)),
        }
    }
}

/// One page of the book (`key`: the command and its arguments) read by `read`: in firm mode,
/// kept when it loads and answered from what was last loaded while the server is gone (the
/// banner says since when). In solo mode nothing is kept.
pub fn page<T: Clone + Send + Sync + 'static>(
    state: &AppState,
    key: impl FnOnce() -> String,
    read: impl FnOnce() -> Result<T, CommandError>,
) -> Result<T, CommandError> {
    if !state.firm.is_firm() {
        return read();
    }
    let key = key();
    match read() {
        Ok(value) => {
            state.firm.last_loaded.keep(key, &value);
            Ok(value)
        }
        Err(e) if is_unreachable(&e) => state.firm.last_loaded.get(&key).ok_or(e),
        Err(e) => Err(e),
    }
}

/// Runs one write on the book in use: `solo` on the SQLite book, `firm` on the firm's (a
/// `advisor_desk_firm::book_writes` function). Refused plainly while the firm's server is gone:
/// nothing was changed, and the window keeps showing what it last loaded.
pub fn write_book<T>(
    state: &AppState,
    solo: impl FnOnce(&Store) -> Result<T, CoreError>,
    firm: impl FnOnce(&FirmStore) -> Result<T, CoreError>,
) -> Result<T, CommandError> {
    let written = match state.book() {
        Ok(Book::Solo(store)) => return Ok(solo(store)?),
        Ok(Book::Firm(store)) => tokio::task::block_in_place(|| firm(&store)).map_err(Into::into),
        Err(e) => Err(e),
    };
    written.map_err(|e| {
        if is_unreachable(&e) {
            CommandError(IpcError {
                code: e.0.code,
                message: "The firm database cannot be reached, so nothing was changed. \
                          Try again when it answers."
                    .into(),
            })
        } else {
            e
        }
    })
}

fn is_unreachable(e: &CommandError) -> bool {
    e.0.code == ErrorCode::FirmUnreachable.as_str()
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

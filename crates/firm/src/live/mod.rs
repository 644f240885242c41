//! Live changes: a change made on one desktop (a new client, a new or repaired connection)
//! reaches the other desktops within seconds, through PostgreSQL's `LISTEN`/`NOTIFY`.
//!
//! Migration 0004 watches the tables the desktops show: each row change writes a `live_changes`
//! row (table, row id, operation, and who may see it) and sends only its sequence number on
//! [`CHANNEL`]. NOTIFY ignores row-level security, so the number is all a notice may carry; the
//! listener reads the rows its notices name through its own role's policies, and a change to
//! another advisor's client reads as nothing.
//!
//! - [`event`]: the events a desktop receives, and the notice's decoding.
//! - [`listener`]: a thread on its own connection that listens, reads what changed, reconnects,
//!   and says when the desktop must re-read everything (notices sent while it was away are
//!   lost: NOTIFY is not queued for absent listeners).

pub mod event;
pub mod listener;

pub use event::{decode, Change, LiveEvent, Operation, ResyncReason, UnreadableNotice};
pub use listener::{Listener, ListenerConfig};

/// The one channel every change notice is sent on.
pub const CHANNEL: &str = "advisor_desk_changes";

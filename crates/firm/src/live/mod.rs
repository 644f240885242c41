//! Live changes: a change made on one desktop (a new client, a new or repaired connection)
//! reaches the other desktops within seconds, through PostgreSQL's `LISTEN`/`NOTIFY`.
//!
//! - [`schema`]: a trigger on the tables that matter sends `{table, id, op}` on [`CHANNEL`]
//!   (migration 0006).
//! - [`event`]: the events a desktop receives, and the notice's decoding.
//! - [`listener`]: a thread on its own connection that listens, decodes, reconnects, and says
//!   when the desktop must re-read everything (notices sent while it was away are lost: NOTIFY
//!   is not queued for absent listeners).

pub mod event;
pub mod listener;
pub mod schema;

pub use event::{decode, Change, LiveEvent, Operation, ResyncReason, UnreadableNotice};
pub use listener::{Listener, ListenerConfig};

/// The one channel every change notice is sent on.
pub const CHANNEL: &str = "advisor_desk_changes";

//! Firm link sessions on PostgreSQL, and never losing a link result while the server is down.
//!
//! - `statements.rs`: the `link_sessions` statements the solo exchange uses, on the firm
//!   database (create, read, each step's compare-and-set, finish);
//! - `sessions.rs`: starting a session and claiming its callback once (a replayed or forged
//!   callback refused and audited as in the solo book), the exchange's step writes;
//! - `mapping.rs`: connection row + sealed credentials + session completed + audit in ONE
//!   transaction, idempotent by session and token hash;
//! - `pending.rs`: the result kept in the keychain ledger (the core's `firm::PendingLinks`)
//!   until the firm database committed it, and applied at start and after a reconnect;
//! - `flow.rs`: the app's flow on the firm's book (start a connect, the callback, the code
//!   exchanged by this desktop, the result delivered; the window closed, a widget's event);
//! - `audit.rs`: their audit entries; `error.rs`: the typed refusals.

mod audit;
mod error;
pub mod flow;
mod mapping;
mod pending;
pub mod sessions;
pub mod statements;

pub use error::FirmLinkError;
pub use flow::FirmLinkFlow;
pub use mapping::{map_in, map_link_result, Mapped};
pub use pending::{apply_pending, deliver, Applied, Delivered};

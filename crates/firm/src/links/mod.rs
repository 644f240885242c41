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
//! - `reauthorize.rs`: "Reauthorize" and "Renew now" — the core's rule picks the link, a
//!   session naming the connection opens it; `reauthorized.rs`: its result mapped onto that
//!   connection (credentials sealed again, consent renewed), through the same ledger;
//! - `removal.rs`: removing a connection (the provider's credential first, then the row and
//!   its sealed credentials), the holder check's answers, deleting a client;
//! - `connection.rs`: a connection the member may see, and its credentials opened;
//! - `audit.rs`: their audit entries; `error.rs`: the typed refusals.

mod audit;
mod connection;
mod error;
pub mod flow;
mod mapping;
mod pending;
mod reauthorize;
mod reauthorized;
mod removal;
pub mod sessions;
pub mod statements;

pub use error::FirmLinkError;
pub use flow::FirmLinkFlow;
pub use mapping::{map_in, map_link_result, Mapped};
pub use pending::{apply_pending, deliver, Applied, Delivered};
pub use reauthorized::DIFFERENT_LOGIN;
pub use removal::confirm_holder;

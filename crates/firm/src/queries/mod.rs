//! The firm store's statements, in the shape of the core's `store::queries`: one module per
//! table, `read` (any client or transaction) and `write` (the caller's transaction), rows returned
//! as the core's own domain types. The read models run on either engine through the core's
//! `store::book_reads::BookReads`, which [`crate::reads::FirmReads`] implements with these;
//! row-level security filters every statement to what the signed-in member may see. The reads
//! run on a [`Reader`]: any client or transaction, or a page's statements prepared once per
//! pooled connection ([`prepared`]).

pub mod audit;
pub mod client_page;
pub mod clients;
pub mod connections;
pub mod households;
pub mod link_sessions;
pub mod positions;
pub mod prepared;
pub mod set_copies;
pub mod settings;
pub mod transactions;

pub use prepared::{PreparedStatements, Reader};

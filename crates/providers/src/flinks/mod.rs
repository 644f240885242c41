//! Flinks: authorize token, Authorize (cached and live, with 203 MFA), GetAccountsDetail with
//! 202 → Async polling, GetAccountsSummary, DeleteCard.

pub mod answers;
mod client;
mod errors;
mod gateway;
mod normalise;
pub mod wire;

pub use answers::{AuthorizeOutcome, Challenge};
pub use client::{AuthorizeMode, FlinksClient};
pub use errors::classify;
pub use gateway::FlinksGateway;
pub use normalise::normalise;

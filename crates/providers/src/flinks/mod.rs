//! Flinks: authorize token, Authorize (cached and live, with 203 MFA), GetAccountsDetail with
//! 202 → Async polling, GetAccountsSummary, DeleteCard.

mod client;
mod errors;
mod gateway;
mod normalise;
pub mod wire;

pub use client::{AuthorizeMode, AuthorizeOutcome, Challenge, FlinksClient};
pub use errors::classify;
pub use gateway::FlinksGateway;
pub use normalise::normalise;

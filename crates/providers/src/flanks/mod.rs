//! Flanks: token management, legacy Link code exchange and unused codes, Links API, Connect
//! v2 sessions, banks, credentials status / force / list / delete and every aggregation
//! endpoint.

pub mod answers;
mod auth;
mod client;
mod errors;
mod gateway;
mod normalise;
pub mod wire;

pub use answers::{
    Bank, Connector, CredentialStatus, CredentialSummary, CredentialsPage, ExchangeOutcome,
    ForceKind, Link, Page, Session, SessionStatus, UnusedCode,
};
pub use client::{AggregationEndpoint, FlanksClient};
pub use errors::classify;
pub use gateway::FlanksGateway;
pub use normalise::{normalise, FlanksRaw};

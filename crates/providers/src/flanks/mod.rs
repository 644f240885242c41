//! Flanks: token management, legacy Link code exchange and unused codes, Links API, Connect
//! v2 sessions, banks, credentials status / force / list / delete and every aggregation
//! endpoint.

mod auth;
mod client;
mod errors;
mod gateway;
mod normalise;
pub mod wire;

pub use client::{
    AggregationEndpoint, Bank, Connector, CredentialStatus, CredentialSummary, CredentialsPage,
    ExchangeOutcome, FlanksClient, ForceKind, Link, Page, Session, SessionStatus, UnusedCode,
};
pub use errors::classify;
pub use gateway::FlanksGateway;
pub use normalise::{normalise, FlanksRaw};

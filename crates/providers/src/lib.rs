//! Provider clients for Flanks (Spain) and Flinks (Canada).
//!
//! Each client speaks one provider's HTTP API (token handling, retries with backoff,
//! `Retry-After`, a per-provider concurrency and rate limit, a call log without bodies or
//! secrets), decodes leniently, classifies every error by who must act, and turns provider
//! JSON into the core's domain model. [`FlanksGateway`] and [`FlinksGateway`] implement the
//! core's [`ProviderGateway`](advisor_desk_core::sync::ProviderGateway) for the sync engine.

pub mod config;
pub mod decode;
pub mod demo;
pub mod flanks;
pub mod flinks;
pub mod http;
pub mod lenient;
pub mod links;
pub mod rates;
pub mod setup;

pub use config::{FlanksConfig, FlinksConfig, HttpPolicy};
pub use flanks::{FlanksClient, FlanksGateway};
pub use flinks::{FlinksClient, FlinksGateway};

//! The firm's secrets in the firm database: each connection's credentials token / loginId and
//! the provider API keys, sealed under the firm key (the core's `firm` module:
//! XChaCha20-Poly1305, associated data binding each ciphertext to its row) in `sealed_secrets`,
//! never in clear.
//!
//! - `settings.rs`: the firm id and the current key version, kept in `firm_settings`;
//! - `sealed.rs`: putting a secret sealed for its place, reading and opening it — in the
//!   caller's transaction;
//! - `rotation.rs`: removing an advisor, which rotates the firm key (every secret re-sealed) and
//!   drops their role, in one transaction;
//! - `error.rs`: the typed refusals, none holding a secret.

mod error;
mod rotation;
mod sealed;
mod settings;

pub use error::FirmSecretsError;
pub use rotation::{remove_advisor_and_rotate, Rotation, AUDIT_ACTION};
pub use sealed::{open, put, read, SecretPlace};
pub use settings::{
    current_key_version, firm_id, set_up_firm, FIRM_ID_SETTING, KEY_VERSION_SETTING,
};

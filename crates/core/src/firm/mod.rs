//! A firm's shared book: the cryptography that keeps its secrets secret, whatever database
//! engine stores them (the PostgreSQL side is `crates/firm`).
//!
//! - `key.rs`: the firm key (256 random bits, versioned), kept in each advisor's keychain;
//! - `seal.rs`: a secret sealed for one row and column (XChaCha20-Poly1305, associated data
//!   binding it to its place) and its stored form;
//! - `rotate.rs`: every sealed secret re-sealed under a new key, all or nothing;
//! - `invite.rs`: the passphrase-protected invite file an administrator gives an advisor;
//! - `file.rs`: the layout the invite and the key update files share;
//! - `key_update.rs`: the same kind of file carrying only the new key after a rotation;
//! - `keychain.rs`: the names of the firm's keychain entries;
//! - `ledger.rs`: link results waiting for an unreachable firm database, kept in the keychain
//!   (`ledger_entry.rs`: how one is written into its entry);
//! - `error.rs`: the typed refusals, none holding a secret.

mod error;
mod file;
mod id;
mod invite;
mod key;
mod key_update;
pub mod keychain;
pub mod ledger;
mod ledger_entry;
mod rotate;
mod seal;

pub use error::FirmError;
pub use id::FirmId;
pub use invite::{
    accept_invite, read_invite, write_invite, DatabaseSettings, FirmSettings, Invite, SslMode,
    INVITE_FORMAT,
};
pub use key::{FirmKey, KEY_BYTES};
pub use key_update::{
    accept_key_update, read_key_update, write_key_update, KeyUpdate, KEY_UPDATE_FORMAT,
};
pub use ledger::{LedgerError, PendingLink, PendingLinks};
pub use rotate::rotate;
pub use seal::{open, seal, SealedSecret, SecretBinding, MAX_SECRET_BYTES, SEALED_FORMAT};

#[cfg(test)]
mod invite_tests;
#[cfg(test)]
mod seal_tests;

//! The firm key: 256 random bits from the operating system, with the version number that
//! rotation increments. It is kept only in each advisor's keychain (see `keychain.rs`), is
//! wiped from memory when dropped, and shows itself to nobody: no `Serialize`, no `Clone`,
//! a `Debug` that prints only the version.

use std::fmt::Write as _;

use chacha20poly1305::{Key, KeyInit, XChaCha20Poly1305};
use zeroize::Zeroizing;

use super::keychain::key_entry;
use super::{FirmError, FirmId};
use crate::secrets::{Secret, SecretStore};

/// 256 bits, XChaCha20-Poly1305's key size.
pub const KEY_BYTES: usize = 32;

pub struct FirmKey {
    version: u32,
    bytes: Zeroizing<[u8; KEY_BYTES]>,
}

impl FirmKey {
    /// A new random key. Versions start at 1.
    pub fn generate(version: u32) -> Result<FirmKey, FirmError> {
        if version == 0 {
            return Err(FirmError::invalid("firm key versions start at 1"));
        }
        let mut bytes = Zeroizing::new([0u8; KEY_BYTES]);
        fill_random(&mut bytes[..])?;
        Ok(FirmKey { version, bytes })
    }

    /// The key that replaces this one when the firm rotates: random, one version up.
    pub fn successor(&self) -> Result<FirmKey, FirmError> {
        let next = self
            .version
            .checked_add(1)
            .ok_or_else(|| FirmError::invalid("no firm key version after this one"))?;
        FirmKey::generate(next)
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// Files this key in `store` under `firm/<firm>/key/<version>`.
    pub fn save(&self, store: &dyn SecretStore, firm: &FirmId) -> Result<(), FirmError> {
        Ok(store.put(&key_entry(firm, self.version)?, &self.to_text())?)
    }

    /// The key of this version from `store`; a typed refusal when it is not there or is not
    /// a key.
    pub fn load(
        store: &dyn SecretStore,
        firm: &FirmId,
        version: u32,
    ) -> Result<FirmKey, FirmError> {
        let text = store
            .get(&key_entry(firm, version)?)?
            .ok_or(FirmError::KeyMissing { version })?;
        FirmKey::from_text(version, &text)
    }

    /// The key as 64 hex digits (how the keychain and the invite file carry it).
    pub(crate) fn to_text(&self) -> Secret {
        // Sized up front so the digits are never copied by a reallocation.
        let mut text = String::with_capacity(KEY_BYTES * 2);
        for byte in self.bytes.iter() {
            let _ = write!(text, "{byte:02x}");
        }
        Secret::new(text)
    }

    pub(crate) fn from_text(version: u32, text: &Secret) -> Result<FirmKey, FirmError> {
        if version == 0 {
            return Err(FirmError::KeyDamaged { version });
        }
        let mut bytes = Zeroizing::new([0u8; KEY_BYTES]);
        hex::decode_to_slice(text.expose(), &mut bytes[..])
            .map_err(|_| FirmError::KeyDamaged { version })?;
        Ok(FirmKey { version, bytes })
    }

    /// The AEAD keyed with this key (the cipher wipes its copy when dropped).
    pub(crate) fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(&self.bytes[..]))
    }
}

impl std::fmt::Debug for FirmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirmKey")
            .field("version", &self.version)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Fills `buf` from the operating system's random number generator.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), FirmError> {
    getrandom::fill(buf).map_err(|e| FirmError::RandomUnavailable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemorySecretStore;

    static_assertions::assert_not_impl_any!(FirmKey: serde::Serialize, Clone, std::fmt::Display);

    #[test]
    fn two_keys_differ_and_debug_shows_only_the_version() {
        let a = FirmKey::generate(1).unwrap();
        let b = FirmKey::generate(1).unwrap();
        assert_ne!(a.to_text(), b.to_text(), "each key is fresh randomness");
        let shown = format!("{a:?}");
        assert_eq!(shown, "FirmKey { version: 1, key: \"<redacted>\" }");
        assert!(!shown.contains(a.to_text().expose()));
        assert_eq!(a.to_text().expose().len(), 64);
        assert_eq!(FirmKey::generate(0).unwrap_err().code(), "invalid_input");
        assert_eq!(a.successor().unwrap().version(), 2);
    }

    #[test]
    fn a_key_survives_the_keychain_and_a_missing_or_damaged_entry_is_refused() {
        let store = MemorySecretStore::new();
        let firm = FirmId::new("acme").unwrap();
        let key = FirmKey::generate(3).unwrap();
        key.save(&store, &firm).unwrap();
        let name = key_entry(&firm, 3).unwrap();
        assert_eq!(name.as_str(), "firm/acme/key/3");
        let back = FirmKey::load(&store, &firm, 3).unwrap();
        assert_eq!(back.version(), 3);
        assert_eq!(back.to_text(), key.to_text());

        let missing = FirmKey::load(&store, &firm, 4).unwrap_err();
        assert!(matches!(missing, FirmError::KeyMissing { version: 4 }));
        store.put(&name, &Secret::new("not a key")).unwrap();
        let damaged = FirmKey::load(&store, &firm, 3).unwrap_err();
        assert_eq!(damaged.code(), "firm_key_damaged");
        assert!(!damaged.to_string().contains("not a key"), "{damaged}");
    }
}

//! The firm's entries in the advisor's OS keychain (through [`SecretStore`]):
//!
//! - `firm/<firm id>/key/<version>` — each firm key, as 64 hex digits;
//! - `firm/<firm id>/role-password` — the password of the advisor's database role.
//!
//! Writing several entries is all-or-nothing: [`put_all`] puts back what it replaced when a
//! later entry fails.

use crate::secrets::{Secret, SecretKey, SecretStore};

use super::{FirmError, FirmId};

/// The keychain name of a firm key.
pub fn key_entry(firm: &FirmId, version: u32) -> Result<SecretKey, FirmError> {
    Ok(SecretKey::new(format!("firm/{firm}/key/{version}"))?)
}

/// The keychain name of the advisor's database role password.
pub fn password_entry(firm: &FirmId) -> Result<SecretKey, FirmError> {
    Ok(SecretKey::new(format!("firm/{firm}/role-password"))?)
}

/// Puts every entry, or none: on a failure the entries already written get back the value
/// they had (or are deleted), and the failure is returned.
pub(crate) fn put_all(
    store: &dyn SecretStore,
    entries: &[(SecretKey, Secret)],
) -> Result<(), FirmError> {
    let mut replaced: Vec<(&SecretKey, Option<Secret>)> = Vec::new();
    for (name, value) in entries {
        let put = store
            .get(name)
            .and_then(|before| store.put(name, value).map(|()| before));
        match put {
            Ok(before) => replaced.push((name, before)),
            Err(e) => {
                for (name, before) in replaced.into_iter().rev() {
                    let _ = match before {
                        Some(value) => store.put(name, &value),
                        None => store.delete(name).map(|_| ()),
                    };
                }
                return Err(e.into());
            }
        }
    }
    Ok(())
}

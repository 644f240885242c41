//! Removing an advisor rotates the firm key: the key they held must open nothing the firm
//! stores from then on. In ONE transaction: the current version locked, the next key made,
//! every sealed secret opened with the old key and sealed under the new one (the core's
//! `firm::rotate`, all or nothing) and written back, the new version recorded, the advisor's
//! role dropped, the audit log told; the new key is filed in the administrator's keychain last, just before the
//! commit. A failure anywhere rolls all of it back, so the old key and every row stay as they
//! were (and a new key already filed is taken out of the keychain again).
//!
//! The remaining advisors need the new key: the administrator gives each a key update file
//! (`advisor_desk_core::firm::write_key_update`, the invite's passphrase-protected format
//! carrying only firm keys), which the advisor accepts into their keychain.

use advisor_desk_core::firm::{self, keychain::key_entry, FirmId, FirmKey};
use advisor_desk_core::secrets::SecretStore;

use super::error::FirmSecretsError;
use super::sealed::{all_for_update, replace};
use super::settings::{firm_id, lock_key_version, record_key_version};
use crate::members::remove_member;
use crate::FirmStore;

/// The audit log's action for a member removed with the key's rotation.
pub const AUDIT_ACTION: &str = "firm.advisor_removed";

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub firm: FirmId,
    pub old_key_version: u32,
    pub new_key_version: u32,
    /// How many sealed secrets were re-sealed under the new key.
    pub resealed: usize,
}

/// Removes the member with database role `role` and rotates the firm key. Run by an
/// administrator whose `keychain` holds the current firm key.
pub fn remove_advisor_and_rotate(
    store: &FirmStore,
    keychain: &dyn SecretStore,
    role: &str,
) -> Result<Rotation, FirmSecretsError> {
    let mut filed: Option<(FirmId, u32)> = None;
    let outcome = store.write_as(|tx| {
        let firm = firm_id(tx)?;
        let old_version = lock_key_version(tx)?;
        // Writers wait until this commits (readers do not), so no secret is sealed under the
        // old key behind the rotation's back; see `sealed::put`.
        tx.batch_execute("LOCK TABLE sealed_secrets IN EXCLUSIVE MODE")?;
        let old = FirmKey::load(keychain, &firm, old_version)?;
        let new = old.successor()?;
        let resealed = firm::rotate(&old, &new, all_for_update(tx, &firm)?)?;
        for (binding, sealed) in &resealed {
            replace(tx, binding, sealed)?;
        }
        record_key_version(tx, new.version())?;
        remove_member(tx, role)?;
        tx.execute(
            "INSERT INTO audit_log (at, actor, action, detail) VALUES (now(), 'admin', $1, $2)",
            &[
                &AUDIT_ACTION,
                &format!(
                    "{role} removed; firm key rotated from version {old_version} to {}, {} \
                     secrets re-sealed",
                    new.version(),
                    resealed.len()
                ),
            ],
        )?;
        new.save(keychain, &firm)?;
        filed = Some((firm.clone(), new.version()));
        Ok(Rotation {
            firm,
            old_key_version: old_version,
            new_key_version: new.version(),
            resealed: resealed.len(),
        })
    });
    if outcome.is_err() {
        if let Some((firm, version)) = filed {
            // The commit failed after the key was filed: nothing is sealed under it.
            if let Ok(entry) = key_entry(&firm, version) {
                let _ = keychain.delete(&entry);
            }
        }
    }
    outcome
}

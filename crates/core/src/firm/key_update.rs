//! The key update file: after a rotation (an advisor removed), the administrator gives each
//! remaining advisor the new firm key in a passphrase-protected file, in the invite's format
//! (`crate::encrypted_file`, age's passphrase mode). Unlike an invite it carries no database or
//! role password: the advisor already has those, and the administrator does not (each
//! advisor's role password is only in that advisor's keychain).
//!
//! Inside the age stream: the line `advisor-desk-firm-key`, a header line (format, app version),
//! one JSON line with the firm id and the keys, nothing after it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::file::{read_line, write_line};
use super::invite::{has_repeated_versions, KeyLine};
use super::keychain::{key_entry, put_all};
use super::{FirmError, FirmId, FirmKey};
use crate::secrets::SecretStore;

/// The layout this version writes and the newest it reads.
pub const KEY_UPDATE_FORMAT: u32 = 1;
const MAGIC: &str = "advisor-desk-firm-key";

/// The firm keys a key update carries. `Debug` shows the versions only (the keys' own).
#[derive(Debug)]
pub struct KeyUpdate {
    pub firm: FirmId,
    pub keys: Vec<FirmKey>,
}

#[derive(Serialize, Deserialize)]
struct KeyUpdateLine {
    firm: FirmId,
    keys: Vec<KeyLine>,
}

impl KeyUpdate {
    fn check(&self) -> Result<(), FirmError> {
        if self.keys.is_empty() {
            return Err(FirmError::invalid(
                "a key update carries at least one firm key",
            ));
        }
        if has_repeated_versions(&self.keys) {
            return Err(FirmError::invalid(
                "a key update carries each firm key version once",
            ));
        }
        Ok(())
    }
}

/// Writes `update` to `path` (which must not exist), encrypted with `passphrase`.
pub fn write_key_update(
    path: &Path,
    update: &KeyUpdate,
    passphrase: &str,
) -> Result<(), FirmError> {
    update.check()?;
    let line = KeyUpdateLine {
        firm: update.firm.clone(),
        keys: update.keys.iter().map(KeyLine::of).collect(),
    };
    write_line(path, passphrase, MAGIC, KEY_UPDATE_FORMAT, &line)
}

/// Reads and checks the key update at `path`; each problem a typed refusal (the invite's).
pub fn read_key_update(path: &Path, passphrase: &str) -> Result<KeyUpdate, FirmError> {
    let line: KeyUpdateLine = read_line(path, passphrase, MAGIC, KEY_UPDATE_FORMAT, "key update")?;
    let keys = line
        .keys
        .iter()
        .map(KeyLine::key)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| FirmError::InviteDamaged("a firm key is not a key".into()))?;
    let update = KeyUpdate {
        firm: line.firm.clone(),
        keys,
    };
    update
        .check()
        .map_err(|e| FirmError::InviteDamaged(e.to_string()))?;
    Ok(update)
}

/// Files the update's keys in `store` (`firm/<firm>/key/<version>`), all or none; returns
/// their versions, oldest first.
pub fn accept_key_update(
    store: &dyn SecretStore,
    update: KeyUpdate,
) -> Result<Vec<u32>, FirmError> {
    update.check()?;
    let entries = update
        .keys
        .iter()
        .map(|key| Ok((key_entry(&update.firm, key.version())?, key.to_text())))
        .collect::<Result<Vec<_>, FirmError>>()?;
    put_all(store, &entries)?;
    let mut versions: Vec<u32> = update.keys.iter().map(FirmKey::version).collect();
    versions.sort_unstable();
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firm::{write_invite, DatabaseSettings, Invite, SslMode};
    use crate::secrets::{MemorySecretStore, Secret};

    const PASSPHRASE: &str = "a passphrase for the new key";

    fn firm() -> FirmId {
        FirmId::new("acme").unwrap()
    }

    #[test]
    fn a_key_update_without_keys_or_with_a_version_twice_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let key = FirmKey::generate(2).unwrap();
        let twice = KeyUpdate {
            firm: firm(),
            keys: vec![FirmKey::generate(2).unwrap(), key],
        };
        let empty = KeyUpdate {
            firm: firm(),
            keys: vec![],
        };
        for update in [empty, twice] {
            let refused = write_key_update(&path, &update, PASSPHRASE).unwrap_err();
            assert_eq!(refused.code(), "invalid_input");
            assert!(!path.exists());
        }
    }

    #[test]
    fn an_invite_is_not_read_as_a_key_update_and_the_keychain_is_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ana.invite");
        let invite = Invite {
            firm: firm(),
            firm_name: "Acme".into(),
            database: DatabaseSettings {
                host: "db.acme.example".into(),
                port: 5432,
                dbname: "firm".into(),
                sslmode: SslMode::Require,
                ca_certificate_pem: None,
            },
            role: "advisor_ana".into(),
            password: Secret::new("pg-role-password-1"),
            keys: vec![FirmKey::generate(1).unwrap()],
        };
        write_invite(&path, &invite, PASSPHRASE).unwrap();
        let refused = read_key_update(&path, PASSPHRASE).unwrap_err();
        assert_eq!(refused.code(), "invite_file_damaged", "{refused}");

        let store = MemorySecretStore::new();
        let update = KeyUpdate {
            firm: firm(),
            keys: vec![FirmKey::generate(3).unwrap()],
        };
        assert_eq!(accept_key_update(&store, update).unwrap(), [3]);
        assert!(FirmKey::load(&store, &firm(), 3).is_ok());
        assert!(FirmKey::load(&store, &firm(), 1).is_err());
    }
}

//! The invite file: how the firm's administrator hands an advisor everything needed to join
//! — the firm, the database to connect to, the advisor's database role and its password, and
//! the firm key(s) — protected by a passphrase, in the book export's file format
//! (`crate::encrypted_file`, age's passphrase mode).
//!
//! Inside the age stream: the line `advisor-desk-invite`, a header line (JSON, no secret:
//! format, app version), one JSON line with the invite, and nothing after it. Reading checks
//! all of it before anything is returned; [`accept_invite`] then files the secrets in the
//! keychain (names in `keychain.rs`), all or none, and returns only what is not secret.

use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::file::{read_line, write_line};
use super::keychain::{key_entry, password_entry, put_all};
use super::{FirmError, FirmId, FirmKey};
use crate::secrets::{Secret, SecretStore};

/// The layout this version writes and the newest it reads.
pub const INVITE_FORMAT: u32 = 1;
const MAGIC: &str = "advisor-desk-invite";
const MAX_PEM_BYTES: usize = 64 * 1024;

/// libpq's TLS modes (`sslmode`) that a firm database may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Where the firm database is. No secret: the password is apart, in the keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseSettings {
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub sslmode: SslMode,
    /// The CA certificate (PEM) the server's certificate must chain to, when the firm runs
    /// its own CA.
    pub ca_certificate_pem: Option<String>,
}

/// What an invite carries. `Debug` redacts the password and the keys (their own `Debug`).
#[derive(Debug)]
pub struct Invite {
    pub firm: FirmId,
    pub firm_name: String,
    pub database: DatabaseSettings,
    /// The advisor's database role.
    pub role: String,
    pub password: Secret,
    pub keys: Vec<FirmKey>,
}

/// What accepting an invite leaves outside the keychain: everything needed to connect,
/// and no secret (it may be kept in the local settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmSettings {
    pub firm: FirmId,
    pub firm_name: String,
    pub database: DatabaseSettings,
    pub role: String,
    /// The versions of the firm keys now in the keychain, oldest first.
    pub key_versions: Vec<u32>,
}

impl FirmSettings {
    /// The newest key version, the one new secrets are sealed under.
    pub fn current_key_version(&self) -> Option<u32> {
        self.key_versions.last().copied()
    }
}

/// The invite as the file carries it; its secrets are wiped when it is dropped.
#[derive(Serialize, Deserialize)]
struct InviteLine {
    firm: FirmId,
    firm_name: String,
    database: DatabaseSettings,
    role: String,
    password: String,
    keys: Vec<KeyLine>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct KeyLine {
    version: u32,
    key: String,
}

impl KeyLine {
    pub(super) fn of(key: &FirmKey) -> KeyLine {
        KeyLine {
            version: key.version(),
            key: key.to_text().expose().to_string(),
        }
    }

    pub(super) fn key(&self) -> Result<FirmKey, FirmError> {
        FirmKey::from_text(self.version, &Secret::new(self.key.as_str()))
    }
}

impl Drop for InviteLine {
    fn drop(&mut self) {
        self.password.zeroize();
    }
}

impl Drop for KeyLine {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl Invite {
    /// Refuses an invite an advisor could not use.
    pub fn check(&self) -> Result<(), FirmError> {
        let db = &self.database;
        let problem = if self.firm_name.trim().is_empty() || self.firm_name.len() > 200 {
            Some("the firm's name is 1 to 200 characters")
        } else if db.host.is_empty()
            || db.host.len() > 255
            || db.host.bytes().any(|b| !b.is_ascii_graphic())
        {
            Some("the database host is a name or address without spaces")
        } else if db.port == 0 {
            Some("the database port is 1 to 65535")
        } else if db.dbname.is_empty() || db.dbname.len() > 63 {
            Some("the database name is 1 to 63 characters")
        } else if db.ca_certificate_pem.as_deref().is_some_and(|pem| {
            pem.len() > MAX_PEM_BYTES || !pem.contains("-----BEGIN CERTIFICATE-----")
        }) {
            Some("the CA certificate is not a PEM certificate")
        } else if !is_role_name(&self.role) {
            Some("the database role is 1 to 63 lowercase letters, digits or '_'")
        } else if self.password.is_empty() {
            Some("the database role has no password")
        } else if self.keys.is_empty() {
            Some("an invite carries at least one firm key")
        } else if has_repeated_versions(&self.keys) {
            Some("an invite carries each firm key version once")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(FirmError::invalid(problem)),
            None => Ok(()),
        }
    }

    fn to_line(&self) -> InviteLine {
        InviteLine {
            firm: self.firm.clone(),
            firm_name: self.firm_name.clone(),
            database: self.database.clone(),
            role: self.role.clone(),
            password: self.password.expose().to_string(),
            keys: self.keys.iter().map(KeyLine::of).collect(),
        }
    }

    fn from_line(line: &InviteLine) -> Result<Invite, FirmError> {
        let keys = line
            .keys
            .iter()
            .map(KeyLine::key)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Invite {
            firm: line.firm.clone(),
            firm_name: line.firm_name.clone(),
            database: line.database.clone(),
            role: line.role.clone(),
            password: Secret::new(line.password.as_str()),
            keys,
        })
    }
}

fn is_role_name(role: &str) -> bool {
    role.len() <= 63
        && role
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && role
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

pub(super) fn has_repeated_versions(keys: &[FirmKey]) -> bool {
    let mut versions: Vec<u32> = keys.iter().map(FirmKey::version).collect();
    versions.sort_unstable();
    versions.windows(2).any(|pair| pair[0] == pair[1])
}

/// Writes `invite` to `path` (which must not exist), encrypted with `passphrase`.
pub fn write_invite(path: &Path, invite: &Invite, passphrase: &str) -> Result<(), FirmError> {
    invite.check()?;
    write_line(path, passphrase, MAGIC, INVITE_FORMAT, &invite.to_line())
}

/// Reads and checks the invite at `path`. A wrong passphrase, a cut or changed file, a file
/// of a newer format: each a typed refusal.
pub fn read_invite(path: &Path, passphrase: &str) -> Result<Invite, FirmError> {
    let line: InviteLine = read_line(path, passphrase, MAGIC, INVITE_FORMAT, "invite")?;
    let invite = Invite::from_line(&line)
        .map_err(|_| FirmError::InviteDamaged("a firm key is not a key".into()))?;
    invite
        .check()
        .map_err(|e| FirmError::InviteDamaged(e.to_string()))?;
    Ok(invite)
}

/// Files the invite's firm keys and role password in `store` (`firm/<firm>/key/<version>`,
/// `firm/<firm>/role-password`), all or none, and returns the settings to connect with.
pub fn accept_invite(store: &dyn SecretStore, invite: Invite) -> Result<FirmSettings, FirmError> {
    invite.check()?;
    let mut entries = Vec::with_capacity(invite.keys.len() + 1);
    for key in &invite.keys {
        entries.push((key_entry(&invite.firm, key.version())?, key.to_text()));
    }
    entries.push((password_entry(&invite.firm)?, invite.password.clone()));
    put_all(store, &entries)?;
    let mut key_versions: Vec<u32> = invite.keys.iter().map(FirmKey::version).collect();
    key_versions.sort_unstable();
    Ok(FirmSettings {
        firm: invite.firm.clone(),
        firm_name: invite.firm_name.clone(),
        database: invite.database.clone(),
        role: invite.role.clone(),
        key_versions,
    })
}

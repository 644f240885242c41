//! Sealing a secret for the firm database: XChaCha20-Poly1305 (the `chacha20poly1305` crate;
//! only its AEAD is composed here) under the firm key, a fresh random 24-byte nonce per seal,
//! and associated data that binds the ciphertext to the row it is stored in.
//!
//! The associated data is a canonical encoding — each part length-prefixed, so no two
//! bindings encode alike —: a domain tag, the format byte, the key version, the firm id, the
//! table, the row id and the column. A ciphertext copied to another row, column or firm, or
//! presented under another key version, fails to open.
//!
//! The stored form (`bytea`) is `[format][key version, u32 big-endian][nonce, 24][ciphertext
//! and 16-byte tag]`; [`SealedSecret::from_bytes`] reads it with bounds checked at every step.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::XNonce;
use zeroize::Zeroizing;

use super::key::fill_random;
use super::{FirmError, FirmId, FirmKey};
use crate::secrets::Secret;

/// The layout this version writes and the newest it reads.
pub const SEALED_FORMAT: u8 = 1;
/// Provider keys, tokens and loginIds are far shorter; longer plaintexts are refused.
pub const MAX_SECRET_BYTES: usize = 16 * 1024;
const DOMAIN: &[u8] = b"advisor-desk/firm-secret";
const NONCE_BYTES: usize = 24;
const TAG_BYTES: usize = 16;
const HEADER_BYTES: usize = 1 + 4 + NONCE_BYTES;
const MAX_SEALED_BYTES: usize = HEADER_BYTES + MAX_SECRET_BYTES + TAG_BYTES;
const MAX_NAME_BYTES: usize = 63;
const MAX_ROW_BYTES: usize = 128;

/// Where a sealed secret is stored: the firm, the table, the row id and the column (or
/// purpose). Not secret; it names a place, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretBinding {
    firm: FirmId,
    table: String,
    row: String,
    column: String,
}

impl SecretBinding {
    /// `table` and `column` are SQL names (`a-z`, `0-9`, `_`); `row` is the row's id as text
    /// (a number or a UUID).
    pub fn new(
        firm: &FirmId,
        table: &str,
        row: impl std::fmt::Display,
        column: &str,
    ) -> Result<SecretBinding, FirmError> {
        let row = row.to_string();
        let sql_name = |name: &str| {
            !name.is_empty()
                && name.len() <= MAX_NAME_BYTES
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if !sql_name(table) || !sql_name(column) {
            return Err(FirmError::invalid(
                "a sealed secret's table and column are lowercase SQL names",
            ));
        }
        if row.is_empty() || row.len() > MAX_ROW_BYTES || !row.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(FirmError::invalid(
                "a sealed secret's row id is 1 to 128 printable characters",
            ));
        }
        Ok(SecretBinding {
            firm: firm.clone(),
            table: table.to_string(),
            row,
            column: column.to_string(),
        })
    }

    pub fn firm(&self) -> &FirmId {
        &self.firm
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn row(&self) -> &str {
        &self.row
    }

    pub fn column(&self) -> &str {
        &self.column
    }

    /// The associated data for a seal under `key_version`.
    fn associated_data(&self, key_version: u32) -> Vec<u8> {
        let mut ad = Vec::with_capacity(64 + self.table.len() + self.row.len());
        let mut part = |bytes: &[u8]| {
            // Every part is at most a few hundred bytes: its length always fits a u32.
            ad.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            ad.extend_from_slice(bytes);
        };
        part(DOMAIN);
        part(&[SEALED_FORMAT]);
        part(&key_version.to_be_bytes());
        part(self.firm.as_str().as_bytes());
        part(self.table.as_bytes());
        part(self.row.as_bytes());
        part(self.column.as_bytes());
        ad
    }
}

impl std::fmt::Display for SecretBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{} of row {} (firm {})",
            self.table, self.column, self.row, self.firm
        )
    }
}

/// A secret as the firm database stores it. Its bytes reveal only the key version and the
/// length; `Debug` shows no more.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret {
    key_version: u32,
    nonce: [u8; NONCE_BYTES],
    ciphertext: Vec<u8>,
}

impl SealedSecret {
    pub fn key_version(&self) -> u32 {
        self.key_version
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_BYTES + self.ciphertext.len());
        out.push(SEALED_FORMAT);
        out.extend_from_slice(&self.key_version.to_be_bytes());
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Reads the stored form. Never panics: any length, any byte is either a well-formed
    /// sealed secret or a typed refusal.
    pub fn from_bytes(bytes: &[u8]) -> Result<SealedSecret, FirmError> {
        let Some((&format, rest)) = bytes.split_first() else {
            return Err(FirmError::SealedDamaged("empty"));
        };
        if format > SEALED_FORMAT {
            return Err(FirmError::SealedTooNew {
                found: format,
                supported: SEALED_FORMAT,
            });
        }
        if format != SEALED_FORMAT {
            return Err(FirmError::SealedDamaged("unknown format"));
        }
        if bytes.len() > MAX_SEALED_BYTES {
            return Err(FirmError::SealedDamaged("too long"));
        }
        let Some((version, rest)) = rest.split_first_chunk::<4>() else {
            return Err(FirmError::SealedDamaged("too short"));
        };
        let Some((nonce, ciphertext)) = rest.split_first_chunk::<NONCE_BYTES>() else {
            return Err(FirmError::SealedDamaged("too short"));
        };
        if ciphertext.len() < TAG_BYTES {
            return Err(FirmError::SealedDamaged("too short"));
        }
        let key_version = u32::from_be_bytes(*version);
        if key_version == 0 {
            return Err(FirmError::SealedDamaged("key version 0"));
        }
        Ok(SealedSecret {
            key_version,
            nonce: *nonce,
            ciphertext: ciphertext.to_vec(),
        })
    }
}

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedSecret")
            .field("key_version", &self.key_version)
            .field("ciphertext_bytes", &self.ciphertext.len())
            .finish()
    }
}

/// Encrypts `plaintext` under `key` for the place `binding` names.
pub fn seal(
    key: &FirmKey,
    plaintext: &Secret,
    binding: &SecretBinding,
) -> Result<SealedSecret, FirmError> {
    let msg = plaintext.expose().as_bytes();
    if msg.len() > MAX_SECRET_BYTES {
        return Err(FirmError::invalid(format!(
            "a secret to seal is at most {MAX_SECRET_BYTES} bytes"
        )));
    }
    let mut nonce = [0u8; NONCE_BYTES];
    fill_random(&mut nonce)?;
    let aad = binding.associated_data(key.version());
    let ciphertext = key
        .cipher()
        .encrypt(XNonce::from_slice(&nonce), Payload { msg, aad: &aad })
        .map_err(|_| FirmError::invalid("the secret could not be sealed"))?;
    Ok(SealedSecret {
        key_version: key.version(),
        nonce,
        ciphertext,
    })
}

/// Decrypts `sealed` with `key`, which must be the key version it was sealed under, for the
/// place `binding` names.
pub fn open(
    key: &FirmKey,
    sealed: &SealedSecret,
    binding: &SecretBinding,
) -> Result<Secret, FirmError> {
    if sealed.key_version != key.version() {
        return Err(FirmError::WrongKeyVersion {
            sealed: sealed.key_version,
            key: key.version(),
        });
    }
    let aad = binding.associated_data(key.version());
    let plain = key
        .cipher()
        .decrypt(
            XNonce::from_slice(&sealed.nonce),
            Payload {
                msg: &sealed.ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| FirmError::SecretDoesNotOpen)?;
    match String::from_utf8(plain) {
        Ok(text) => Ok(Secret::new(text)),
        Err(e) => {
            // Authentic but not text: only a bug could seal that. Wiped all the same.
            drop(Zeroizing::new(e.into_bytes()));
            Err(FirmError::SealedDamaged("not text"))
        }
    }
}

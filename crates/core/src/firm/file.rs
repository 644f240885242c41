//! The layout the firm's passphrase-protected files share (the invite, the key update), inside
//! the app's one encrypted-file format (`crate::encrypted_file`, age's passphrase mode): a magic
//! line, a header line (format, app version; no secret), one JSON line, nothing after it.

use std::path::Path;

use age::secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::FirmError;
use crate::encrypted_file::{new_passphrase, write_json_line, write_new, EncryptedReader};

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: u32,
    app_version: String,
}

/// Writes `line` under `magic` and `format` to `path`, which must not exist.
pub(super) fn write_line(
    path: &Path,
    passphrase: &str,
    magic: &str,
    format: u32,
    line: &impl Serialize,
) -> Result<(), FirmError> {
    let passphrase = new_passphrase(passphrase)?;
    let header = Header {
        format,
        app_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    write_new(path, passphrase, magic, |writer| {
        write_json_line(writer, &header)?;
        write_json_line(writer, line)
    })?;
    Ok(())
}

/// Reads the one line of a file written by [`write_line`], refusing a newer format. `what`
/// names the line in a refusal, which never quotes it (it holds secrets).
pub(super) fn read_line<L: DeserializeOwned>(
    path: &Path,
    passphrase: &str,
    magic: &str,
    format: u32,
    what: &str,
) -> Result<L, FirmError> {
    let passphrase = SecretString::from(passphrase.to_owned());
    let mut reader = EncryptedReader::open(path, passphrase, magic)?;
    let header: Header = serde_json::from_str(&reader.line()?)
        .map_err(|_| FirmError::InviteDamaged("unreadable header".into()))?;
    if header.format > format {
        return Err(FirmError::InviteTooNew {
            found: header.format,
            supported: format,
        });
    }
    let line: L = serde_json::from_str(&reader.line()?)
        .map_err(|_| FirmError::InviteDamaged(format!("unreadable {what}")))?;
    reader.finish(&format!("the {what}"))?;
    Ok(line)
}

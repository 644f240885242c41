//! A firm's identifier: what names the firm in its keychain entries and in the associated
//! data of each sealed secret. Kept to letters, digits, `-` and `_` (a UUID fits) so a
//! keychain name built from it cannot be read two ways.

use serde::{Deserialize, Serialize};

use super::FirmError;

const MAX_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FirmId(String);

impl FirmId {
    pub fn new(id: impl Into<String>) -> Result<FirmId, FirmError> {
        let id = id.into();
        let valid = !id.is_empty()
            && id.len() <= MAX_CHARS
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(FirmId(id))
        } else {
            Err(FirmError::invalid(format!(
                "a firm id is 1 to {MAX_CHARS} letters, digits, '-' or '_'"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FirmId {
    type Error = FirmError;
    fn try_from(id: String) -> Result<FirmId, FirmError> {
        FirmId::new(id)
    }
}

impl From<FirmId> for String {
    fn from(id: FirmId) -> String {
        id.0
    }
}

impl std::fmt::Display for FirmId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_firm_id_is_a_plain_token() {
        assert!(FirmId::new("3f2b9c1e-7d44-4c55-9a8e-0b1c2d3e4f50").is_ok());
        assert!(FirmId::new("ruiz_partners").is_ok());
        for bad in ["", "a/b", "a b", "ñ", &"x".repeat(65)] {
            assert_eq!(
                FirmId::new(bad).unwrap_err().code(),
                "invalid_input",
                "{bad}"
            );
        }
        let parsed: Result<FirmId, _> = serde_json::from_str("\"a/key/9\"");
        assert!(parsed.is_err(), "deserialising checks the id too");
    }
}

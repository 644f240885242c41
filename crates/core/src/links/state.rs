//! The one-time `state` value that ties a provider redirect to the link session the advisor
//! started: 32 random bytes as 64 hex characters. Only its SHA-256 is stored.

use sha2::{Digest, Sha256};

use crate::error::{CoreError, Result};

pub const STATE_LEN: usize = 64;

/// A fresh, unguessable state value.
pub fn generate() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| CoreError::invalid(format!("no secure random numbers: {e}")))?;
    Ok(hex::encode(bytes))
}

pub fn is_well_formed(s: &str) -> bool {
    s.len() == STATE_LEN
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What the database keeps instead of the state itself.
pub fn hash(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_states_are_well_formed_and_distinct() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert!(is_well_formed(&a) && is_well_formed(&b));
        assert_ne!(a, b);
        assert_ne!(hash(&a), a);
        assert_eq!(hash(&a), hash(&a));
    }
}

//! The only form in which a key is stored: SHA-256 of the full secret, hex encoded.

use crate::domain::key_format::ParsedKey;
use sha2::{Digest, Sha256};
use std::fmt;

/// SHA-256 of a secret, hex. The DynamoDB partition key of the keys table.
/// `Debug` is redacted: hashes never reach logs.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct KeyHash(String);

impl KeyHash {
    /// The hash of a presented key that passed the format check.
    pub fn of(key: &ParsedKey<'_>) -> Self {
        Self::of_secret(key.as_str())
    }

    /// Hashes a secret that was just generated (and so is well formed).
    pub fn of_secret(secret: &str) -> Self {
        Self(hex::encode(Sha256::digest(secret.as_bytes())))
    }

    /// The hex digest, the table's partition key value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_known_sha256_vector() {
        // SHA-256("abc") from FIPS 180-2.
        assert_eq!(
            KeyHash::of_secret("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn parsed_and_generated_forms_hash_the_same() {
        let prefix = crate::domain::key_format::KeyPrefix::new("sk_test").unwrap();
        let secret = prefix.generate().unwrap();
        let parsed = prefix.parse(secret.expose()).unwrap();
        assert_eq!(KeyHash::of(&parsed), KeyHash::of_secret(secret.expose()));
        assert_eq!(KeyHash::of(&parsed).as_str().len(), 64);
        assert!(!format!("{:?}", KeyHash::of(&parsed)).contains(KeyHash::of(&parsed).as_str()));
    }
}

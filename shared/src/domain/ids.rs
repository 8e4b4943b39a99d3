//! Public identifiers: safe to log and show, never usable as credentials.

use crate::domain::random::{BASE62_128_DIGITS, base62_128};
use rand::rngs::SysError;

const KEY_ID_PREFIX: &str = "key_";
const EVENT_ID_PREFIX: &str = "evt_";

/// A new key id: `key_` and 128 random bits as 22 base62 digits.
pub fn new_key_id() -> Result<String, SysError> {
    Ok(format!("{KEY_ID_PREFIX}{}", base62_128()?))
}

/// A new product id: `prod_` and 128 random bits as 22 base62 digits.
pub fn new_product_id() -> Result<String, SysError> {
    Ok(format!("prod_{}", base62_128()?))
}

/// A new audit event id: `evt_` and 128 random bits as 22 base62 digits.
pub fn new_event_id() -> Result<String, SysError> {
    Ok(format!("{EVENT_ID_PREFIX}{}", base62_128()?))
}

/// A key's public id, `key_` and 22 base62 digits: parsed once where it comes in (a path, a
/// listing filter), trusted inside.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// The id, if `raw` has a key id's shape.
    pub fn parse(raw: &str) -> Option<Self> {
        looks_like_key_id(raw).then(|| Self(raw.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a path parameter can be a key id at all, so junk never reaches the store.
pub fn looks_like_key_id(id: &str) -> bool {
    has_random_body(id, KEY_ID_PREFIX)
}

/// Whether a cursor's position can be an audit event id.
pub fn looks_like_event_id(id: &str) -> bool {
    has_random_body(id, EVENT_ID_PREFIX)
}

fn has_random_body(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|digits| {
        digits.len() == BASE62_128_DIGITS && digits.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_their_kind_and_are_unique() {
        let a = new_key_id().unwrap();
        let b = new_key_id().unwrap();
        assert_ne!(a, b);
        assert!(looks_like_key_id(&a), "{a}");
        assert!(new_product_id().unwrap().starts_with("prod_"));
        assert!(!looks_like_key_id("key_short"));
        assert!(!looks_like_key_id("prod_0000000000000000000000"));
        assert!(!looks_like_key_id("key_000000000000000000000/"));
        let event = new_event_id().unwrap();
        assert!(looks_like_event_id(&event), "{event}");
        assert!(!looks_like_event_id(&a) && !looks_like_key_id(&event));
    }
}

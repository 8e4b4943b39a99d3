//! Public identifiers: safe to log and show, never usable as credentials.

use rand::TryRng;
use rand::rngs::SysRng;

/// 128 random bits as 22 base62 digits after a type prefix: `key_…`, `prod_…`.
fn random_id(kind: &str) -> Result<String, rand::rngs::SysError> {
    let mut bytes = [0u8; 16];
    SysRng.try_fill_bytes(&mut bytes)?;
    Ok(format!(
        "{kind}_{:0>22}",
        base62::encode_fmt(u128::from_be_bytes(bytes))
    ))
}

pub fn new_key_id() -> Result<String, rand::rngs::SysError> {
    random_id("key")
}

pub fn new_product_id() -> Result<String, rand::rngs::SysError> {
    random_id("prod")
}

/// Whether a path parameter can be a key id at all, so junk never reaches the store.
pub fn looks_like_key_id(id: &str) -> bool {
    id.len() == 26 && id.starts_with("key_") && id[4..].bytes().all(|b| b.is_ascii_alphanumeric())
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
    }
}

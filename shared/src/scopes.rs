//! Scope names and the rules for them.

/// List and get keys.
pub const KEYS_READ: &str = "keys:read";
/// Create and revoke keys.
pub const KEYS_WRITE: &str = "keys:write";
/// Verify other keys (a service scope).
pub const KEYS_VERIFY: &str = "keys:verify";
/// Act on keys of any subject, not only the caller's own.
pub const KEYS_ADMIN: &str = "keys:admin";
/// Used by the sample protected endpoint.
pub const PRODUCTS_WRITE: &str = "products:write";

/// Every scope a bootstrap admin key is given.
pub const ALL: [&str; 5] = [
    KEYS_READ,
    KEYS_WRITE,
    KEYS_VERIFY,
    KEYS_ADMIN,
    PRODUCTS_WRITE,
];

/// Most scopes on one key.
pub const MAX_SCOPES: usize = 50;
/// Longest scope name.
pub const MAX_SCOPE_LEN: usize = 64;

/// `[a-z0-9:._-]{1,64}`: no spaces, because the authorizer context joins scopes with one.
pub fn is_valid_scope(scope: &str) -> bool {
    !scope.is_empty()
        && scope.len() <= MAX_SCOPE_LEN
        && scope
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b":._-".contains(&b))
}

/// Whether `held` contains `wanted`.
pub fn has(held: &[String], wanted: &str) -> bool {
    held.iter().any(|s| s == wanted)
}

/// The scopes of `requested` that `held` lacks, in request order.
pub fn missing<'a>(held: &[String], requested: &'a [String]) -> Vec<&'a str> {
    requested
        .iter()
        .filter(|s| !has(held, s))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_syntax() {
        for ok in ["keys:read", "products:write", "a", "x.y_z-1"] {
            assert!(is_valid_scope(ok), "{ok}");
        }
        let long = "a".repeat(65);
        for bad in [
            "",
            "Keys:read",
            "keys read",
            "keys/read",
            long.as_str(),
            "ü",
        ] {
            assert!(!is_valid_scope(bad), "{bad}");
        }
        assert!(ALL.iter().all(|s| is_valid_scope(s)));
    }

    #[test]
    fn missing_lists_only_what_is_not_held() {
        let held = vec!["a".to_owned(), "b".to_owned()];
        let wanted = vec!["b".to_owned(), "c".to_owned()];
        assert_eq!(missing(&held, &wanted), vec!["c"]);
        assert!(missing(&held, &held).is_empty());
    }
}

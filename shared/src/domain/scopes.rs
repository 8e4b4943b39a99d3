//! Scope names and the rules for them.

use crate::domain::error::DomainError;

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

/// A scope name, parsed once where it comes in: `[a-z0-9:._-]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope(String);

impl Scope {
    /// The scope in `raw`, if it is one.
    pub fn parse(raw: String) -> Option<Self> {
        is_valid_scope(&raw).then_some(Self(raw))
    }

    /// The scope as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Scope {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// At most [`MAX_SCOPES`] scopes of the right syntax, repeats dropped, in the request's order;
/// the error names `field`.
pub fn parse_list(field: &'static str, requested: Vec<String>) -> Result<Vec<Scope>, DomainError> {
    if requested.len() > MAX_SCOPES {
        return Err(DomainError::invalid(
            field,
            format!("at most {MAX_SCOPES} scopes"),
        ));
    }
    let mut unique: Vec<Scope> = Vec::with_capacity(requested.len());
    for raw in requested {
        if !is_valid_scope(&raw) {
            return Err(DomainError::invalid(
                field,
                format!("{raw:?} is not a scope: use 1 to 64 of a-z 0-9 : . _ -"),
            ));
        }
        let scope = Scope(raw);
        if !unique.contains(&scope) {
            unique.push(scope);
        }
    }
    Ok(unique)
}

/// The scopes as the key record holds them.
pub fn into_strings(scopes: Vec<Scope>) -> Vec<String> {
    scopes.into_iter().map(|s| s.0).collect()
}

/// Whether `held` contains `wanted`.
pub fn has(held: &[String], wanted: &str) -> bool {
    held.iter().any(|s| s == wanted)
}

/// The scopes of `requested` that `held` lacks, in request order.
pub fn missing<'a, S: AsRef<str>>(held: &[String], requested: &'a [S]) -> Vec<&'a str> {
    requested
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !has(held, s))
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

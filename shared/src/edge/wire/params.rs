//! Query and path parameters, parsed once: `GET /keys`'s listing parameters, a listing's
//! `limit`, and a key id in a path.

use crate::domain::error::DomainError;
use crate::domain::ids::{self, KeyId};
use crate::domain::subject::Subject;
use crate::domain::text::optional_text;
use crate::operations::list::{ListKeys, MAX_QUERY_CHARS};
use crate::store::MAX_PAGE_SIZE;

/// `limit` of a listing when none is given.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// A key id from a path: one that cannot be a key id names no key (404, as an unknown one),
/// so junk never reaches the store.
pub fn parse_key_id(raw: &str) -> Result<KeyId, DomainError> {
    KeyId::parse(raw).ok_or_else(DomainError::key_not_found)
}

/// `limit` of a listing: 1 to [`MAX_PAGE_SIZE`], [`DEFAULT_PAGE_SIZE`] when absent.
pub fn parse_limit(raw: Option<String>) -> Result<usize, DomainError> {
    match raw {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| {
                DomainError::invalid(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                )
            }),
    }
}

/// What `createdBy` holds: a key's public id, or `operator:` and a tool's name.
fn is_creator(value: &str) -> bool {
    ids::looks_like_key_id(value)
        || value
            .strip_prefix(crate::domain::caller::OPERATOR_ID_PREFIX)
            .is_some_and(|tool| {
                (1..=32).contains(&tool.len())
                    && tool
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
}

/// Query parameters of `GET /keys`, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    /// Whose keys; the caller's own subject when `None`.
    pub subject: Option<String>,
    /// Case-insensitive substring of the name.
    pub query: Option<String>,
    /// Page size as sent.
    pub limit: Option<String>,
    /// Where the previous page ended.
    pub cursor: Option<String>,
    /// `true` or `false`, any case.
    pub include_invalid: Option<String>,
    /// Only the keys this key id (or `operator:<tool>`) created.
    pub created_by: Option<String>,
}

impl ListParams {
    /// Reads the parameters by name (`subject`, `query`, `limit`, `cursor`,
    /// `includeInvalid`, `createdBy`).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            subject: get("subject"),
            query: get("query"),
            limit: get("limit"),
            cursor: get("cursor"),
            include_invalid: get("includeInvalid"),
            created_by: get("createdBy"),
        }
    }

    /// The listing they ask for; a bad value is an invalid-field error naming it.
    pub fn parse(self) -> Result<ListKeys, DomainError> {
        let limit = parse_limit(self.limit)?;
        let include_invalid = match self.include_invalid.map(|v| v.to_ascii_lowercase()) {
            None => false,
            Some(v) if v == "false" => false,
            Some(v) if v == "true" => true,
            Some(_) => {
                return Err(DomainError::invalid(
                    "includeInvalid",
                    "must be true or false",
                ));
            }
        };
        let created_by = self.created_by.filter(|c| !c.is_empty());
        if created_by.as_deref().is_some_and(|c| !is_creator(c)) {
            return Err(DomainError::invalid(
                "createdBy",
                "must be a key id (key_…) or operator:<tool>",
            ));
        }
        let subject = self
            .subject
            .map(|s| Subject::parse("subject", s))
            .transpose()?;
        let name_contains =
            optional_text("query", self.query, MAX_QUERY_CHARS)?.map(|q| q.to_lowercase());
        Ok(ListKeys {
            subject,
            name_contains,
            limit,
            cursor: self.cursor.filter(|c| !c.is_empty()),
            include_invalid,
            created_by,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<ListKeys, DomainError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ListParams::from_query(|name| map.get(name).cloned()).parse()
    }

    #[test]
    fn list_params_are_bounded_once() {
        let p = parse(&[]).unwrap();
        assert_eq!(
            (p.limit, p.include_invalid, p.subject),
            (DEFAULT_PAGE_SIZE, false, None)
        );
        let p = parse(&[("limit", "100"), ("includeInvalid", "TRUE"), ("cursor", "")]).unwrap();
        assert_eq!((p.limit, p.include_invalid, p.cursor), (100, true, None));
        for creator in ["key_0Creator00000000000000", "operator:keyctl"] {
            let p = parse(&[("createdBy", creator)]).unwrap();
            assert_eq!(p.created_by.as_deref(), Some(creator));
        }
        assert_eq!(parse(&[("createdBy", "")]).unwrap().created_by, None);
        for (name, value) in [
            ("limit", "0"),
            ("limit", "101"),
            ("limit", "ten"),
            ("includeInvalid", "yes"),
            ("createdBy", "someone"),
            ("createdBy", "operator:"),
            ("createdBy", "key_short"),
            ("subject", "two words"),
        ] {
            let err = parse(&[(name, value)]).unwrap_err();
            assert!(err.to_string().starts_with(name), "{name}={value}: {err}");
        }
    }
}

//! The API's wire types: request bodies, query parameters and response bodies, as the
//! README's API reference names them. The rules that act on them live in [`crate::keys`]
//! and [`crate::products`].

use crate::clock::Millis;
use crate::error::ApiError;
use crate::limits::enforce::{CreditsState, RateLimitState};
use crate::limits::{Credits, RateLimit};
use crate::model::Claims;
use serde::{Deserialize, Serialize};

pub use crate::store::MAX_PAGE_SIZE;
pub use view::{ApiKeyView, KeyList};

mod view;

/// `limit` of `GET /keys` when none is given.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// Body of `POST /keys`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateKeyRequest {
    /// Display name, required.
    pub name: String,
    /// Owner of the key; the caller's own subject when omitted.
    #[serde(default, deserialize_with = "non_null")]
    pub subject: Option<String>,
    /// Free text.
    #[serde(default, deserialize_with = "non_null")]
    pub description: Option<String>,
    /// Scopes granted; each must be held by the caller.
    #[serde(default, deserialize_with = "non_null")]
    pub scopes: Option<Vec<String>>,
    /// Claims handed to protected functions (`keys:admin` only).
    #[serde(default, deserialize_with = "non_null")]
    pub claims: Option<Claims>,
    /// Lifetime; the key never expires when omitted (unless its creator does).
    pub seconds_until_expiration: Option<i64>,
    /// At most `limit` requests per `durationMs`.
    #[serde(default, deserialize_with = "non_null")]
    pub ratelimit: Option<RateLimit>,
    /// A balance each request spends, optionally refilled.
    #[serde(default, deserialize_with = "non_null")]
    pub credits: Option<Credits>,
}

/// Body of `POST /keys/{id}/revoke`, optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RevokeKeyRequest {
    /// Why the key was revoked, kept with it.
    #[serde(default, deserialize_with = "non_null")]
    pub revocation_reason: Option<String>,
    /// Revoke every key this key created, transitively, too.
    #[serde(default)]
    pub cascade: bool,
}

/// Body of `POST /keys/{id}/reroll`, optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RerollKeyRequest {
    /// How long the old key keeps working, 0 (the default) to 7 days in milliseconds.
    #[serde(default, deserialize_with = "non_null")]
    pub grace_period_ms: Option<i64>,
}

/// Body of `PATCH /keys/{id}`: every field optional, an omitted one unchanged; `null`
/// clears `description`, `claims` and `expiration` and is refused for the others.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateKeyRequest {
    /// Display name.
    #[serde(default, deserialize_with = "present")]
    pub name: Option<Option<String>>,
    /// Free text.
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Option<String>>,
    /// Replaces the scopes; each must be held by the caller (unless `keys:admin`).
    #[serde(default, deserialize_with = "present")]
    pub scopes: Option<Option<Vec<String>>>,
    /// Replaces the claims (`keys:admin` only).
    #[serde(default, deserialize_with = "present")]
    pub claims: Option<Option<Claims>>,
    /// Epoch milliseconds, or `null` for none.
    #[serde(default, deserialize_with = "present")]
    pub expiration: Option<Option<Millis>>,
    /// Replaces the rate limit, or `null` removes it.
    #[serde(default, deserialize_with = "present")]
    pub ratelimit: Option<Option<RateLimit>>,
    /// Sets the balance (and refill), or `null` removes credits.
    #[serde(default, deserialize_with = "present")]
    pub credits: Option<Option<Credits>>,
}

impl UpdateKeyRequest {
    /// Whether the body names no field at all.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.scopes.is_none()
            && self.claims.is_none()
            && self.expiration.is_none()
            && self.ratelimit.is_none()
            && self.credits.is_none()
    }

    /// Whether the body sets a limit (removing one is always possible).
    pub fn sets_limits(&self) -> bool {
        matches!(self.ratelimit, Some(Some(_))) || matches!(self.credits, Some(Some(_)))
    }
}

/// A field that is present (`Some`), with its value or `null` (`Some(None)`); absent
/// fields stay `None` through `#[serde(default)]`.
fn present<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An optional field that, when present, must hold a value: `null` is refused (omit the
/// field instead), with the type it expects.
pub(crate) fn non_null<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Body of `POST /keys/verify`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerifyKeyRequest {
    /// The secret to check.
    pub key: String,
    /// Scopes the key must hold to be `VALID`.
    #[serde(default, deserialize_with = "non_null")]
    pub required_scopes: Option<Vec<String>>,
    /// Credits this check spends: 1 when absent, 0 only looks (and counts no request).
    #[serde(default, deserialize_with = "non_null")]
    pub cost: Option<u64>,
}

impl std::fmt::Debug for VerifyKeyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyKeyRequest")
            .field("key", &"<redacted>")
            .field("required_scopes", &self.required_scopes)
            .field("cost", &self.cost)
            .finish()
    }
}

/// Body of `POST /products`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    /// Product name.
    pub name: String,
    /// Price: a JSON number read from its exact text (an f64 would round `1e-8` to a
    /// price and `1000000000.0000001` to the maximum).
    pub price: Box<serde_json::value::RawValue>,
}

/// Query parameters of `GET /keys`, parsed and bounded once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    /// Whose keys; the caller's own subject when `None`.
    pub subject: Option<String>,
    /// Case-insensitive substring of the name.
    pub query: Option<String>,
    /// Page size, 1 to [`MAX_PAGE_SIZE`].
    pub limit: usize,
    /// Where the previous page ended.
    pub cursor: Option<String>,
    /// Include revoked and expired keys.
    pub include_invalid: bool,
    /// Only the keys this key id (or `operator:<tool>`) created.
    pub created_by: Option<String>,
}

impl Default for ListParams {
    fn default() -> Self {
        Self {
            subject: None,
            query: None,
            limit: DEFAULT_PAGE_SIZE,
            cursor: None,
            include_invalid: false,
            created_by: None,
        }
    }
}

/// `limit` of a listing: 1 to [`MAX_PAGE_SIZE`], [`DEFAULT_PAGE_SIZE`] when absent.
pub fn parse_limit(raw: Option<String>) -> Result<usize, ApiError> {
    match raw {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| {
                ApiError::validation(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                )
            }),
    }
}

/// What `createdBy` holds: a key's public id, or `operator:` and a tool's name.
fn is_creator(value: &str) -> bool {
    crate::ids::looks_like_key_id(value)
        || value
            .strip_prefix(crate::caller::OPERATOR_ID_PREFIX)
            .is_some_and(|tool| {
                (1..=32).contains(&tool.len())
                    && tool
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
}

impl ListParams {
    /// Reads the parameters by name (`subject`, `query`, `limit`, `cursor`,
    /// `includeInvalid`, `createdBy`); a bad `limit`, `includeInvalid` or `createdBy` is a
    /// validation error.
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        let limit = parse_limit(get("limit"))?;
        let include_invalid = match get("includeInvalid").map(|v| v.to_ascii_lowercase()) {
            None => false,
            Some(v) if v == "false" => false,
            Some(v) if v == "true" => true,
            Some(_) => {
                return Err(ApiError::validation(
                    "includeInvalid",
                    "must be true or false",
                ));
            }
        };
        let created_by = get("createdBy").filter(|c| !c.is_empty());
        if created_by.as_deref().is_some_and(|c| !is_creator(c)) {
            return Err(ApiError::validation(
                "createdBy",
                "must be a key id (key_…) or operator:<tool>",
            ));
        }
        Ok(Self {
            subject: get("subject"),
            query: get("query"),
            limit,
            cursor: get("cursor").filter(|c| !c.is_empty()),
            include_invalid,
            created_by,
        })
    }
}

/// The verdict of `POST /keys/verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerifyCode {
    /// Usable, with every required scope.
    Valid,
    /// Not a key of this deployment's format (no read was made).
    Malformed,
    /// Well formed, but no such key.
    NotFound,
    /// Revoked.
    Revoked,
    /// Past its expiration.
    Expired,
    /// Usable, but lacks a required scope.
    InsufficientScope,
    /// Usable, but its rate limit's window is full.
    RateLimited,
    /// Usable, but it has not enough credits left.
    UsageExceeded,
}

impl VerifyCode {
    /// The code as the API spells it, for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "VALID",
            Self::Malformed => "MALFORMED",
            Self::NotFound => "NOT_FOUND",
            Self::Revoked => "REVOKED",
            Self::Expired => "EXPIRED",
            Self::InsufficientScope => "INSUFFICIENT_SCOPE",
            Self::RateLimited => "RATE_LIMITED",
            Self::UsageExceeded => "USAGE_EXCEEDED",
        }
    }
}

/// Body of `POST /keys/verify`'s answer (always 200; read `valid`).
#[derive(Debug, Serialize, Deserialize)]
pub struct VerifyResult {
    /// Whether the key may be used.
    pub valid: bool,
    /// Why.
    pub code: VerifyCode,
    /// The key, when one was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<ApiKeyView>,
    /// Credits left, when the key has credits and they were charged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<CreditsState>,
    /// The rate limit's window, when the key has a rate limit and it was charged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratelimit: Option<RateLimitState>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<ListParams, ApiError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ListParams::parse(|name| map.get(name).cloned())
    }

    #[test]
    fn list_params_are_bounded_once() {
        assert_eq!(parse(&[]).unwrap(), ListParams::default());
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
        ] {
            let err = parse(&[(name, value)]).unwrap_err();
            assert!(err.to_string().starts_with(name), "{name}={value}: {err}");
        }
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let request: VerifyKeyRequest =
            serde_json::from_str(r#"{"key":"sk_live_topsecret"}"#).unwrap();
        assert!(!format!("{request:?}").contains("topsecret"));
    }
}

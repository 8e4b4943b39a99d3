//! The authorizer's context: the flat, string-only fields it hands API Gateway for an
//! allowed key ([`context_of`]), which the protected functions read back as their
//! [`Caller`] ([`caller_from_context`]).

use crate::domain::caller::Caller;
use crate::domain::key::{ApiKeyRecord, Claims, TOKEN_TYPE};
use crate::edge::errors::ApiError;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The flat, string-only context the authorizer returns and API Gateway hands on.
pub mod context_keys {
    /// The calling key's public id.
    pub const KEY_ID: &str = "keyId";
    /// The calling key's subject (also the policy's `principalId`).
    pub const SUBJECT: &str = "subject";
    /// The calling key's scopes, space-separated.
    pub const SCOPES: &str = "scopes";
    /// The calling key's claims, as a JSON string.
    pub const CLAIMS: &str = "claims";
    /// Always `api_key`.
    pub const TOKEN_TYPE: &str = "tokenType";
    /// The calling key's expiry in Unix ms, or empty when it never expires.
    pub const EXPIRATION: &str = "expiration";
    /// The `error.code` API Gateway's ACCESS_DENIED answer shows when the policy denies the
    /// route: `forbidden`, or `rate_limited` / `usage_exceeded` for a limit's refusal (a
    /// REST authorizer can only answer 401, 403 or 500).
    pub const DENY_CODE: &str = "denyCode";
}

/// The request headers an HTTP integration maps the identity to (`overwrite:header.…` from
/// `$context.authorizer.…`), replacing any a client sent under these names.
pub mod identity_headers {
    /// Every identity header starts so; a client's own are dropped.
    pub const PREFIX: &str = "x-keyauth-";
    /// From `keyId`.
    pub const KEY_ID: &str = "x-keyauth-key-id";
    /// From `subject`.
    pub const SUBJECT: &str = "x-keyauth-subject";
    /// From `scopes`, space-separated.
    pub const SCOPES: &str = "x-keyauth-scopes";
    /// From `claims`, JSON.
    pub const CLAIMS: &str = "x-keyauth-claims";
    /// Each header with the context field it carries.
    pub const ALL: [(&str, &str); 4] = [
        (KEY_ID, super::context_keys::KEY_ID),
        (SUBJECT, super::context_keys::SUBJECT),
        (SCOPES, super::context_keys::SCOPES),
        (CLAIMS, super::context_keys::CLAIMS),
    ];
}

/// The identity headers for an authorizer context, as an HTTP integration maps them.
pub fn identity_headers_of(context: &Value) -> Vec<(&'static str, String)> {
    identity_headers::ALL
        .iter()
        .map(|(header, field)| {
            let value = context[*field].as_str().unwrap_or_default().to_owned();
            (*header, value)
        })
        .collect()
}

/// The flat, string-only context handed to the protected functions for an allowed key.
pub fn context_of(key: &ApiKeyRecord) -> Value {
    json!({
        context_keys::KEY_ID: key.id,
        context_keys::SUBJECT: key.subject,
        context_keys::SCOPES: key.scopes.join(" "),
        context_keys::CLAIMS: serde_json::to_string(&key.claims).expect("claims serialise"),
        context_keys::TOKEN_TYPE: TOKEN_TYPE,
        context_keys::EXPIRATION: key.expiration.map(|e| e.to_string()).unwrap_or_default(),
        // What API Gateway's ACCESS_DENIED answer shows if this policy denies the route.
        context_keys::DENY_CODE: "forbidden",
    })
}

/// Reads the authorizer context. Its absence means the function was reached without
/// the authorizer (a misconfigured deployment): that is a 401, never a default identity.
pub fn caller_from_context(fields: &HashMap<String, Value>) -> Result<Caller, ApiError> {
    use context_keys::{CLAIMS, EXPIRATION, KEY_ID, SCOPES, SUBJECT};
    let text = |name: &str| fields.get(name).and_then(Value::as_str);
    let (Some(key_id), Some(subject)) = (text(KEY_ID), text(SUBJECT)) else {
        return Err(ApiError::Unauthorized);
    };
    if key_id.is_empty() || subject.is_empty() {
        return Err(ApiError::Unauthorized);
    }
    let claims = match text(CLAIMS) {
        Some(json) if !json.is_empty() => {
            serde_json::from_str(json).map_err(|_| ApiError::Unauthorized)?
        }
        _ => Claims::new(),
    };
    Ok(Caller {
        key_id: key_id.to_owned(),
        subject: subject.to_owned(),
        scopes: text(SCOPES)
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        claims,
        expiration: text(EXPIRATION).and_then(|e| e.parse().ok()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> HashMap<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn reads_the_flat_context() {
        let caller = caller_from_context(&fields(json!({
            "principalId": "user_1", "keyId": "key_1", "subject": "user_1",
            "scopes": "keys:read products:write", "claims": "{\"plan\":\"pro\"}",
            "tokenType": "api_key", "expiration": "1700000000000"
        })))
        .unwrap();
        assert_eq!(caller.scopes, vec!["keys:read", "products:write"]);
        assert_eq!(caller.claims["plan"], "pro");
        assert_eq!(caller.expiration, Some(1_700_000_000_000));
        assert!(caller.require("keys:read").is_ok());
    }

    #[test]
    fn missing_context_is_unauthorized() {
        for bad in [
            json!({}),
            json!({"keyId": "key_1"}),
            json!({"keyId": "", "subject": "u"}),
        ] {
            let err = caller_from_context(&fields(bad)).unwrap_err();
            assert_eq!(err.status(), 401);
        }
    }
}

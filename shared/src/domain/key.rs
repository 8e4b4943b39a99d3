//! What is stored and what is shown.

use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::hashing::KeyHash;
use crate::domain::limits::{Credits, RateLimit};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Free-form JSON a key carries to the protected functions.
pub type Claims = Map<String, Value>;

/// Longest key name.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Longest revocation reason.
pub const MAX_REASON_CHARS: usize = 500;
/// Largest claims object, as JSON.
pub const MAX_CLAIMS_BYTES: usize = 4096;
/// Longest lifetime: ten years.
pub const MAX_SECONDS_UNTIL_EXPIRATION: i64 = 10 * 365 * 24 * 3600;
/// The longest grace period of a reroll: seven days.
pub const MAX_GRACE_PERIOD_MS: Millis = 7 * 24 * 3600 * 1000;

/// Claims of at most [`MAX_CLAIMS_BYTES`] of JSON; the error names `field`.
pub fn checked_claims(field: &'static str, claims: Claims) -> Result<Claims, DomainError> {
    if serde_json::to_vec(&claims).map_or(usize::MAX, |b| b.len()) > MAX_CLAIMS_BYTES {
        return Err(DomainError::invalid(
            field,
            format!("at most {MAX_CLAIMS_BYTES} bytes of JSON"),
        ));
    }
    Ok(claims)
}

/// A key as stored in the keys table. Never serialised into a response: see
/// `edge::wire::ApiKeyView`. Its fields are the key object of docs/api-reference.md plus the hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // docs/architecture.md's tables document each attribute
pub struct ApiKeyRecord {
    pub key_hash: KeyHash,
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Kept as a JSON string so numbers and nesting survive the table exactly.
    #[serde(default, with = "crate::domain::json::json_string")]
    pub claims: Claims,
    pub created_at: Millis,
    pub updated_at: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Millis>,
    #[serde(default)]
    pub revoked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<Millis>,
    pub start: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerolled_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerolled_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratelimit: Option<RateLimit>,
    /// The credits as last set by create or update; the live balance is the usage table's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<Credits>,
    /// Whose counters this key spends: absent for its own, the first key's id after rerolls,
    /// or its creator's when it inherited its creator's limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits_id: Option<String>,
    /// Minted by a key with usage limits: it carries that key's limits and spends its
    /// counters, so minting adds no capacity; the limits are changed on the creator.
    #[serde(default, skip_serializing_if = "is_false")]
    pub inherited_limits: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Whether a key may be used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Usable.
    Active,
    /// Revoked (wins over expiry).
    Revoked,
    /// Past its expiration.
    Expired,
}

impl ApiKeyRecord {
    /// Whether the key's expiration is at or before `now`.
    pub fn is_expired(&self, now: Millis) -> bool {
        self.expiration.is_some_and(|at| at <= now)
    }

    /// Whether a use was recorded less than `interval_ms` before `now` (the usage throttle;
    /// DynamoDB's conditional write states the same rule as `lastUsedAt <= now - interval`).
    pub fn used_within(&self, now: Millis, interval_ms: Millis) -> bool {
        self.last_used_at.is_some_and(|at| at > now - interval_ms)
    }

    /// The name of the counters (credits, rate-limit windows) this key spends: a rerolled
    /// key shares its predecessor's, so a reroll neither refills nor doubles them.
    pub fn limits_id(&self) -> &str {
        self.limits_id.as_deref().unwrap_or(&self.id)
    }

    /// Whether the key has a rate limit or credits to charge.
    pub fn has_limits(&self) -> bool {
        self.ratelimit.is_some() || self.credits.is_some()
    }

    /// Revocation wins over expiry: it is the more deliberate act.
    pub fn status(&self, now: Millis) -> KeyStatus {
        if self.revoked {
            KeyStatus::Revoked
        } else if self.is_expired(now) {
            KeyStatus::Expired
        } else {
            KeyStatus::Active
        }
    }
}

/// The `type` of every key object, and the authorizer context's `tokenType`.
pub const TOKEN_TYPE: &str = "api_key";

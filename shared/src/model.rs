//! What is stored and what is shown.

use crate::clock::Millis;
use crate::hashing::KeyHash;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub type Claims = Map<String, Value>;

/// A key as stored in the keys table. Never serialised into a response: see [`ApiKeyView`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
    #[serde(default, with = "claims_as_json")]
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
}

/// Whether a key may be used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Revoked,
    Expired,
}

impl ApiKeyRecord {
    pub fn is_expired(&self, now: Millis) -> bool {
        self.expiration.is_some_and(|at| at <= now)
    }

    /// Whether a use was recorded less than `interval_ms` before `now` (the usage throttle;
    /// DynamoDB's conditional write states the same rule as `lastUsedAt <= now - interval`).
    pub fn used_within(&self, now: Millis, interval_ms: Millis) -> bool {
        self.last_used_at.is_some_and(|at| at > now - interval_ms)
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

/// The JSON form of a key in every response: no hash, and `secret` only from create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub description: Option<String>,
    pub subject: String,
    pub created_by: Option<String>,
    pub scopes: Vec<String>,
    pub claims: Claims,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub expiration: Option<Millis>,
    pub expired: bool,
    pub revoked: bool,
    pub revoked_at: Option<Millis>,
    pub revocation_reason: Option<String>,
    pub last_used_at: Option<Millis>,
    pub start: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

pub const TOKEN_TYPE: &str = "api_key";

impl ApiKeyView {
    pub fn of(record: &ApiKeyRecord, now: Millis) -> Self {
        Self {
            id: record.id.clone(),
            kind: TOKEN_TYPE.to_owned(),
            name: record.name.clone(),
            description: record.description.clone(),
            subject: record.subject.clone(),
            created_by: record.created_by.clone(),
            scopes: record.scopes.clone(),
            claims: record.claims.clone(),
            created_at: record.created_at,
            updated_at: record.updated_at,
            expiration: record.expiration,
            expired: record.is_expired(now),
            revoked: record.revoked,
            revoked_at: record.revoked_at,
            revocation_reason: record.revocation_reason.clone(),
            last_used_at: record.last_used_at,
            start: record.start.clone(),
            secret: None,
        }
    }
}

/// The sample protected resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: String,
    pub name: String,
    /// Validated to at most two decimals; its shortest decimal form is stored exactly.
    pub price: f64,
    pub owner_id: String,
    pub created_at: Millis,
    pub created_by_key_id: String,
}

mod claims_as_json {
    use super::Claims;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(claims: &Claims, s: S) -> Result<S::Ok, S::Error> {
        let json = serde_json::to_string(claims).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&json)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Claims, D::Error> {
        let json = String::deserialize(d)?;
        serde_json::from_str(&json).map_err(D::Error::custom)
    }
}

//! The key object, as every response shows it.

use crate::clock::Millis;
use crate::limits::{Credits, RateLimit};
use crate::model::{ApiKeyRecord, Claims, TOKEN_TYPE};
use serde::{Deserialize, Serialize};

/// The JSON form of a key in every response: no hash, and `secret` only from create.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // the README's API reference documents each field
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
    pub rerolled_from: Option<String>,
    pub rerolled_to: Option<String>,
    pub ratelimit: Option<RateLimit>,
    /// `remaining` is the live balance where a handler read it (see `keys::live`).
    pub credits: Option<Credits>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Whose counters the key spends (never shown).
    #[serde(skip)]
    pub limits_id: String,
}

impl ApiKeyView {
    /// The view of a stored key at `now` (`expired` is computed), without a secret.
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
            rerolled_from: record.rerolled_from.clone(),
            rerolled_to: record.rerolled_to.clone(),
            ratelimit: record.ratelimit,
            credits: record.credits,
            secret: None,
            limits_id: record.limits_id().to_owned(),
        }
    }
}

/// `Debug` never shows the one-time secret.
impl std::fmt::Debug for ApiKeyView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyView")
            .field("id", &self.id)
            .field("subject", &self.subject)
            .field("scopes", &self.scopes)
            .field("revoked", &self.revoked)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// Body of `GET /keys`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyList {
    /// One page, newest first.
    pub data: Vec<ApiKeyView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

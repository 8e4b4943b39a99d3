//! The key object, as every response shows it.

use crate::domain::audit::KeyFields;
use crate::domain::cascade::CascadeOutcome;
use crate::domain::clock::Millis;
use crate::domain::key::{ApiKeyRecord, TOKEN_TYPE};
use crate::domain::key_format::Secret;
use crate::operations::revoke::Revoked;
use serde::{Deserialize, Serialize};

/// The JSON form of a key in every response: no hash, and `secret` only from create and
/// reroll. The fields a change can touch are [`KeyFields`], named once for this object and
/// the audit trail.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // docs/api-reference.md documents each field
pub struct ApiKeyView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(flatten)]
    pub fields: KeyFields,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub expired: bool,
    pub last_used_at: Option<Millis>,
    pub start: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl ApiKeyView {
    /// The view of a key at `now` (`expired` is computed), without a secret. Its credits are
    /// the live balance where the operation that returned the key read it.
    pub fn of(record: &ApiKeyRecord, now: Millis) -> Self {
        Self {
            id: record.id.clone(),
            kind: TOKEN_TYPE.to_owned(),
            fields: KeyFields::of(record),
            created_at: record.created_at,
            updated_at: record.updated_at,
            expired: record.is_expired(now),
            last_used_at: record.last_used_at,
            start: record.start.clone(),
            secret: None,
        }
    }

    /// The view of a key just made, with its secret: the one time it is shown.
    pub fn with_secret(record: &ApiKeyRecord, secret: Secret, now: Millis) -> Self {
        Self {
            secret: Some(secret.into_inner()),
            ..Self::of(record, now)
        }
    }
}

/// `Debug` never shows the one-time secret.
impl std::fmt::Debug for ApiKeyView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyView")
            .field("id", &self.id)
            .field("subject", &self.fields.subject)
            .field("scopes", &self.fields.scopes)
            .field("revoked", &self.fields.revoked)
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

/// Body of `POST /keys/{id}/revoke`: the key, and with a cascade what it did so far.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokedView {
    /// The revoked key.
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// Present when a cascade was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cascade: Option<CascadeOutcome>,
}

impl RevokedView {
    /// The view of a revoke's result at `now`.
    pub fn of(revoked: &Revoked, now: Millis) -> Self {
        Self {
            key: ApiKeyView::of(&revoked.key, now),
            cascade: revoked.cascade.clone(),
        }
    }
}

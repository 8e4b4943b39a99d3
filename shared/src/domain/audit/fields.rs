//! The fields of a key that an audit event records, named once: the key object every answer
//! shows (`edge::wire::ApiKeyView`) flattens this very struct, so a field renamed or added
//! here is renamed or added in both, and cannot drop out of the audit trail.

use crate::domain::clock::Millis;
use crate::domain::key::{ApiKeyRecord, Claims};
use crate::domain::limits::{Credits, RateLimit};
use serde::{Deserialize, Serialize};

/// What a change of a key can touch, in the key object's JSON form (claims as an object,
/// times in epoch milliseconds). Identity and bookkeeping (`id`, `createdAt`, `updatedAt`,
/// `lastUsedAt`, `start`) and what is computed (`expired`) are not here: every change moves
/// them, or none does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // docs/api-reference.md documents each field of the key object
pub struct KeyFields {
    pub name: String,
    pub description: Option<String>,
    pub subject: String,
    pub created_by: Option<String>,
    pub scopes: Vec<String>,
    pub claims: Claims,
    pub expiration: Option<Millis>,
    pub revoked: bool,
    pub revoked_at: Option<Millis>,
    pub revocation_reason: Option<String>,
    pub rerolled_from: Option<String>,
    pub rerolled_to: Option<String>,
    pub ratelimit: Option<RateLimit>,
    /// `remaining` is the live balance wherever an operation read it.
    pub credits: Option<Credits>,
}

impl KeyFields {
    /// The fields of a stored key.
    pub fn of(record: &ApiKeyRecord) -> Self {
        Self {
            name: record.name.clone(),
            description: record.description.clone(),
            subject: record.subject.clone(),
            created_by: record.created_by.clone(),
            scopes: record.scopes.clone(),
            claims: record.claims.clone(),
            expiration: record.expiration,
            revoked: record.revoked,
            revoked_at: record.revoked_at,
            revocation_reason: record.revocation_reason.clone(),
            rerolled_from: record.rerolled_from.clone(),
            rerolled_to: record.rerolled_to.clone(),
            ratelimit: record.ratelimit,
            credits: record.credits,
        }
    }
}

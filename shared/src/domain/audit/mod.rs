//! The audit trail: one event per change of a key (created, updated, rerolled, revoked),
//! written by the store in the same transaction as the change itself, so a change is never
//! without its event nor an event without its change. Kept for a retention period by
//! DynamoDB TTL; listed newest first by `GET /keys/{id}/events`.

mod changes;
mod fields;

pub use changes::between;
pub use fields::KeyFields;

use crate::domain::caller::Caller;
use crate::domain::cascade::CascadeOutcome;
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::ids;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Days an event is kept when `AUDIT_RETENTION_DAYS` is unset.
pub const DEFAULT_RETENTION_DAYS: u32 = 365;
/// The longest retention: ten years.
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// What happened to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)] // docs/api-reference.md lists each type
pub enum EventType {
    Created,
    Updated,
    Rerolled,
    Revoked,
    /// A cascade from this key finished; `outcome` says what it did.
    Cascaded,
}

/// One field's value before and after a change (`null` where it had none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Before.
    pub old: Value,
    /// After.
    pub new: Value,
}

/// The changed fields of a key, by their name in the key object.
pub type Changes = BTreeMap<String, Change>;

/// One change of a key, as stored in the events table (partition `keyId`, sort key
/// `eventKey`). Holds no secret and no hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // docs/architecture.md's tables document each attribute
pub struct KeyEvent {
    pub key_id: String,
    /// `at` (zero-padded) and `id`: the newest-first order of a key's events.
    pub event_key: String,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub at: Millis,
    pub actor_id: String,
    pub actor_subject: String,
    #[serde(with = "crate::domain::json::json_string")]
    pub changes: Changes,
    /// The key whose cascading revoke revoked this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cascade_from: Option<String>,
    /// On a `cascaded` event: what the cascade revoked and spared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<CascadeOutcome>,
}

impl KeyEvent {
    /// An event of `kind` on `key_id` at `at`, made by `actor`.
    pub fn new(
        key_id: &str,
        kind: EventType,
        at: Millis,
        actor: &Caller,
        changes: Changes,
    ) -> Result<Self, DomainError> {
        let id = ids::new_event_id()?;
        Ok(Self {
            key_id: key_id.to_owned(),
            event_key: event_key(at, &id),
            id,
            kind,
            at,
            actor_id: actor.key_id.clone(),
            actor_subject: actor.subject.clone(),
            changes,
            cascade_from: None,
            outcome: None,
        })
    }
}

/// The sort key of an event: its time, zero-padded so text order is time order, then its
/// id, so two events of one millisecond never collide.
pub fn event_key(at: Millis, id: &str) -> String {
    format!("{at:015}#{id}")
}

/// How long events are kept: DynamoDB deletes an event after its `expiresAt` (epoch
/// seconds), and every listing skips one past it, since TTL deletion may lag by days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    days: u32,
}

impl Retention {
    /// 1 to [`MAX_RETENTION_DAYS`] days.
    pub fn days(days: u32) -> Option<Self> {
        (1..=MAX_RETENTION_DAYS)
            .contains(&days)
            .then_some(Self { days })
    }

    /// When an event made at `at` expires, in epoch seconds (DynamoDB TTL's unit).
    pub fn expires_at(self, at: Millis) -> i64 {
        at / 1000 + i64::from(self.days) * 86_400
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            days: DEFAULT_RETENTION_DAYS,
        }
    }
}

/// Whether an event that expires at `expires_at` (epoch seconds) is past it at `now`.
pub fn is_past(expires_at: i64, now: Millis) -> bool {
    expires_at * 1000 <= now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_sort_by_time_then_id() {
        let id = ids::new_event_id().unwrap();
        assert!(event_key(999, &id) < event_key(1_000, &id));
        assert!(event_key(1_700_000_000_000, "evt_b") > event_key(1_700_000_000_000, "evt_a"));
    }

    #[test]
    fn retention_is_bounded_and_in_seconds() {
        assert!(Retention::days(0).is_none());
        assert!(Retention::days(MAX_RETENTION_DAYS + 1).is_none());
        let week = Retention::days(7).unwrap();
        assert_eq!(week.expires_at(1_000_000), 1_000 + 7 * 86_400);
        assert!(!is_past(week.expires_at(0), 7 * 86_400_000 - 1));
        assert!(is_past(week.expires_at(0), 7 * 86_400_000));
    }
}

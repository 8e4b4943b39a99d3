//! A cascade: the revocation of every key below a revoked key (and, for a leak, its reroll
//! successors), walked until a pass finds nothing new. Its job is kept on the root key's
//! item, so a walk cut short by one invocation's time is continued by another.

use crate::domain::caller::Caller;
use crate::domain::clock::Millis;
use crate::domain::hashing::KeyHash;
use crate::domain::key::ApiKeyRecord;
use crate::domain::scopes;
use serde::{Deserialize, Serialize};

/// How long a cascade's last pass waits after anything new was found (the root's revoke
/// included): DynamoDB's global secondary indexes usually follow their table within a
/// second.
pub const INDEX_SETTLE_MS: Millis = 1000;

/// The most spared key ids an outcome lists; the count is always whole.
pub const MAX_SPARED_LISTED: usize = 100;

/// Where a cascade stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CascadeState {
    /// The request that started it is walking.
    Walking,
    /// Handed on: the keys table's stream (or the local server) continues it.
    Pending,
    /// Finished: a pass found nothing new; the root's `cascaded` event holds the outcome.
    Done,
}

impl CascadeState {
    /// The stored name, which the continuation's stream filter matches.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Walking => "walking",
            Self::Pending => "pending",
            Self::Done => "done",
        }
    }

    /// The state a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Walking, Self::Pending, Self::Done]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// A cascade in progress, as kept on its root key's item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CascadeJob {
    /// Tells this cascade from a later one on the same root (which replaces it).
    pub id: String,
    /// The revoked key the walk starts from.
    pub root_id: String,
    /// Whom the cascade acts for: it revokes only what this caller could revoke directly.
    pub actor: Caller,
    /// The reason each key it revokes carries.
    pub reason: String,
    /// A leak's family: reroll successors are walked too.
    pub follow_rerolls: bool,
    /// When it started.
    pub started_at: Millis,
    /// Invocations that walked it so far.
    pub rounds: u32,
    /// When a pass last found something new (epoch ms): the cascade ends only with a pass
    /// that starts at least [`INDEX_SETTLE_MS`] after it, so a key the creator index had
    /// not shown yet is seen.
    #[serde(default)]
    pub last_change_ms: Millis,
    /// What it did so far.
    pub outcome: CascadeOutcome,
}

/// What a cascade did: shown in the revoke response and kept in the root's `cascaded`
/// event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CascadeOutcome {
    /// Keys it revoked (the root not counted).
    pub revoked: u64,
    /// Keys it left because its caller could not revoke them directly, with what they
    /// created.
    pub spared_count: u64,
    /// Their ids, the first [`MAX_SPARED_LISTED`].
    pub spared: Vec<String>,
    /// Whether the rest is still being revoked, asynchronously.
    pub in_progress: bool,
}

impl CascadeJob {
    /// Whether `later` is a job that may replace this one: a job still running is only
    /// replaced by one acting with as much authority and following rerolls if it did, so a
    /// narrower revoke of the same root never downgrades a leak's or an admin's cascade.
    pub fn absorb_into(&self, later: &mut CascadeJob) {
        if self.actor.is_admin() && !later.actor.is_admin() {
            later.actor = self.actor.clone();
            later.reason = self.reason.clone();
        }
        later.follow_rerolls |= self.follow_rerolls;
    }
}

impl CascadeOutcome {
    /// Notes a spared key.
    pub fn spare(&mut self, id: &str) {
        self.spared_count += 1;
        if self.spared.len() < MAX_SPARED_LISTED {
            self.spared.push(id.to_owned());
        }
    }
}

/// A key as a walk finds it in the creator index: what it needs to go on, a few hundred
/// bytes, so a level of many thousands of keys fits in a small function's memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRef {
    /// Its primary key, for the strongly consistent read that judges it.
    pub key_hash: KeyHash,
    /// Its public id: the keys it created name it as `createdBy`.
    pub id: String,
    /// Revoked as the index last saw it (a revocation is final, so never wrongly `true`).
    #[serde(default)]
    pub revoked: bool,
    /// Its successor, if it was rerolled.
    #[serde(default)]
    pub rerolled_to: Option<String>,
}

impl From<&ApiKeyRecord> for KeyRef {
    fn from(key: &ApiKeyRecord) -> Self {
        Self {
            key_hash: key.key_hash.clone(),
            id: key.id.clone(),
            revoked: key.revoked,
            rerolled_to: key.rerolled_to.clone(),
        }
    }
}

/// Whether `caller` could revoke `key` directly: any key with `keys:admin`; otherwise a key
/// of its own subject, holding no scope the caller lacks and carrying the caller's claims.
pub fn may_revoke(caller: &Caller, key: &ApiKeyRecord) -> bool {
    caller.is_admin()
        || (caller.subject == key.subject
            && scopes::missing(&caller.scopes, &key.scopes).is_empty()
            && (key.claims.is_empty() || key.claims == caller.claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_by_name() {
        for state in [
            CascadeState::Walking,
            CascadeState::Pending,
            CascadeState::Done,
        ] {
            assert_eq!(CascadeState::parse(state.as_str()), Some(state));
        }
        assert_eq!(CascadeState::parse("paused"), None);
    }

    #[test]
    fn the_spared_list_is_bounded_and_the_count_whole() {
        let mut outcome = CascadeOutcome::default();
        for i in 0..MAX_SPARED_LISTED + 5 {
            outcome.spare(&format!("key_{i}"));
        }
        assert_eq!(outcome.spared.len(), MAX_SPARED_LISTED);
        assert_eq!(outcome.spared_count, MAX_SPARED_LISTED as u64 + 5);
    }
}

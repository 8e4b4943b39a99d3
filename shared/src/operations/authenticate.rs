//! Deciding whether a presented secret is a usable key: shared by the authorizer and the
//! verify endpoint. A malformed secret costs no store call; anything else costs one read.

use crate::domain::clock::Millis;
use crate::domain::error::ErrorChain;
use crate::domain::hashing::KeyHash;
use crate::domain::key::{ApiKeyRecord, KeyStatus};
use crate::domain::key_format::{KeyPrefix, ParsedKey};
use crate::store::error::StoreError;
use crate::store::{KeyReader, UsageRecorder};

/// `lastUsedAt` is written at most this often per key, never once per request.
pub const LAST_USED_INTERVAL_MS: Millis = 60_000;

/// The longest a decision waits for its usage write, which is bookkeeping. It bounds the
/// time from the authorizer's read of a key to its answer, which the authorizer-cache
/// flush relies on (`cache_flush::SETTLE`).
pub const USAGE_WRITE_BOUND: std::time::Duration = std::time::Duration::from_millis(300);

/// What a presented secret turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A usable key.
    Valid(ApiKeyRecord),
    /// Not of this deployment's format; no read was made.
    Malformed,
    /// Well formed, but no such key.
    NotFound,
    /// The key, revoked.
    Revoked(ApiKeyRecord),
    /// The key, past its expiration.
    Expired(ApiKeyRecord),
}

impl Verdict {
    /// The stored key, when one was found.
    pub fn record(&self) -> Option<&ApiKeyRecord> {
        match self {
            Self::Valid(k) | Self::Revoked(k) | Self::Expired(k) => Some(k),
            Self::Malformed | Self::NotFound => None,
        }
    }

    /// The stored key, when one was found, owned.
    pub fn into_record(self) -> Option<ApiKeyRecord> {
        match self {
            Self::Valid(k) | Self::Revoked(k) | Self::Expired(k) => Some(k),
            Self::Malformed | Self::NotFound => None,
        }
    }
}

/// Checks a presented secret: format first (no I/O), then one strongly consistent read.
pub async fn check(
    store: &dyn KeyReader,
    prefix: &KeyPrefix,
    presented: &str,
    now: Millis,
) -> Result<Verdict, StoreError> {
    match prefix.parse(presented) {
        Ok(parsed) => look_up(store, &parsed, now).await,
        Err(_) => Ok(Verdict::Malformed),
    }
}

/// The verdict on a key whose format is already checked: one strongly consistent read.
pub async fn look_up(
    store: &dyn KeyReader,
    parsed: &ParsedKey<'_>,
    now: Millis,
) -> Result<Verdict, StoreError> {
    let Some(key) = store.get_by_hash(&KeyHash::of(parsed)).await? else {
        return Ok(Verdict::NotFound);
    };
    Ok(match key.status(now) {
        KeyStatus::Active => Verdict::Valid(key),
        KeyStatus::Revoked => Verdict::Revoked(key),
        KeyStatus::Expired => Verdict::Expired(key),
    })
}

/// Records a use of `key` unless the read already shows one within the interval, so a
/// busy key costs no write at all. A failure here, or a write slower than
/// [`USAGE_WRITE_BOUND`], is logged and never denies the key.
pub async fn record_use(store: &dyn UsageRecorder, key: &ApiKeyRecord, now: Millis) {
    if key.used_within(now, LAST_USED_INTERVAL_MS) {
        return;
    }
    let write = store.touch_last_used(&key.key_hash, now, LAST_USED_INTERVAL_MS);
    match tokio::time::timeout(USAGE_WRITE_BOUND, write).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::warn!(key_id = %key.id, error = %ErrorChain(&e), "could not record lastUsedAt");
        }
        Err(_) => {
            tracing::warn!(key_id = %key.id, "lastUsedAt not recorded in time; left as it was")
        }
    }
}

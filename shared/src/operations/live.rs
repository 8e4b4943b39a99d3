//! The live credit balance of the keys an operation returns: the key item holds the credits
//! as last set by create or update; the usage table holds what is left now. Every operation
//! that hands back a key reads it, so every front (the API, keyctl, the local server) shows
//! the same key object.

use crate::domain::clock::Millis;
use crate::domain::key::ApiKeyRecord;
use crate::domain::limits::{Balance, Credits, decide};
use crate::store::UsageLimiter;
use crate::store::error::StoreError;
use futures_util::future::try_join_all;

/// What is left of `credits` now, a due refill counted.
async fn remaining(
    store: &dyn UsageLimiter,
    limits_id: &str,
    credits: &Credits,
    now: Millis,
) -> Result<u64, StoreError> {
    let balance = store.credits(limits_id).await?.unwrap_or(Balance {
        remaining: 0,
        refilled_at: 0,
    });
    Ok(decide(balance, 0, credits.refill.as_ref(), now)
        .spend
        .remaining)
}

/// Sets a key's `credits.remaining` to its live balance, if it has credits.
pub async fn read_credits(
    store: &dyn UsageLimiter,
    key: &mut ApiKeyRecord,
    now: Millis,
) -> Result<(), StoreError> {
    let limits_id = key.limits_id().to_owned();
    if let Some(credits) = key.credits.as_mut() {
        credits.remaining = remaining(store, &limits_id, credits, now).await?;
    }
    Ok(())
}

/// Sets each key's `credits.remaining` to its live balance, reading them concurrently.
pub async fn read_all_credits(
    store: &dyn UsageLimiter,
    keys: &mut [ApiKeyRecord],
    now: Millis,
) -> Result<(), StoreError> {
    let reads = keys
        .iter_mut()
        .filter(|key| key.credits.is_some())
        .map(|key| read_credits(store, key, now));
    try_join_all(reads).await?;
    Ok(())
}

//! The live credit balance in the key objects an answer shows: the key item holds the
//! credits as last set by create or update; the usage table holds what is left now.

use crate::api::ApiKeyView;
use crate::clock::Millis;
use crate::error::StoreError;
use crate::limits::{Balance, Credits, decide};
use crate::model::ApiKeyRecord;
use crate::store::UsageLimiter;
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

/// Sets each view's `credits.remaining` to its live balance, reading them concurrently.
pub async fn show(
    store: &dyn UsageLimiter,
    views: &mut [ApiKeyView],
    now: Millis,
) -> Result<(), StoreError> {
    let reads = views.iter_mut().filter_map(|view| {
        let limits_id = view.limits_id.clone();
        view.credits.as_mut().map(|credits| async move {
            credits.remaining = remaining(store, &limits_id, credits, now).await?;
            Ok::<_, StoreError>(())
        })
    });
    try_join_all(reads).await?;
    Ok(())
}

//! `POST /keys/{id}/reroll`: replace a key by a new one with the same settings; the old one
//! keeps working for a grace period (none by default), then expires.

use super::create::FreshSecret;
use super::{IssuedKey, live, read_fresh, require_authority_over, visible_key};
use crate::domain::audit::{self, EventType, KeyEvent};
use crate::domain::caller::Caller;
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::ids::{self, KeyId};
use crate::domain::key::ApiKeyRecord;
use crate::domain::key_format::KeyPrefix;
use crate::domain::scopes::KEYS_WRITE;
use crate::store::RerollStore;

/// Rerolls a key the caller may see and holds every scope of (or any, with `keys:admin`):
/// a new key with the old one's name, description, subject, scopes, claims and expiration,
/// created by the caller, shown with its secret this once. The old key then expires at
/// `now + grace` (or its own expiration, if sooner); `grace` is checked by the edge
/// (0 to [`crate::domain::key::MAX_GRACE_PERIOD_MS`]). Once only; never a revoked or
/// expired key.
pub async fn reroll_key(
    store: &dyn RerollStore,
    prefix: &KeyPrefix,
    caller: &Caller,
    id: &KeyId,
    grace: Millis,
    now: Millis,
) -> Result<IssuedKey, DomainError> {
    caller.require(KEYS_WRITE)?;
    // The caller as stored now: revoked a moment ago (by a cascade walking towards what it
    // makes), it makes nothing more.
    if read_fresh(store, &caller.key_id)
        .await?
        .is_some_and(|k| k.revoked)
    {
        return Err(DomainError::Forbidden(
            "the calling key has been revoked".to_owned(),
        ));
    }
    let old = visible_key(store, caller, id).await?;
    require_authority_over(caller, &old)?;
    if old.revoked {
        return Err(DomainError::Conflict(
            "a revoked key cannot be rerolled".to_owned(),
        ));
    }
    if let Some(successor) = &old.rerolled_to {
        return Err(DomainError::Conflict(format!(
            "this key was already rerolled, to {successor}"
        )));
    }
    if old.is_expired(now) {
        // Its successor would be born expired.
        return Err(DomainError::Conflict(
            "an expired key cannot be rerolled".to_owned(),
        ));
    }
    // Claims reach every protected function as trusted context: without `keys:admin` a
    // caller may only issue a key carrying its own claims, as on create.
    if !caller.is_admin() && old.claims != caller.claims {
        return Err(DomainError::Forbidden(
            "rerolling a key whose claims differ from the caller's needs the scope keys:admin"
                .to_owned(),
        ));
    }
    // The caller creates the new key, and a key cannot outlive the key that creates it.
    if let Some(limit) = caller.expiration
        && old.expiration.is_none_or(|at| at > limit)
    {
        return Err(DomainError::Forbidden(format!(
            "the new key would outlive the key that creates it (it expires at {limit})"
        )));
    }

    let fresh = FreshSecret::generate(prefix)?;
    let new = ApiKeyRecord {
        key_hash: fresh.hash,
        id: ids::new_key_id()?,
        created_by: Some(caller.key_id.clone()),
        created_at: now,
        updated_at: now,
        revoked: false,
        revoked_at: None,
        revocation_reason: None,
        last_used_at: None,
        start: fresh.start,
        rerolled_from: Some(old.id.clone()),
        rerolled_to: None,
        // The same limits, spending the same counters: a reroll neither refills nor doubles.
        limits_id: Some(old.limits_id().to_owned()),
        ..old.clone()
    };
    // After the old key's last change, so its events keep their order.
    let at = now.max(old.updated_at + 1);
    let mut retired = old.clone();
    let grace_ends = now + grace;
    retired.expiration = Some(old.expiration.map_or(grace_ends, |e| e.min(grace_ends)));
    retired.rerolled_to = Some(new.id.clone());
    retired.updated_at = at;
    let events = [
        KeyEvent::new(
            &old.id,
            EventType::Rerolled,
            at,
            caller,
            audit::between(Some(&old), &retired),
        )?,
        KeyEvent::new(
            &new.id,
            EventType::Created,
            now,
            caller,
            audit::between(None, &new),
        )?,
    ];
    store
        .reroll(&retired, old.updated_at, &new, [&events[0], &events[1]])
        .await
        .map_err(FreshSecret::storing_failed)?;
    tracing::info!(
        key_id = %old.id, new_key_id = %new.id, rerolled_by = %caller.key_id, grace_ms = grace,
        "key rerolled"
    );
    let mut key = new;
    live::read_credits(store, &mut key, now).await?;
    Ok(IssuedKey {
        key,
        secret: fresh.secret,
    })
}

//! `PATCH /keys/{id}`: change a key's name, description, scopes, claims, expiration or limits.

use super::{
    MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, MAX_SECONDS_UNTIL_EXPIRATION, require_authority_over,
    require_held, validate_claims, validate_scopes, visible_key,
};
use crate::api::{ApiKeyView, UpdateKeyRequest};
use crate::audit::{self, EventType, KeyEvent};
use crate::caller::Caller;
use crate::clock::Millis;
use crate::error::ApiError;
use crate::fields::{optional_text, required_text};
use crate::limits::{Balance, BalanceWrite};
use crate::scopes::KEYS_WRITE;
use crate::store::UpdateStore;

/// Updates a key the caller may see and holds every scope of (or any, with `keys:admin`).
/// New scopes must be held by the caller, claims need `keys:admin`, and a key cannot be
/// made to outlive the caller's own key. A revoked key is 409.
pub async fn update_key(
    store: &dyn UpdateStore,
    caller: &Caller,
    id: &str,
    req: UpdateKeyRequest,
    now: Millis,
) -> Result<ApiKeyView, ApiError> {
    caller.require(KEYS_WRITE)?;
    if req.is_empty() {
        return Err(ApiError::BadRequest(
            "the body names no field to change: name, description, scopes, claims, expiration, ratelimit, credits"
                .to_owned(),
        ));
    }
    let mut key = visible_key(store, caller, id).await?;
    require_authority_over(caller, &key)?;
    if key.revoked {
        return Err(ApiError::Conflict(
            "a revoked key cannot be changed".to_owned(),
        ));
    }
    if let Some(successor) = &key.rerolled_to {
        // Its grace period is set; its successor is the key to change.
        return Err(ApiError::Conflict(format!(
            "a rerolled key cannot be changed; change {successor}"
        )));
    }
    if (req.ratelimit.is_some() || req.credits.is_some()) && !caller.is_admin() {
        return Err(ApiError::Forbidden(
            "changing ratelimit or credits needs the scope keys:admin".to_owned(),
        ));
    }
    // The event's old balance is the live one, not the one last set.
    super::live::read_credits(store, &mut key, now).await?;
    let mut changed = key.clone();
    let mut fields = Vec::new();
    let mut balance = None;
    if let Some(name) = req.name {
        let name = name.ok_or_else(|| not_null("name"))?;
        changed.name = required_text("name", &name, MAX_NAME_CHARS)?;
        fields.push("name");
    }
    if let Some(description) = req.description {
        changed.description = optional_text("description", description, MAX_DESCRIPTION_CHARS)?;
        fields.push("description");
    }
    if let Some(requested) = req.scopes {
        let requested = requested.ok_or_else(|| not_null("scopes"))?;
        changed.scopes = validate_scopes("scopes", requested)?;
        if !caller.is_admin() {
            require_held(caller, &changed.scopes)?;
        }
        fields.push("scopes");
    }
    if let Some(claims) = req.claims {
        // Claims reach every protected function as trusted context.
        if !caller.is_admin() {
            return Err(ApiError::Forbidden(
                "changing claims needs the scope keys:admin".to_owned(),
            ));
        }
        changed.claims = claims.unwrap_or_default();
        validate_claims("claims", &changed.claims)?;
        fields.push("claims");
    }
    if let Some(expiration) = req.expiration {
        changed.expiration = checked_expiration(caller, expiration, now)?;
        fields.push("expiration");
    }
    if let Some(ratelimit) = req.ratelimit {
        if let Some(limit) = &ratelimit {
            limit.validate("ratelimit")?;
        }
        changed.ratelimit = ratelimit;
        fields.push("ratelimit");
    }
    if let Some(credits) = req.credits {
        balance = Some(match &credits {
            Some(set) => {
                set.validate("credits")?;
                BalanceWrite::Set(Balance {
                    remaining: set.remaining,
                    refilled_at: now,
                })
            }
            None => BalanceWrite::Remove,
        });
        changed.credits = credits;
        fields.push("credits");
    }
    // `updatedAt` always moves, even within the millisecond of the last change.
    changed.updated_at = now.max(key.updated_at + 1);
    let event = KeyEvent::new(
        &key.id,
        EventType::Updated,
        changed.updated_at,
        caller,
        audit::between(Some(&key), &changed),
    )?;
    let updated = store
        .update(&changed, key.updated_at, &event, balance.as_ref())
        .await?;
    tracing::info!(key_id = %updated.id, updated_by = %caller.key_id, ?fields, "key updated");
    Ok(ApiKeyView::of(&updated, now))
}

fn not_null(field: &'static str) -> ApiError {
    ApiError::validation(field, "cannot be null")
}

/// The lifetime rule of create: a future time within ten years, and never past the
/// caller's own expiration (so no `null` for a caller that expires).
fn checked_expiration(
    caller: &Caller,
    requested: Option<Millis>,
    now: Millis,
) -> Result<Option<Millis>, ApiError> {
    let latest = now + MAX_SECONDS_UNTIL_EXPIRATION * 1000;
    if let Some(at) = requested
        && !(now < at && at <= latest)
    {
        return Err(ApiError::validation(
            "expiration",
            "must be a time in epoch milliseconds after now and within ten years, or null",
        ));
    }
    match (caller.expiration, requested) {
        (Some(limit), None) => Err(outlives(limit)),
        (Some(limit), Some(at)) if at > limit => Err(outlives(limit)),
        _ => Ok(requested),
    }
}

fn outlives(limit: Millis) -> ApiError {
    ApiError::Forbidden(format!(
        "expiration: a key cannot outlive the key that changes it (it expires at {limit})"
    ))
}

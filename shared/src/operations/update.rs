//! `PATCH /keys/{id}`: change a key's name, description, scopes, claims, expiration or limits.

use super::{live, read_fresh, require_authority_over, require_held, visible_key};
use crate::domain::audit::{self, EventType, KeyEvent};
use crate::domain::caller::Caller;
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::ids::KeyId;
use crate::domain::key::{ApiKeyRecord, Claims};
use crate::domain::limits::{Balance, BalanceWrite, Credits, RateLimit};
use crate::domain::scopes::{self, KEYS_WRITE, Scope};
use crate::store::{KeyReader, UpdateStore};

/// What a `PATCH` changes, parsed by the edge: `None` leaves a field as it is; for
/// description, expiration and the limits `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
#[allow(missing_docs)] // the fields of the key object
pub struct KeyChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub scopes: Option<Vec<Scope>>,
    /// Replaces the claims (`keys:admin` only); `Some(empty)` clears them.
    pub claims: Option<Claims>,
    /// A time after now and within ten years, or `None` for none.
    pub expiration: Option<Option<Millis>>,
    pub ratelimit: Option<Option<RateLimit>>,
    pub credits: Option<Option<Credits>>,
}

/// Updates a key the caller may see and holds every scope of (or any, with `keys:admin`).
/// New scopes must be held by the caller, claims need `keys:admin`, and a key cannot be
/// made to outlive the caller's own key. A revoked or rerolled key is a conflict. Returns
/// the key with its live balance.
pub async fn update_key(
    store: &dyn UpdateStore,
    caller: &Caller,
    id: &KeyId,
    changes: KeyChanges,
    now: Millis,
) -> Result<ApiKeyRecord, DomainError> {
    caller.require(KEYS_WRITE)?;
    let mut key = visible_key(store, caller, id).await?;
    require_authority_over(caller, &key)?;
    if key.revoked {
        return Err(DomainError::Conflict(
            "a revoked key cannot be changed".to_owned(),
        ));
    }
    if let Some(successor) = &key.rerolled_to {
        // Its grace period is set; its successor is the key to change.
        return Err(DomainError::Conflict(format!(
            "a rerolled key cannot be changed; change {successor}"
        )));
    }
    // Only an admin brings an expired key back: a stolen key must not revive the keys of
    // its subject that have run out.
    if key.is_expired(now) && !caller.is_admin() {
        return Err(DomainError::Forbidden(
            "changing an expired key needs the scope keys:admin".to_owned(),
        ));
    }
    let changes_limits = changes.ratelimit.is_some() || changes.credits.is_some();
    if changes_limits && !caller.is_admin() {
        return Err(DomainError::Forbidden(
            "changing ratelimit or credits needs the scope keys:admin".to_owned(),
        ));
    }
    if changes_limits && key.inherited_limits {
        return Err(DomainError::Conflict(
            "this key spends the usage limits of the key that created it; change them there"
                .to_owned(),
        ));
    }
    if let Some(scopes) = &changes.scopes
        && !caller.is_admin()
    {
        require_held(caller, scopes)?;
    }
    // Claims reach every protected function as trusted context.
    if changes.claims.is_some() && !caller.is_admin() {
        return Err(DomainError::Forbidden(
            "changing claims needs the scope keys:admin".to_owned(),
        ));
    }
    if let Some(expiration) = changes.expiration {
        require_within_caller(caller, expiration)?;
        require_within_creator(store, &key, expiration).await?;
    }
    // The event's old balance is the live one, not the one last set.
    live::read_credits(store, &mut key, now).await?;
    let (changed, balance, fields) = apply(&key, changes, now);
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
    Ok(updated)
}

/// The key with `changes` applied, the balance write that goes with it, and the names of
/// the fields changed (for the log).
fn apply(
    key: &ApiKeyRecord,
    changes: KeyChanges,
    now: Millis,
) -> (ApiKeyRecord, Option<BalanceWrite>, Vec<&'static str>) {
    let mut changed = key.clone();
    let mut fields = Vec::new();
    let mut balance = None;
    if let Some(name) = changes.name {
        changed.name = name;
        fields.push("name");
    }
    if let Some(description) = changes.description {
        changed.description = description;
        fields.push("description");
    }
    if let Some(scopes) = changes.scopes {
        changed.scopes = scopes::into_strings(scopes);
        fields.push("scopes");
    }
    if let Some(claims) = changes.claims {
        changed.claims = claims;
        fields.push("claims");
    }
    if let Some(expiration) = changes.expiration {
        changed.expiration = expiration;
        fields.push("expiration");
    }
    if let Some(ratelimit) = changes.ratelimit {
        changed.ratelimit = ratelimit;
        fields.push("ratelimit");
    }
    if let Some(credits) = changes.credits {
        balance = Some(match &credits {
            Some(set) => BalanceWrite::Set(Balance {
                remaining: set.remaining,
                refilled_at: now,
            }),
            None => BalanceWrite::Remove,
        });
        changed.credits = credits;
        fields.push("credits");
    }
    // `updatedAt` always moves, even within the millisecond of the last change.
    changed.updated_at = now.max(key.updated_at + 1);
    (changed, balance, fields)
}

/// A key cannot be made to outlive the key that changes it (so no `null` for a caller that
/// expires).
fn require_within_caller(caller: &Caller, requested: Option<Millis>) -> Result<(), DomainError> {
    match (caller.expiration, requested) {
        (Some(limit), None) => Err(outlives(limit)),
        (Some(limit), Some(at)) if at > limit => Err(outlives(limit)),
        _ => Ok(()),
    }
}

fn outlives(limit: Millis) -> DomainError {
    DomainError::Forbidden(format!(
        "expiration: a key cannot outlive the key that changes it (it expires at {limit})"
    ))
}

/// Nor the key that created it, as that key is now (read strongly consistent, so an
/// expiration it was just given counts). Operators' keys (`operator:<tool>`) do not expire.
async fn require_within_creator(
    store: &dyn KeyReader,
    key: &ApiKeyRecord,
    requested: Option<Millis>,
) -> Result<(), DomainError> {
    let Some(creator) = key
        .created_by
        .as_deref()
        .filter(|c| KeyId::parse(c).is_some())
    else {
        return Ok(());
    };
    let limit = read_fresh(store, creator)
        .await?
        .and_then(|creator| creator.expiration);
    match (limit, requested) {
        (Some(limit), None) => Err(outlives_creator(limit)),
        (Some(limit), Some(at)) if at > limit => Err(outlives_creator(limit)),
        _ => Ok(()),
    }
}

fn outlives_creator(limit: Millis) -> DomainError {
    DomainError::Forbidden(format!(
        "expiration: a key cannot outlive the key that created it (it expires at {limit})"
    ))
}

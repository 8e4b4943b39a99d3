//! `POST /keys/{id}/revoke`: stop a key at once, idempotently, and with `cascade` every
//! key it created, transitively.

use super::{live, require_authority_over, visible_key};
use crate::domain::audit::{self, EventType, KeyEvent};
use crate::domain::caller::Caller;
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::ids::KeyId;
use crate::domain::key::{ApiKeyRecord, MAX_REASON_CHARS};
use crate::domain::scopes::KEYS_WRITE;
use crate::store::error::StoreError;
use crate::store::{KeyLister, RevokeOneStore, RevokeStore};
use std::collections::HashSet;

/// The most keys one cascade revokes below the key itself. A larger tree is refused whole
/// (409) before anything changes, so one request never runs past the function's timeout.
pub const MAX_CASCADE: usize = 1000;

/// The reason a key revoked by cascade carries.
pub const CASCADE_REASON: &str = "parent revoked";

/// A revoke request, parsed by the edge.
#[derive(Debug, Clone, Default)]
pub struct Revocation {
    /// Why, kept with the key (trimmed, at most [`MAX_REASON_CHARS`]).
    pub reason: Option<String>,
    /// Revoke every key this key created, transitively, too.
    pub cascade: bool,
}

/// Revokes a key the caller may see and holds every scope of (or any, with `keys:admin`).
/// A second revoke keeps the first time and reason. With `cascade`, every key the key
/// created, transitively and of any subject, is revoked too, with the reason
/// `parent revoked` (and the given reason after a colon).
pub async fn revoke_key(
    store: &dyn RevokeStore,
    caller: &Caller,
    id: &KeyId,
    revocation: Revocation,
    now: Millis,
) -> Result<ApiKeyRecord, DomainError> {
    caller.require(KEYS_WRITE)?;
    let Revocation { reason, cascade } = revocation;
    let key = visible_key(store, caller, id).await?;
    require_authority_over(caller, &key)?;
    // Every key a key creates holds a subset of its scopes, so authority over the key is
    // authority over the whole tree.
    let descendants = if cascade {
        descendants_of(store, &key).await?
    } else {
        Vec::new()
    };
    let mut revoked = revoke_one(store, caller, &key, reason.as_deref(), None, now).await?;
    let cascade_reason = match &reason {
        Some(reason) => format!("{CASCADE_REASON}: {reason}"),
        None => CASCADE_REASON.to_owned(),
    };
    let mut cascaded = 0;
    for child in descendants.iter().filter(|k| !k.revoked) {
        revoke_one(
            store,
            caller,
            child,
            Some(&cascade_reason),
            Some(&key.id),
            now,
        )
        .await?;
        cascaded += 1;
    }
    tracing::info!(key_id = %revoked.id, revoked_by = %caller.key_id, cascaded, "key revoked");
    live::read_credits(store, &mut revoked, now).await?;
    Ok(revoked)
}

/// The operator a leak report's revocations are recorded as (`operator:github-secret-scanning`).
pub const LEAK_REPORTER: &str = "github-secret-scanning";

/// Revokes a key reported leaked at `url`, reason `leaked: <url>`, without cascade; the
/// event names the reporter as its actor. A key revoked meanwhile keeps its first reason.
pub async fn revoke_leaked(
    store: &dyn RevokeOneStore,
    key: &ApiKeyRecord,
    url: &str,
    now: Millis,
) -> Result<ApiKeyRecord, DomainError> {
    // The URL is the reporter's text: no control or bidi characters, and within the limit.
    let clean: String = url
        .chars()
        .filter(|&c| !crate::domain::text::unfit_for_text(c))
        .collect();
    let mut reason = format!("leaked: {}", clean.trim());
    if let Some((cut, _)) = reason.char_indices().nth(MAX_REASON_CHARS) {
        reason.truncate(cut);
    }
    let reporter = Caller::operator(LEAK_REPORTER);
    let revoked = revoke_one(store, &reporter, key, Some(&reason), None, now).await?;
    tracing::warn!(key_id = %key.id, url = %clean, "leaked key revoked");
    Ok(revoked)
}

/// Times revoke reads a key again when a concurrent change lands between its read and its
/// write.
const REVOKE_ATTEMPTS: usize = 3;

/// Revokes one key with its `revoked` event (naming the key whose cascade revoked it).
async fn revoke_one(
    store: &dyn RevokeOneStore,
    caller: &Caller,
    key: &ApiKeyRecord,
    reason: Option<&str>,
    cascade_from: Option<&str>,
    now: Millis,
) -> Result<ApiKeyRecord, DomainError> {
    let mut key = key.clone();
    for attempt in 1.. {
        let event = revoked_event(caller, &key, reason, cascade_from, now)?;
        match store.revoke(&key, reason, &event).await {
            // Changed after it was read: revoke what it is now, if the caller still may
            // (a cascade's keys fall under the authority over the key asked for, as on
            // their first attempt).
            Err(StoreError::Changed) if attempt < REVOKE_ATTEMPTS => {
                key = store
                    .get_by_hash(&key.key_hash)
                    .await?
                    .ok_or_else(DomainError::key_not_found)?;
                if cascade_from.is_none() {
                    require_authority_over(caller, &key)?;
                }
            }
            done => return Ok(done?),
        }
    }
    unreachable!("the attempts end with a return")
}

/// The `revoked` event of `key`, timed after the key's last change so its events keep
/// their order.
fn revoked_event(
    caller: &Caller,
    key: &ApiKeyRecord,
    reason: Option<&str>,
    cascade_from: Option<&str>,
    now: Millis,
) -> Result<KeyEvent, DomainError> {
    let at = now.max(key.updated_at + 1);
    let mut after = key.clone();
    after.revoked = true;
    after.revoked_at = Some(at);
    after.revocation_reason = reason.map(str::to_owned);
    let mut event = KeyEvent::new(
        &key.id,
        EventType::Revoked,
        at,
        caller,
        audit::between(Some(key), &after),
    )?;
    event.cascade_from = cascade_from.map(str::to_owned);
    Ok(event)
}

/// Every key below `root` in the creation tree, breadth first; 409 past [`MAX_CASCADE`].
/// Revoked keys are walked too: a key created by a revoked key may still be live.
async fn descendants_of(
    store: &dyn KeyLister,
    root: &ApiKeyRecord,
) -> Result<Vec<ApiKeyRecord>, DomainError> {
    let mut found: Vec<ApiKeyRecord> = Vec::new();
    let mut seen = HashSet::from([root.id.clone()]);
    let mut next = 0;
    let mut creator = root.id.clone();
    loop {
        for child in store
            .children_of(&creator, MAX_CASCADE - found.len())
            .await?
        {
            if !seen.insert(child.id.clone()) {
                continue;
            }
            if found.len() == MAX_CASCADE {
                return Err(DomainError::Conflict(format!(
                    "cascade: more than {MAX_CASCADE} keys descend from this key; revoke its \
                     children with cascade first"
                )));
            }
            found.push(child);
        }
        match found.get(next) {
            Some(child) => creator = child.id.clone(),
            None => return Ok(found),
        }
        next += 1;
    }
}

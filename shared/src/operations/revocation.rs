//! Revoking one key: its `revoked` event, the write conditioned on the version read, and
//! the rule of who may revoke it. Shared by the revoke endpoint, cascades and leak reports.

use super::require_authority_over;
use crate::domain::audit::{self, EventType, KeyEvent};
use crate::domain::caller::Caller;
use crate::domain::cascade::may_revoke;
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::key::ApiKeyRecord;
use crate::store::RevokeOneStore;
use crate::store::error::StoreError;

/// Times revoke reads a key again when a concurrent change lands between its read and its
/// write.
const REVOKE_ATTEMPTS: usize = 3;

/// Who revokes, why, and (in a cascade) from which key.
pub(super) struct RevokeAttempt<'a> {
    pub caller: &'a Caller,
    pub reason: Option<&'a str>,
    pub cascade_from: Option<&'a str>,
}

/// Revokes one key with its `revoked` event. A key changed after it was read is read
/// again and judged again: broadened meanwhile past what the caller could revoke, it is
/// [`DomainError::Forbidden`].
pub(super) async fn revoke_one(
    store: &dyn RevokeOneStore,
    attempt: &RevokeAttempt<'_>,
    key: &ApiKeyRecord,
    now: Millis,
) -> Result<ApiKeyRecord, DomainError> {
    let mut key = key.clone();
    for tries in 1.. {
        let event = revoked_event(attempt, &key, now)?;
        match store.revoke(&key, attempt.reason, &event).await {
            Err(StoreError::Changed) if tries < REVOKE_ATTEMPTS => {
                key = store
                    .get_by_hash(&key.key_hash)
                    .await?
                    .ok_or_else(DomainError::key_not_found)?;
                if !key.revoked {
                    require_revocable(attempt.caller, &key)?;
                }
            }
            done => return Ok(done?),
        }
    }
    unreachable!("the attempts end with a return")
}

/// A key the caller could revoke directly: the scopes first (their message names them),
/// then the claims (a key of another subject is never visible to it).
pub(super) fn require_revocable(caller: &Caller, key: &ApiKeyRecord) -> Result<(), DomainError> {
    require_authority_over(caller, key)?;
    if may_revoke(caller, key) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "revoking a key whose claims differ from the caller's needs the scope keys:admin"
                .to_owned(),
        ))
    }
}

/// The `revoked` event of `key`, timed after the key's last change so its events keep
/// their order.
fn revoked_event(
    attempt: &RevokeAttempt<'_>,
    key: &ApiKeyRecord,
    now: Millis,
) -> Result<KeyEvent, DomainError> {
    let at = now.max(key.updated_at + 1);
    let mut after = key.clone();
    after.revoked = true;
    after.revoked_at = Some(at);
    after.revocation_reason = attempt.reason.map(str::to_owned);
    let mut event = KeyEvent::new(
        &key.id,
        EventType::Revoked,
        at,
        attempt.caller,
        audit::between(Some(key), &after),
    )?;
    event.cascade_from = attempt.cascade_from.map(str::to_owned);
    Ok(event)
}

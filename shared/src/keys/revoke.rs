//! `POST /keys/{id}/revoke`: stop a key at once, idempotently.

use super::{MAX_REASON_CHARS, require_authority_over, visible_key};
use crate::api::{ApiKeyView, RevokeKeyRequest};
use crate::caller::Caller;
use crate::clock::Millis;
use crate::error::ApiError;
use crate::fields::optional_text;
use crate::scopes::KEYS_WRITE;
use crate::store::RevokeStore;

/// Revokes a key the caller may see and holds every scope of (or any, with `keys:admin`).
/// A second revoke keeps the first time and reason.
pub async fn revoke_key(
    store: &dyn RevokeStore,
    caller: &Caller,
    id: &str,
    req: RevokeKeyRequest,
    now: Millis,
) -> Result<ApiKeyView, ApiError> {
    caller.require(KEYS_WRITE)?;
    let reason = optional_text("revocationReason", req.revocation_reason, MAX_REASON_CHARS)?;
    let key = visible_key(store, caller, id).await?;
    require_authority_over(caller, &key)?;
    let revoked = store.revoke(&key.key_hash, reason.as_deref(), now).await?;
    tracing::info!(key_id = %revoked.id, revoked_by = %caller.key_id, "key revoked");
    Ok(ApiKeyView::of(&revoked, now))
}

//! `GET /keys/{id}`: one key the caller may see.

use super::visible_key;
use crate::api::ApiKeyView;
use crate::caller::Caller;
use crate::clock::Millis;
use crate::error::ApiError;
use crate::scopes::KEYS_READ;
use crate::store::KeyReader;

/// The key with this id, if the caller may see it (404 otherwise).
pub async fn get_key(
    store: &dyn KeyReader,
    caller: &Caller,
    id: &str,
    now: Millis,
) -> Result<ApiKeyView, ApiError> {
    caller.require(KEYS_READ)?;
    Ok(ApiKeyView::of(&visible_key(store, caller, id).await?, now))
}

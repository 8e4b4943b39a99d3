//! `GET /keys/{id}`: one key the caller may see, with its live balance.

use super::{indexed_key, live};
use crate::domain::caller::Caller;
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::ids::KeyId;
use crate::domain::key::ApiKeyRecord;
use crate::domain::scopes::KEYS_READ;
use crate::store::ReadStore;

/// The key with this id, if the caller may see it (not found otherwise).
pub async fn get_key(
    store: &dyn ReadStore,
    caller: &Caller,
    id: &KeyId,
    now: Millis,
) -> Result<ApiKeyRecord, DomainError> {
    caller.require(KEYS_READ)?;
    let mut key = indexed_key(store, caller, id).await?;
    live::read_credits(store, &mut key, now).await?;
    Ok(key)
}

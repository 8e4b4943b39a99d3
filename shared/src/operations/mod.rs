//! The operations: one file per use case. Each takes the store capability it needs, the
//! authenticated [`Caller`] and its input already parsed by the edge, and answers in the
//! domain's terms; nothing here knows about HTTP. The rules several share (which keys a
//! caller may see and change) are below.

pub mod authenticate;
pub mod bootstrap;
pub mod cascade;
pub mod charge;
pub mod create;
pub mod events;
pub mod get;
pub mod list;
pub mod live;
pub mod products;
pub mod reroll;
mod revocation;
pub mod revoke;
pub mod update;
pub mod verify;

use crate::domain::caller::Caller;
use crate::domain::error::DomainError;
use crate::domain::ids::KeyId;
use crate::domain::key::ApiKeyRecord;
use crate::domain::key_format::Secret;
use crate::domain::scopes;
use crate::store::KeyReader;

/// A key just made, with its secret: the one time the secret is handed out.
pub struct IssuedKey {
    /// The stored key.
    pub key: ApiKeyRecord,
    /// Its secret, never stored.
    pub secret: Secret,
}

/// One page of a listing, newest first.
#[derive(Debug)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts, opaque; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// A key grants only scopes its caller holds: no escalation by create or update.
fn require_held<S: AsRef<str>>(caller: &Caller, granted: &[S]) -> Result<(), DomainError> {
    let missing = scopes::missing(&caller.scopes, granted);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Forbidden(format!(
            "a key can only grant scopes it holds; missing: {}",
            missing.join(" ")
        )))
    }
}

/// Changing a key takes every scope it holds, unless the caller has `keys:admin`: a narrow
/// `keys:write` key must not revoke a broader key of its subject, such as its admin key.
fn require_authority_over(caller: &Caller, key: &ApiKeyRecord) -> Result<(), DomainError> {
    let missing = scopes::missing(&caller.scopes, &key.scopes);
    if caller.is_admin() || missing.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Forbidden(format!(
            "changing a key needs every scope it holds, or keys:admin; missing: {}",
            missing.join(" ")
        )))
    }
}

/// Finds a key the caller may see, as stored now. Another subject's key is "not found", not
/// "forbidden", so ids cannot be probed. The id index is eventually consistent: it only
/// finds the key, which is then read strongly consistent by its primary key, so every
/// authority decision is made on the key as it is (a scope added a moment ago included).
async fn visible_key(
    store: &dyn KeyReader,
    caller: &Caller,
    id: &KeyId,
) -> Result<ApiKeyRecord, DomainError> {
    read_fresh(store, id.as_str())
        .await?
        .filter(|k| caller.may_act_for(&k.subject))
        .ok_or_else(DomainError::key_not_found)
}

/// A key the caller may see, for reading only (get, events): the id index's answer, one
/// read. No authority is decided on it, so the index's lag does not matter here.
async fn indexed_key(
    store: &dyn KeyReader,
    caller: &Caller,
    id: &KeyId,
) -> Result<ApiKeyRecord, DomainError> {
    store
        .get_by_id(id.as_str())
        .await?
        .filter(|k| caller.may_act_for(&k.subject))
        .ok_or_else(DomainError::key_not_found)
}

/// The key with this id as stored now: found through the id index, read by its primary key.
async fn read_fresh(store: &dyn KeyReader, id: &str) -> Result<Option<ApiKeyRecord>, DomainError> {
    let Some(indexed) = store.get_by_id(id).await? else {
        return Ok(None);
    };
    Ok(store.get_by_hash(&indexed.key_hash).await?)
}

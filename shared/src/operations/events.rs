//! `GET /keys/{id}/events`: a key's audit trail, newest first, a page at a time.

use super::{Page, indexed_key};
use crate::domain::audit::KeyEvent;
use crate::domain::caller::Caller;
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::ids::KeyId;
use crate::domain::scopes::KEYS_READ;
use crate::store::{Cursor, EventQuery, EventStore};

/// The events of a key the caller may see (404 otherwise, as `GET /keys/{id}`). `limit`
/// and `cursor` work as in `GET /keys`; a cursor is bound to the key it was issued for.
pub async fn list_key_events(
    store: &dyn EventStore,
    caller: &Caller,
    id: &KeyId,
    limit: usize,
    cursor: Option<String>,
    now: Millis,
) -> Result<Page<KeyEvent>, DomainError> {
    caller.require(KEYS_READ)?;
    let key = indexed_key(store, caller, id).await?;
    let cursor = cursor
        .map(|c| Cursor::decode_event(&c, &key.id))
        .transpose()?;
    let page = store
        .list_events(&key.id, &EventQuery { limit, cursor, now })
        .await?;
    Ok(Page {
        items: page.items,
        next_cursor: page.next.map(|c| c.encode(&key.id)),
    })
}

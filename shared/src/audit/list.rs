//! `GET /keys/{id}/events`: a key's audit trail, newest first, a page at a time.

use super::{Changes, EventType, KeyEvent};
use crate::api::parse_limit;
use crate::caller::Caller;
use crate::clock::Millis;
use crate::error::ApiError;
use crate::keys::visible_key;
use crate::scopes::KEYS_READ;
use crate::store::{Cursor, EventQuery, EventStore};
use serde::{Deserialize, Serialize};

/// One event as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // the README's API reference documents each field
pub struct EventView {
    pub id: String,
    pub key_id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub at: Millis,
    pub actor_id: String,
    pub actor_subject: String,
    pub changes: Changes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cascade_from: Option<String>,
}

impl From<KeyEvent> for EventView {
    fn from(event: KeyEvent) -> Self {
        Self {
            id: event.id,
            key_id: event.key_id,
            kind: event.kind,
            at: event.at,
            actor_id: event.actor_id,
            actor_subject: event.actor_subject,
            changes: event.changes,
            cascade_from: event.cascade_from,
        }
    }
}

/// Body of `GET /keys/{id}/events`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventList {
    /// One page, newest first.
    pub data: Vec<EventView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// The events of a key the caller may see (404 otherwise, as `GET /keys/{id}`). `limit`
/// and `cursor` work as in `GET /keys`; a cursor is bound to the key it was issued for.
pub async fn list_key_events(
    store: &dyn EventStore,
    caller: &Caller,
    id: &str,
    get: impl Fn(&str) -> Option<String>,
    now: Millis,
) -> Result<EventList, ApiError> {
    caller.require(KEYS_READ)?;
    let limit = parse_limit(get("limit"))?;
    let cursor = get("cursor").filter(|c| !c.is_empty());
    let key = visible_key(store, caller, id).await?;
    let cursor = cursor
        .map(|c| Cursor::decode_event(&c, &key.id))
        .transpose()?;
    let page = store
        .list_events(&key.id, &EventQuery { limit, cursor, now })
        .await?;
    Ok(EventList {
        data: page.items.into_iter().map(EventView::from).collect(),
        next_cursor: page.next.map(|c| c.encode(&key.id)),
    })
}

//! A key's audit trail as `GET /keys/{id}/events` shows it.

use crate::domain::audit::{Changes, EventType, KeyEvent};
use crate::domain::cascade::CascadeOutcome;
use crate::domain::clock::Millis;
use crate::operations::Page;
use serde::{Deserialize, Serialize};

/// One event as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // docs/api-reference.md documents each field
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<CascadeOutcome>,
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
            outcome: event.outcome,
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

impl From<Page<KeyEvent>> for EventList {
    fn from(page: Page<KeyEvent>) -> Self {
        Self {
            data: page.items.into_iter().map(EventView::from).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

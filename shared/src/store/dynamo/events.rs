//! A key's audit trail: its events newest first, a page at a time.

use super::*;
use crate::audit::{KeyEvent, event_key};
use crate::store::*;

#[async_trait]
impl EventLister for DynamoStore {
    async fn list_events(&self, key_id: &str, query: &EventQuery) -> StoreResult<EventPage> {
        let mut request = self
            .client
            .query()
            .table_name(&self.tables.events)
            .expression_attribute_names("#k", "keyId")
            .expression_attribute_values(":k", s(key_id))
            .scan_index_forward(false)
            // One more than asked, to know whether another page follows.
            .limit((query.limit + 1) as i32)
            .key_condition_expression("#k = :k");
        if let Some(cursor) = &query.cursor {
            request = request
                .key_condition_expression("#k = :k AND #e < :after")
                .expression_attribute_names("#e", "eventKey")
                .expression_attribute_values(
                    ":after",
                    s(&event_key(cursor.created_at, &cursor.id)),
                );
        }
        let out = request
            .send()
            .await
            .map_err(|e| failure("Query", &self.tables.events, e))?;
        let read = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let expires_at = match item.get(EXPIRES_AT) {
                    Some(AttributeValue::N(n)) => n.parse().ok(),
                    _ => None,
                }
                // An event without its TTL attribute is kept.
                .unwrap_or(i64::MAX / 1000);
                Ok((decode::<KeyEvent>(item)?, expires_at))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(event_page(read.into_iter(), query))
    }
}

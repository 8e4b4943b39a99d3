//! A key's audit trail: its events newest first, a page at a time.

use crate::domain::audit::{KeyEvent, event_key};
use crate::store::EventLister;
use crate::store::EventPage;
use crate::store::EventQuery;
use crate::store::StoreResult;
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::EXPIRES_AT;
use crate::store::dynamo::decode;
use crate::store::dynamo::failure;
use crate::store::dynamo::s;
use crate::store::event_page;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

#[async_trait]
impl EventLister for DynamoStore {
    async fn list_events(&self, key_id: &str, query: &EventQuery) -> StoreResult<EventPage> {
        let mut request = self
            .client
            .query()
            .table_name(&self.tables.events)
            // The event of a change just made is listed.
            .consistent_read(true)
            .expression_attribute_names("#k", "keyId")
            .expression_attribute_values(":k", s(key_id))
            .scan_index_forward(false)
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
        // A query also stops at 1 MB: read on until `limit + 1` events or the end.
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = request
                .clone()
                .limit((query.limit + 1 - items.len()) as i32)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| failure("Query", &self.tables.events, e))?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() || items.len() > query.limit {
                break;
            }
        }
        let read = items
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

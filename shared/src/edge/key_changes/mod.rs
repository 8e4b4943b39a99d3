//! The keys table's one stream reader for revocation: each batch of records is classified,
//! and the changes that may make a cached authorizer decision wrong (revoke, reroll,
//! update, delete) are published as one event on the key-changes bus. Every stack whose
//! authorizer caches subscribes there and flushes its own API's cache
//! ([`cache_flush`](super::cache_flush)), so any number of APIs follow a revoke while
//! DynamoDB Streams' limit of two readers per shard is never reached.

mod bus;
mod changes;

pub use bus::{BusConfigError, EventBridgeBus};
pub use changes::{classify, key_id};

/// A batch of the keys table's stream, as Lambda delivers it.
pub use aws_lambda_events::event::dynamodb::Event as StreamEvent;

use crate::domain::error::ErrorChain;
use crate::edge::wire::key_changes::{ChangedKey, KeyChangesDetail};
use async_trait::async_trait;
use serde::Serialize;
use std::error::Error;

/// Changes per event at most: about 60 bytes each, so an event stays far below
/// EventBridge's 256 KB per entry whatever batch size the stream mapping is given.
pub const MAX_CHANGES_PER_EVENT: usize = 1000;

/// Where key changes are published.
#[async_trait]
pub trait ChangeBus: Send + Sync {
    /// Publishes one event with `detail`.
    async fn publish(&self, detail: &KeyChangesDetail) -> Result<(), PublishError>;
}

/// The bus refused the event (or could not be reached); the function returns it so
/// Lambda retries the batch (subscribers flush, which is idempotent).
#[derive(Debug, thiserror::Error)]
#[error("publishing key changes on the event bus {bus} failed")]
pub struct PublishError {
    /// The bus's name or ARN.
    pub bus: String,
    /// What EventBridge (or the connection to it) said.
    #[source]
    pub source: Box<dyn Error + Send + Sync>,
}

/// Lambda's error answer: the batch is retried.
impl From<PublishError> for lambda_runtime::Diagnostic {
    fn from(e: PublishError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "PublishFailed".to_owned(),
            error_message: ErrorChain(&e).to_string(),
        }
    }
}

/// What one batch of stream records led to; the function's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishReport {
    /// Records in the batch.
    pub records: usize,
    /// Records that may invalidate a cached decision.
    pub changes: usize,
    /// Events published (none for creations and usage writes).
    pub published: usize,
}

/// Handles a batch of the keys table's stream: the changes that need a flush, published
/// in the stream's order; nothing for creations, usage writes and cascade bookkeeping.
pub async fn on_stream_batch(
    event: &StreamEvent,
    bus: &dyn ChangeBus,
) -> Result<PublishReport, PublishError> {
    let changes: Vec<ChangedKey> = event
        .records
        .iter()
        .map(|record| (record, classify(record)))
        .filter(|(_, change)| change.needs_flush())
        .map(|(record, change)| {
            let key_id = key_id(record).map(str::to_owned);
            tracing::info!(key_id, change = change.as_str(), "key changed");
            ChangedKey { key_id, change }
        })
        .collect();
    let mut published = 0;
    for part in changes.chunks(MAX_CHANGES_PER_EVENT) {
        let detail = KeyChangesDetail {
            changes: part.to_vec(),
        };
        bus.publish(&detail).await.inspect_err(|e| {
            tracing::error!(error = %ErrorChain(e), "key changes not published; the batch will be retried");
        })?;
        published += 1;
    }
    if published > 0 {
        tracing::info!(changes = changes.len(), published, "key changes published");
    }
    Ok(PublishReport {
        records: event.records.len(),
        changes: changes.len(),
        published,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::key_change::KeyChange;

    #[derive(Default)]
    struct Recorded(std::sync::Mutex<Vec<KeyChangesDetail>>);

    #[async_trait]
    impl ChangeBus for Recorded {
        async fn publish(&self, detail: &KeyChangesDetail) -> Result<(), PublishError> {
            self.0.lock().unwrap().push(detail.clone());
            Ok(())
        }
    }

    fn batch(names: &[&str]) -> StreamEvent {
        let records: Vec<_> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                serde_json::json!({
                    "eventID": i.to_string(), "eventName": name, "awsRegion": "us-east-1",
                    "dynamodb": {"Keys": {"keyHash": {"S": "h"}},
                        "OldImage": {"id": {"S": format!("key_{i}")}}, "SizeBytes": 1}
                })
            })
            .collect();
        serde_json::from_value(serde_json::json!({ "Records": records })).unwrap()
    }

    #[tokio::test]
    async fn changes_that_need_a_flush_are_published_in_one_event() {
        let bus = Recorded::default();
        let report = on_stream_batch(&batch(&["INSERT", "REMOVE", "REMOVE"]), &bus)
            .await
            .unwrap();
        assert_eq!(
            report,
            PublishReport {
                records: 3,
                changes: 2,
                published: 1
            }
        );
        let sent = bus.0.lock().unwrap().clone();
        let ids: Vec<_> = sent[0].changes.iter().map(|c| c.key_id.clone()).collect();
        assert_eq!(ids, [Some("key_1".into()), Some("key_2".into())]);
        assert!(
            sent[0]
                .changes
                .iter()
                .all(|c| c.change == KeyChange::Removed)
        );

        let bus = Recorded::default();
        let report = on_stream_batch(&batch(&["INSERT"]), &bus).await.unwrap();
        assert_eq!(report.published, 0);
        assert!(bus.0.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_large_batch_is_split_below_the_entry_limit() {
        let bus = Recorded::default();
        let names = vec!["REMOVE"; MAX_CHANGES_PER_EVENT + 1];
        let report = on_stream_batch(&batch(&names), &bus).await.unwrap();
        assert_eq!(report.published, 2);
        let sent = bus.0.lock().unwrap().clone();
        assert_eq!(sent[0].changes.len(), MAX_CHANGES_PER_EVENT);
        assert_eq!(sent[1].changes.len(), 1);
        // Far below EventBridge's 256 KB per entry.
        let size = serde_json::to_vec(&sent[0]).unwrap().len();
        assert!(size < 128 * 1024, "{size} bytes");
    }
}

//! Instant revocation with API Gateway's authorizer cache on: the keys table's stream
//! drives a function that flushes the stage's authorizer cache whenever a key is revoked,
//! updated, rerolled or deleted, so no cached Allow outlives the change by more than the
//! stream's delay. (A direct call from manage-keys would need the API's id in the
//! function the API is built from: a template cycle.)

mod changes;
mod gateway;

pub use changes::{KeyChange, classify, key_id};
pub use gateway::{ApiGatewayStage, StageConfigError};

/// A batch of the keys table's stream, as Lambda delivers it.
pub use aws_lambda_events::event::dynamodb::Event as StreamEvent;

use crate::domain::error::ErrorChain;
use async_trait::async_trait;
use serde::Serialize;
use std::error::Error;
use std::time::Duration;

/// How long after its first flush a batch flushes again. An authorizer that read a key
/// just before it changed answers up to [`USAGE_WRITE_BOUND`] later, and API Gateway may
/// cache that answer after the first flush; the second one drops it.
///
/// [`USAGE_WRITE_BOUND`]: crate::operations::authenticate::USAGE_WRITE_BOUND
pub const SETTLE: Duration = Duration::from_secs(1);

/// `FLUSH_SETTLE_MS`, the time between the two flushes of a batch: [`SETTLE`] when unset;
/// below it, decisions in flight during the first flush may outlive the second.
pub fn settle_from_env() -> Result<Duration, SettleError> {
    match std::env::var("FLUSH_SETTLE_MS") {
        Ok(ms) if !ms.is_empty() => ms
            .parse()
            .map(Duration::from_millis)
            .map_err(|_| SettleError),
        _ => Ok(SETTLE),
    }
}

/// `FLUSH_SETTLE_MS` is not a whole number of milliseconds.
#[derive(Debug, thiserror::Error)]
#[error("FLUSH_SETTLE_MS: must be a whole number of milliseconds")]
pub struct SettleError;

/// A stage's authorizer cache.
#[async_trait]
pub trait StageCache: Send + Sync {
    /// Drops every cached authorizer decision of the stage.
    async fn flush(&self) -> Result<(), FlushError>;
}

/// The flush failed; the function returns it so Lambda retries the batch (a flush is
/// idempotent, and the stream holds the records until it succeeds or they age out).
#[derive(Debug, thiserror::Error)]
#[error("flushing the authorizer cache of stage {stage} of REST API {rest_api_id} failed")]
pub struct FlushError {
    /// The REST API.
    pub rest_api_id: String,
    /// The stage.
    pub stage: String,
    /// What API Gateway (or the connection to it) said.
    #[source]
    pub source: Box<dyn Error + Send + Sync>,
}

/// Lambda's error answer: the batch is retried.
impl From<FlushError> for lambda_runtime::Diagnostic {
    fn from(e: FlushError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "FlushFailed".to_owned(),
            error_message: ErrorChain(&e).to_string(),
        }
    }
}

/// What one batch of stream records led to; the function's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlushReport {
    /// Records in the batch.
    pub records: usize,
    /// Records that may invalidate a cached decision.
    pub changes: usize,
    /// Whether the stage's cache was flushed (twice per batch, [`SETTLE`] apart, however
    /// many changes).
    pub flushed: bool,
}

/// Handles a batch of the keys table's stream: if any record changed what the authorizer
/// would decide, a flush, and another `settle` later ([`SETTLE`] in the function) for a
/// decision that was on its way when the first one ran; none for creations and usage
/// writes.
pub async fn on_key_changes(
    event: &StreamEvent,
    cache: &dyn StageCache,
    settle: Duration,
) -> Result<FlushReport, FlushError> {
    let mut changes = 0;
    for record in &event.records {
        let change = classify(record);
        if change.needs_flush() {
            changes += 1;
            tracing::info!(
                key_id = key_id(record),
                change = change.as_str(),
                "key changed"
            );
        }
    }
    let report = FlushReport {
        records: event.records.len(),
        changes,
        flushed: changes > 0,
    };
    if report.flushed {
        flush(cache).await?;
        tokio::time::sleep(settle).await;
        flush(cache).await?;
        tracing::info!(changes, "authorizer cache flushed");
    }
    Ok(report)
}

async fn flush(cache: &dyn StageCache) -> Result<(), FlushError> {
    cache.flush().await.inspect_err(|e| {
        tracing::error!(error = %ErrorChain(e), "authorizer cache not flushed; the batch will be retried");
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::authenticate::USAGE_WRITE_BOUND;

    #[derive(Default)]
    struct Recorded(std::sync::Mutex<Vec<tokio::time::Instant>>);

    #[async_trait]
    impl StageCache for Recorded {
        async fn flush(&self) -> Result<(), FlushError> {
            self.0.lock().unwrap().push(tokio::time::Instant::now());
            Ok(())
        }
    }

    fn batch(name: &str) -> StreamEvent {
        serde_json::from_value(serde_json::json!({"Records": [{
            "eventID": "1", "eventName": name, "awsRegion": "us-east-1", "dynamodb": {
                "Keys": {"keyHash": {"S": "h"}}, "OldImage": {"id": {"S": "key_1"}},
                "SizeBytes": 1}
        }]}))
        .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_flushes_twice_settle_apart() {
        let cache = Recorded::default();
        let report = on_key_changes(&batch("REMOVE"), &cache, SETTLE)
            .await
            .unwrap();
        assert!(report.flushed);
        let at = cache.0.lock().unwrap().clone();
        assert_eq!(at.len(), 2);
        assert_eq!(at[1] - at[0], SETTLE);
        let cache = Recorded::default();
        let report = on_key_changes(&batch("INSERT"), &cache, SETTLE)
            .await
            .unwrap();
        assert!(!report.flushed);
        assert!(cache.0.lock().unwrap().is_empty());
    }

    #[test]
    fn the_second_flush_comes_after_any_decision_on_its_way() {
        // Room for the usage write, the network and API Gateway storing the answer.
        assert!(
            SETTLE >= USAGE_WRITE_BOUND * 3,
            "{SETTLE:?} vs {USAGE_WRITE_BOUND:?}"
        );
    }
}

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

use crate::error::ErrorChain;
use async_trait::async_trait;
use serde::Serialize;
use std::error::Error;

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
    /// Whether the stage's cache was flushed (once per batch, however many changes).
    pub flushed: bool,
}

/// Handles a batch of the keys table's stream: one flush if any record changed what the
/// authorizer would decide, none for creations and usage writes.
pub async fn on_key_changes(
    event: &StreamEvent,
    cache: &dyn StageCache,
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
        if let Err(e) = cache.flush().await {
            tracing::error!(error = %ErrorChain(&e), "authorizer cache not flushed; the batch will be retried");
            return Err(e);
        }
        tracing::info!(changes, "authorizer cache flushed");
    }
    Ok(report)
}

//! The continuation of cascades: the keys table's stream brings each root whose cascade a
//! request handed on (`cascadeState` `pending`, matched by the event source's filter), and
//! this walks it further until the invocation's deadline, then finishes it or hands it on
//! again, which writes the record that brings it back.

use crate::domain::clock::now_ms;
use crate::domain::error::{DomainError, ErrorChain};
use crate::domain::hashing::KeyHash;
use crate::operations::cascade;
use crate::store::CascadeStore;
use aws_lambda_events::event::dynamodb::EventRecord;
use serde::Serialize;
use std::time::{Duration, Instant};

/// A batch of the keys table's stream, as Lambda delivers it.
pub use aws_lambda_events::event::dynamodb::Event as StreamEvent;

/// Time kept back from the function's timeout for the calls in flight at the deadline (the
/// SDK gives each up after 3 s) and the handoff's write.
pub const MARGIN: Duration = Duration::from_secs(20);

/// The root key a record names (its table key), if it names one.
pub fn root_of(record: &EventRecord) -> Option<KeyHash> {
    let keys = serde_dynamo::from_item::<_, Root>(record.change.keys.clone()).ok()?;
    Some(keys.key_hash)
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Root {
    key_hash: KeyHash,
}

/// A continuation that failed; Lambda retries the batch.
#[derive(Debug, thiserror::Error)]
#[error("continuing a cascade failed")]
pub struct ContinuationError(#[source] DomainError);

/// Lambda's error answer: the batch is retried.
impl From<ContinuationError> for lambda_runtime::Diagnostic {
    fn from(e: ContinuationError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "CascadeContinuationFailed".to_owned(),
            error_message: ErrorChain(&e).to_string(),
        }
    }
}

/// What one batch led to; the function's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContinuationReport {
    /// Roots the batch named.
    pub roots: usize,
    /// Cascades that waited there and were walked on.
    pub continued: usize,
    /// Of those, the ones that finished (the others were handed on again).
    pub finished: usize,
}

/// Continues the cascade of every root in `event` until `deadline`. An error makes Lambda
/// retry the batch: a walk is idempotent, and the job stays pending until it finishes.
pub async fn on_records(
    store: &dyn CascadeStore,
    event: &StreamEvent,
    deadline: Instant,
) -> Result<ContinuationReport, ContinuationError> {
    let mut report = ContinuationReport::default();
    for root in event.records.iter().filter_map(root_of) {
        report.roots += 1;
        match cascade::resume(store, &root, now_ms(), deadline).await {
            Ok(Some(outcome)) => {
                report.continued += 1;
                report.finished += usize::from(!outcome.in_progress);
                tracing::info!(
                    revoked = outcome.revoked,
                    in_progress = outcome.in_progress,
                    "cascade continued"
                );
            }
            Ok(None) => tracing::info!("no cascade waits at this root any more"),
            Err(e) => {
                tracing::error!(error = %ErrorChain(&e), "cascade continuation failed; retried");
                return Err(ContinuationError(e));
            }
        }
    }
    Ok(report)
}

/// The deadline of an invocation whose function times out at `deadline_ms` (epoch ms).
pub fn deadline_from(deadline_ms: u64) -> Instant {
    let left = Duration::from_millis(deadline_ms.saturating_sub(now_ms().max(0) as u64));
    Instant::now() + left.saturating_sub(MARGIN)
}

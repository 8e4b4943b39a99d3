//! Instant revocation with API Gateway's authorizer cache on: each stack whose authorizer
//! caches subscribes to the key-changes bus ([`key_changes`](super::key_changes) publishes
//! there from the keys table's stream) and flushes its own API's authorizer cache on every
//! event, so no cached Allow outlives a revoke, reroll, update or delete by more than the
//! stream's and the bus's delay. (A direct call from manage-keys would need every API's id
//! in the function the APIs are built from: a template cycle.)

mod gateway;

pub use gateway::{ApiGatewayStage, StageConfigError};

use crate::domain::error::ErrorChain;
use crate::edge::wire::key_changes::KeyChangesDetail;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::error::Error;
use std::time::Duration;

/// An event of the key-changes bus, as EventBridge delivers it, in the two fields the flush
/// reads. (aws_lambda_events' `EventBridgeEvent` would bring chrono and serde_with into the
/// function for fields it never looks at.) Its `detail` is read as a [`KeyChangesDetail`]
/// for the logs and to let pass an event that names no change needing a flush; whatever
/// else it holds, the cache is flushed.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct KeyChangesEvent {
    /// The event's `detail-type` (the rule matched it).
    #[serde(default)]
    pub detail_type: String,
    /// The event's `detail`, as sent.
    #[serde(default)]
    pub detail: serde_json::Value,
}

/// How long after its first flush an event's flush is repeated. An authorizer that read a key
/// just before it changed answers up to [`USAGE_WRITE_BOUND`] later, and API Gateway may
/// cache that answer after the first flush; the second one drops it.
///
/// [`USAGE_WRITE_BOUND`]: crate::operations::authenticate::USAGE_WRITE_BOUND
pub const SETTLE: Duration = Duration::from_secs(1);

/// `FLUSH_SETTLE_MS`, the time between the two flushes of an event: [`SETTLE`] when unset;
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

/// The flush failed; the function returns it so Lambda retries the event (a flush is
/// idempotent), and keeps it in the failed-events queue once the retries are spent.
#[derive(Debug, thiserror::Error)]
#[error("flushing the authorizer cache of stage {stage} of {api} failed")]
pub struct FlushError {
    /// The API, with its kind: `REST API <id>` or `HTTP API <id>`.
    pub api: String,
    /// The stage.
    pub stage: String,
    /// What API Gateway (or the connection to it) said.
    #[source]
    pub source: Box<dyn Error + Send + Sync>,
}

/// Lambda's error answer: the event is retried.
impl From<FlushError> for lambda_runtime::Diagnostic {
    fn from(e: FlushError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "FlushFailed".to_owned(),
            error_message: ErrorChain(&e).to_string(),
        }
    }
}

/// What one event of the bus led to; the function's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlushReport {
    /// Changes the event names that may invalidate a cached decision (0 for a detail that
    /// does not parse, which is flushed all the same).
    pub changes: usize,
    /// Whether the stage's cache was flushed (twice per event, [`SETTLE`] apart, however
    /// many changes).
    pub flushed: bool,
}

/// The first wait before a failed flush is tried again; each later wait doubles, up to
/// [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// The longest wait between two tries of a flush.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Handles an event of the key-changes bus: a flush, and another `settle` later
/// ([`SETTLE`] in the function) for a decision that was on its way when the first one
/// ran. Only an event that parses and names no change needing a flush is let pass: a
/// needless flush costs cache misses, a missed one leaves a revoked key working.
///
/// A flush that fails (API Gateway throttling its management API, or unavailable) is tried
/// again with a growing wait until `deadline` (the invocation's own, less a margin), so an
/// outage of minutes delays the flush instead of dropping it; only then is the error
/// returned, for Lambda's own retries.
pub async fn on_key_changes(
    event: &KeyChangesEvent,
    cache: &dyn StageCache,
    settle: Duration,
    deadline: tokio::time::Instant,
) -> Result<FlushReport, FlushError> {
    let (changes, flushed) = match KeyChangesDetail::deserialize(&event.detail) {
        Ok(detail) => {
            let changes = detail.changes.iter().filter(|c| c.change.needs_flush());
            for changed in changes.clone() {
                tracing::info!(
                    key_id = changed.key_id,
                    change = changed.change.as_str(),
                    "key changed"
                );
            }
            let count = changes.count();
            (count, count > 0)
        }
        Err(e) => {
            tracing::warn!(error = %e, detail_type = event.detail_type, "an event of the bus that does not parse as key changes: flushing all the same");
            (0, true)
        }
    };
    if flushed {
        flush(cache, deadline).await?;
        tokio::time::sleep(settle).await;
        flush(cache, deadline).await?;
        tracing::info!(changes, "authorizer cache flushed");
    }
    Ok(FlushReport { changes, flushed })
}

/// One flush, tried again after each failure while the next try fits before `deadline`.
async fn flush(cache: &dyn StageCache, deadline: tokio::time::Instant) -> Result<(), FlushError> {
    let mut backoff = FIRST_BACKOFF;
    loop {
        match cache.flush().await {
            Ok(()) => return Ok(()),
            Err(e) if tokio::time::Instant::now() + backoff < deadline => {
                tracing::warn!(error = %ErrorChain(&e), wait_ms = backoff.as_millis() as u64, "authorizer cache not flushed; trying again");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(e) => {
                tracing::error!(error = %ErrorChain(&e), "authorizer cache not flushed; the event will be retried");
                return Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::authenticate::USAGE_WRITE_BOUND;
    use serde_json::json;

    /// No time to try a failed flush again.
    fn now() -> tokio::time::Instant {
        tokio::time::Instant::now()
    }

    #[derive(Default)]
    struct Recorded(std::sync::Mutex<Vec<tokio::time::Instant>>);

    #[async_trait]
    impl StageCache for Recorded {
        async fn flush(&self) -> Result<(), FlushError> {
            self.0.lock().unwrap().push(tokio::time::Instant::now());
            Ok(())
        }
    }

    fn event(detail: serde_json::Value) -> KeyChangesEvent {
        serde_json::from_value(serde_json::json!({
            "version": "0", "id": "e1", "detail-type": "Key changes", "source": "keyauth",
            "account": "123456789012", "time": "2026-12-07T00:00:00Z", "region": "us-east-1",
            "resources": [], "detail": detail,
        }))
        .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_flushes_twice_settle_apart() {
        let cache = Recorded::default();
        let revoked = json!({"changes": [{"keyId": "key_1", "change": "revoked"}]});
        let report = on_key_changes(&event(revoked), &cache, SETTLE, now())
            .await
            .unwrap();
        assert_eq!(
            report,
            FlushReport {
                changes: 1,
                flushed: true
            }
        );
        let at = cache.0.lock().unwrap().clone();
        assert_eq!(at.len(), 2);
        assert_eq!(at[1] - at[0], SETTLE);
        let cache = Recorded::default();
        let created = json!({"changes": [{"keyId": "key_1", "change": "created"}]});
        let report = on_key_changes(&event(created), &cache, SETTLE, now())
            .await
            .unwrap();
        assert!(!report.flushed);
        assert!(cache.0.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn an_event_that_does_not_parse_is_flushed_all_the_same() {
        for detail in [
            json!({}),
            json!({"changes": [{"change": "renamed"}]}),
            json!("text"),
        ] {
            let cache = Recorded::default();
            let report = on_key_changes(&event(detail.clone()), &cache, SETTLE, now())
                .await
                .unwrap();
            assert!(report.flushed, "{detail}");
            assert_eq!(cache.0.lock().unwrap().len(), 2, "{detail}");
        }
    }

    /// Fails its first `failures` flushes, then flushes; records when each try came.
    struct Flaky {
        failures: usize,
        tries: std::sync::Mutex<Vec<tokio::time::Instant>>,
    }

    #[async_trait]
    impl StageCache for Flaky {
        async fn flush(&self) -> Result<(), FlushError> {
            let mut tries = self.tries.lock().unwrap();
            tries.push(tokio::time::Instant::now());
            if tries.len() <= self.failures {
                return Err(FlushError {
                    api: "REST API abc123".into(),
                    stage: "prod".into(),
                    source: "throttled".into(),
                });
            }
            Ok(())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_flush_is_tried_again_until_the_deadline() {
        let revoked = || event(json!({"changes": [{"keyId": "key_1", "change": "revoked"}]}));
        let start = now();
        let deadline = start + Duration::from_secs(600);
        // An outage of four tries: 1 + 2 + 4 + 8 s of waiting, then both flushes.
        let cache = Flaky {
            failures: 4,
            tries: Default::default(),
        };
        let report = on_key_changes(&revoked(), &cache, SETTLE, deadline).await;
        assert!(report.unwrap().flushed);
        let tries = cache.tries.lock().unwrap().clone();
        assert_eq!(tries.len(), 6);
        let waits: Vec<u64> = tries.windows(2).map(|w| (w[1] - w[0]).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 1]);

        // An outage past the deadline: the error, for Lambda to retry the event; the waits
        // grow to MAX_BACKOFF and no try starts after the deadline.
        let cache = Flaky {
            failures: usize::MAX,
            tries: Default::default(),
        };
        let start = now();
        assert!(
            on_key_changes(&revoked(), &cache, SETTLE, start + Duration::from_secs(600))
                .await
                .is_err()
        );
        let tries = cache.tries.lock().unwrap().clone();
        assert!(tries.iter().all(|t| *t <= start + Duration::from_secs(600)));
        let longest = tries.windows(2).map(|w| w[1] - w[0]).max().unwrap();
        assert_eq!(longest, MAX_BACKOFF);
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

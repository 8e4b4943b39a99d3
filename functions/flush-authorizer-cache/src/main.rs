//! Lambda function on the key-changes bus: flushes its API stage's authorizer cache when a
//! key is revoked, updated, rerolled or deleted. All logic lives in `keyauth::edge::cache_flush`.

use keyauth::edge::cache_flush::{self, ApiGatewayStage, KeyChangesEvent};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use std::time::{Duration, SystemTime};

/// Time kept back from the invocation's deadline to return the error, if it comes to that.
const MARGIN: Duration = Duration::from_secs(10);

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    keyauth::edge::telemetry::init();
    let stage = ApiGatewayStage::from_env().await?;
    let settle = cache_flush::settle_from_env()?;
    let stage = &stage;
    run(service_fn(
        move |event: LambdaEvent<KeyChangesEvent>| async move {
            let left = event
                .context
                .deadline()
                .duration_since(SystemTime::now())
                .unwrap_or_default();
            let deadline = tokio::time::Instant::now() + left.saturating_sub(MARGIN);
            cache_flush::on_key_changes(&event.payload, stage, settle, deadline).await
        },
    ))
    .await
}

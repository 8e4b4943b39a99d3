//! Lambda function on the key-changes bus: flushes its API stage's authorizer cache when a
//! key is revoked, updated, rerolled or deleted. All logic lives in `keyauth::edge::cache_flush`.

use keyauth::edge::cache_flush::{self, ApiGatewayStage, KeyChangesEvent};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    keyauth::edge::telemetry::init();
    let stage = ApiGatewayStage::from_env().await?;
    let settle = cache_flush::settle_from_env()?;
    let stage = &stage;
    run(service_fn(
        move |event: LambdaEvent<KeyChangesEvent>| async move {
            cache_flush::on_key_changes(&event.payload, stage, settle).await
        },
    ))
    .await
}

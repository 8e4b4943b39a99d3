//! Lambda function on the keys table's stream: publishes each batch's revokes, rerolls,
//! updates and deletes on the key-changes bus, where every stack whose authorizer caches
//! flushes its own API. All logic lives in `keyauth::edge::key_changes`.

use keyauth::edge::key_changes::{self, EventBridgeBus, StreamEvent};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    keyauth::edge::telemetry::init();
    let bus = EventBridgeBus::from_env().await?;
    let bus = &bus;
    run(service_fn(
        move |event: LambdaEvent<StreamEvent>| async move {
            key_changes::on_stream_batch(&event.payload, bus).await
        },
    ))
    .await
}

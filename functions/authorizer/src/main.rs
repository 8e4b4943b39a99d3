//! Lambda REQUEST authorizer for `x-api-key`. All logic lives in `keyauth::authorizer`.

use keyauth::authorizer;
use keyauth::clock::now_ms;
use keyauth::config::Config;
use keyauth::store::dynamo::DynamoStore;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    keyauth::telemetry::init();
    let config = Config::from_env()?;
    // Built once per cold start; the first call opens the connection.
    let store = DynamoStore::from_env(config.tables.clone()).await;
    let (store, prefix) = (&store, &config.key_prefix);
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        authorizer::handle(store, prefix, event.payload, now_ms()).await
    }))
    .await
}

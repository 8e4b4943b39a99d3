//! Lambda function for `POST /products`, the sample protected endpoint.

use keyauth::config::Config;
use keyauth::handlers;
use keyauth::store::dynamo::DynamoStore;
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    keyauth::telemetry::init();
    let config = Config::from_env()?;
    let store = DynamoStore::from_env(config.tables.clone()).await;
    let store = &store;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(handlers::create_product(store, req).await)
    }))
    .await
}

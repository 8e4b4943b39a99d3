//! Lambda function for the `manage-keys` routes. All logic lives in `keyauth::edge::handlers`.

use keyauth::edge::handlers;
use keyauth::store::dynamo::WarmUpTable;
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let (config, store) = keyauth::edge::startup::init(WarmUpTable::Keys).await?;
    let (store, config) = (&store, &config);
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(handlers::manage_keys(store, config, req).await)
    }))
    .await
}

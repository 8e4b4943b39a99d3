//! Lambda REQUEST authorizer for `x-api-key`. All logic lives in `keyauth::edge::authorizer`.

use keyauth::domain::clock::now_ms;
use keyauth::edge::authorizer::{self, AuthorizerRequest, AuthorizerSettings};
use keyauth::store::dynamo::WarmUpTable;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let (config, store) = keyauth::edge::startup::init(WarmUpTable::Keys).await?;
    // A routes document that cannot be read or used fails the init: the authorizer never runs.
    let settings = AuthorizerSettings::load(&config).await?;
    let (store, settings) = (&store, &settings);
    // The runtime decodes each event straight into what the authorizer reads.
    run(service_fn(
        move |event: LambdaEvent<AuthorizerRequest>| async move {
            authorizer::authorize(store, settings, &event.payload, now_ms()).await
        },
    ))
    .await
}

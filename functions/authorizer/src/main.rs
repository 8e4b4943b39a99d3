//! Lambda REQUEST authorizer for `x-api-key`. All logic lives in `keyauth::edge::authorizer`.

use keyauth::domain::clock::now_ms;
use keyauth::edge::authorizer::{self, AuthorizerRequest, AuthorizerSettings};
use keyauth::edge::startup;
use keyauth::store::dynamo::WarmUpTable;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let config = startup::configure()?;
    // DynamoDB's first connection and a routes document's read from S3 wait on the network
    // side by side. A document that cannot be read or used fails the init: the authorizer
    // never runs.
    let (store, settings) = tokio::join!(
        startup::connect(&config, WarmUpTable::Keys),
        AuthorizerSettings::load(&config)
    );
    let settings = settings?;
    let (store, settings) = (&store, &settings);
    // The runtime decodes each event straight into what the authorizer reads.
    run(service_fn(
        move |event: LambdaEvent<AuthorizerRequest>| async move {
            authorizer::authorize(store, settings, &event.payload, now_ms()).await
        },
    ))
    .await
}

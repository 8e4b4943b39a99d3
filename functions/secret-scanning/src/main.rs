//! Lambda function for `POST /secret-scanning/github`, GitHub's secret-scanning partner
//! endpoint (no authorizer: the report's signature is checked instead). All logic lives in
//! `keyauth::edge::leaks`.

use keyauth::edge::leaks::{self, SigningKeys};
use keyauth::store::dynamo::WarmUpTable;
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let (config, store) = keyauth::edge::startup::init(WarmUpTable::Keys).await?;
    let keys = SigningKeys::from_env()?;
    let (store, config, keys) = (&store, &config, &keys);
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(leaks::report_leaks(store, config, keys, req).await)
    }))
    .await
}

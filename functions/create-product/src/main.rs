//! Lambda function for `POST /products`, the sample protected endpoint.

use keyauth::edge::handlers;
use keyauth::store::dynamo::WarmUpTable;
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let (_, store) = keyauth::edge::startup::init(WarmUpTable::Products).await?;
    let store = &store;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(handlers::create_product(store, req).await)
    }))
    .await
}

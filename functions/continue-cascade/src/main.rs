//! Lambda function on the keys table's stream: continues each cascade revoke a request
//! handed on. All logic lives in `keyauth::edge::cascade_worker`.

use keyauth::edge::cascade_worker::{self, StreamEvent};
use keyauth::store::dynamo::WarmUpTable;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let (_, store) = keyauth::edge::startup::init(WarmUpTable::Keys).await?;
    let store = &store;
    run(service_fn(
        move |event: LambdaEvent<StreamEvent>| async move {
            let deadline = cascade_worker::deadline_from(event.context.deadline);
            cascade_worker::on_records(store, &event.payload, deadline).await
        },
    ))
    .await
}

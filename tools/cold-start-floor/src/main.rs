//! The cold-start floor: a `lambda_runtime` function that answers `{"ok":true}` to any
//! event, built with the workspace's release profile. `scripts/measure-cold-start` sets
//! every function's figures beside this one's, measured in the same run.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|_: LambdaEvent<Value>| async {
        Ok::<_, Error>(json!({"ok": true}))
    }))
    .await
}

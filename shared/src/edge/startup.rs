//! What every function does once, in Lambda's init phase (a full CPU, before the 128 MB
//! cap applies): logging, configuration, the DynamoDB client, and opening its connection.

use crate::edge::config::{Config, ConfigError};
use crate::store::dynamo::{DynamoStore, WarmUpTable};

/// Logging, configuration and a connected store, for a function that reads `table`.
pub async fn init(table: WarmUpTable) -> Result<(Config, DynamoStore), ConfigError> {
    crate::edge::telemetry::init();
    let config = Config::from_env()?;
    let store = DynamoStore::for_lambda(config.tables.clone())
        .await
        .with_retention(config.audit_retention);
    if config.init_warm_up {
        store.warm_up(table).await;
    }
    Ok((config, store))
}

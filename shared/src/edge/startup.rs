//! What every function does once, in Lambda's init phase (a full CPU, before the 128 MB
//! cap applies): logging, configuration, the DynamoDB client, and opening its connection.

use crate::edge::config::{Config, ConfigError};
use crate::store::dynamo::{DynamoStore, WarmUpTable};

/// Logging, configuration and a connected store, for a function that reads `table`.
pub async fn init(table: WarmUpTable) -> Result<(Config, DynamoStore), ConfigError> {
    let config = configure()?;
    let store = connect(&config, table).await;
    Ok((config, store))
}

/// Logging and configuration, for a function with more to do in its init than connect.
pub fn configure() -> Result<Config, ConfigError> {
    crate::edge::telemetry::init();
    Config::from_env()
}

/// The store `config` names, its connection opened (unless `INIT_WARM_UP=off`) by a read
/// of `table`.
pub async fn connect(config: &Config, table: WarmUpTable) -> DynamoStore {
    let store = DynamoStore::for_lambda(config.tables.clone())
        .await
        .with_retention(config.audit_retention);
    if config.init_warm_up {
        store.warm_up(table).await;
    }
    store
}

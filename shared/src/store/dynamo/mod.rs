//! The DynamoDB store. Items are mapped with serde_dynamo; every call is bounded by the
//! SDK timeouts set in [`sdk_config`], so a dead endpoint is an error, not a hang.
//! A file per capability: `reads` (by hash, by id), `listing` (a subject's keys, a key's
//! children), `writes` (create, update, reroll, revoke, usage, products), `transactions`
//! (a change and its audit event, together), `events` (a key's audit trail), `usage`
//! (credit balances and rate-limit windows), `cascades` (a cascade's job on its root key).

use crate::store::KeyHash;
use crate::store::Millis;
use crate::store::StoreError;
use crate::store::StoreResult;
mod cascades;
mod events;
mod listing;
mod reads;
mod transactions;
mod usage;
mod writes;

use crate::domain::audit::Retention;
use crate::domain::error::ErrorChain;
pub use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_item};
use std::collections::HashMap;
use std::time::Duration;

pub use super::sdk::{https_client_trusting, lambda_sdk_config, sdk_config};

/// The DynamoDB tables of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    /// Keys, by hash.
    pub keys: String,
    /// Audit events, by key id and time.
    pub events: String,
    /// Products of the sample endpoint.
    pub products: String,
    /// Usage counters of keys with limits: credit balances and rate-limit windows.
    pub usage: String,
}

/// The index that finds a key by its public id.
pub const ID_INDEX: &str = "id-index";
/// The only attributes a usage write touches; `template.yaml` limits the authorizer's and
/// verify's `UpdateItem` to exactly these (a test holds the two together).
pub const TOUCH_ATTRIBUTES: [&str; 2] = ["keyHash", "lastUsedAt"];
/// The only attributes revoke touches; the template limits manage-keys' `UpdateItem` to them.
pub const REVOKE_ATTRIBUTES: [&str; 5] = [
    "keyHash",
    "revoked",
    "revokedAt",
    "updatedAt",
    "revocationReason",
];
/// The fields update may change (with `updatedAt`); with [`REVOKE_ATTRIBUTES`] and
/// [`REROLL_ATTRIBUTES`], everything the template lets manage-keys' `UpdateItem` touch (a
/// test holds them together).
pub const UPDATE_ATTRIBUTES: [&str; 7] = [
    "name",
    "description",
    "scopes",
    "claims",
    "expiration",
    "ratelimit",
    "credits",
];
/// The attributes reroll changes on the old key.
pub const REROLL_ATTRIBUTES: [&str; 4] = ["keyHash", "updatedAt", "expiration", "rerolledTo"];
/// The attributes a cascade's job is kept in on its root key's item: its id, its state
/// (which the continuation's stream filter matches) and the job as JSON. The key's own
/// attributes are never touched by it.
pub const CASCADE_ATTRIBUTES: [&str; 4] = ["keyHash", "cascadeId", "cascadeState", "cascadeJob"];
/// The events table's TTL attribute: when DynamoDB may delete an event, in epoch seconds.
pub const EXPIRES_AT: &str = "expiresAt";
/// The index that lists a subject's keys by `createdAt`.
pub const SUBJECT_INDEX: &str = "subject-createdAt-index";
/// The index that finds the keys a key created (`createdBy`), for cascading revokes.
pub const CREATOR_INDEX: &str = "createdBy-createdAt-index";

type Item = HashMap<String, AttributeValue>;

/// The most the connection warm-up may add to a cold start.
const WARM_UP_TIMEOUT: Duration = Duration::from_millis(1500);

/// The table a function opens its connection with: one its role may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarmUpTable {
    /// The keys table (authorizer, manage-keys, verify-key).
    Keys,
    /// The products table (create-product).
    Products,
}

/// Keys and products in DynamoDB tables.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    tables: TableNames,
    retention: Retention,
}

impl DynamoStore {
    /// A store on these tables through this client, keeping events the default time.
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self {
            client,
            tables,
            retention: Retention::default(),
        }
    }

    /// The same store keeping audit events for `retention`.
    pub fn with_retention(self, retention: Retention) -> Self {
        Self { retention, ..self }
    }

    /// Builds the client once, in `main`, from the SDK's default chains (the tools).
    /// Makes no network call.
    pub async fn from_env(tables: TableNames) -> Self {
        Self::new(Client::new(&sdk_config().await), tables)
    }

    /// Builds the client once, in a function's init, from the environment Lambda sets.
    /// Makes no network call.
    pub async fn for_lambda(tables: TableNames) -> Self {
        Self::new(Client::new(&lambda_sdk_config().await), tables)
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The tables.
    pub fn tables(&self) -> &TableNames {
        &self.tables
    }

    /// Opens and checks the connection during init, while Lambda gives the process a full
    /// CPU: one GetItem of an item that cannot exist, bounded by `WARM_UP_TIMEOUT` (1.5 s).
    /// On a 128 MB function the TLS handshake costs most of a second of its capped CPU when
    /// the first request pays it. A failure is logged and ignored: the first request
    /// connects.
    pub async fn warm_up(&self, table: WarmUpTable) {
        let (table, key) = match table {
            WarmUpTable::Keys => (&self.tables.keys, "keyHash"),
            WarmUpTable::Products => (&self.tables.products, "id"),
        };
        let started = std::time::Instant::now();
        let read = self
            .client
            .get_item()
            .table_name(table)
            .key(key, s("warm-up"))
            .send();
        match tokio::time::timeout(WARM_UP_TIMEOUT, read).await {
            Ok(Ok(_)) => tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "connection warmed up"
            ),
            Ok(Err(e)) => tracing::warn!(
                error = %ErrorChain(&failure("GetItem", table, e)),
                "connection warm-up failed; the first request connects"
            ),
            Err(_) => tracing::warn!("connection warm-up timed out; the first request connects"),
        }
    }

    fn hash_key(hash: &KeyHash) -> Item {
        HashMap::from([("keyHash".to_owned(), s(hash.as_str()))])
    }
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: Millis) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// DynamoDB's error codes for "not now": throttling and failures on its side.
const TRANSIENT: [&str; 6] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

/// A failed call, with the SDK's error kept as its source; a missing table and a failure
/// for now (throttled, 5xx, timeout, connection, cut-off answer) are their own kinds.
pub(crate) fn failure<E>(
    operation: &'static str,
    table: &str,
    e: SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = e.as_service_error().and_then(|se| se.code());
    let server_side = e
        .raw_response()
        .is_some_and(|r| r.status().is_server_error());
    let transient = match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(_) => server_side || code.is_some_and(|c| TRANSIENT.contains(&c)),
        _ => false,
    };
    if code == Some("ResourceNotFoundException") {
        StoreError::TableNotFound {
            table: table.to_owned(),
            source: Box::new(e),
        }
    } else if transient {
        StoreError::Unavailable {
            operation,
            source: Box::new(e),
        }
    } else {
        StoreError::Backend {
            operation,
            source: Box::new(e),
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(item: Item) -> StoreResult<T> {
    from_item(item).map_err(|e| StoreError::Corrupt(Box::new(e)))
}

fn encode<T: serde::Serialize>(value: &T) -> StoreResult<Item> {
    to_item(value).map_err(|e| StoreError::Corrupt(Box::new(e)))
}

impl DynamoStore {
    /// Writes `item` unless an item with the same `key_attribute` exists: never overwrites.
    async fn put_if_absent(&self, table: &str, item: Item, key_attribute: &str) -> StoreResult<()> {
        let result = self
            .client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", key_attribute)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::AlreadyExists),
            Err(e) => Err(failure("PutItem", table, e)),
        }
    }
}

fn is_condition_failure<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|se| se.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

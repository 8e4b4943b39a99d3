//! The DynamoDB store. Items are mapped with serde_dynamo; every call is bounded by the
//! SDK timeouts set in [`sdk_config`], so a dead endpoint is an error, not a hang.

use super::*;
use crate::config::TableNames;
use crate::error::ErrorChain;
pub use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_item};
use std::collections::HashMap;
use std::time::Duration;

pub use super::sdk::{https_client_trusting, lambda_sdk_config, sdk_config};

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
/// The index that lists a subject's keys by `createdAt`.
pub const SUBJECT_INDEX: &str = "subject-createdAt-index";
/// The index that finds the keys a key created (`createdBy`), for cascading revokes.
pub const CREATOR_INDEX: &str = "createdBy-createdAt-index";
/// Index pages read for one listing call at most, so a subject with thousands of
/// filtered-out keys cannot make one request scan them all; the cursor resumes.
const MAX_PAGES_PER_LIST: usize = 10;

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
}

impl DynamoStore {
    /// A store on these tables through this client.
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, tables }
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
    /// CPU: one GetItem of an item that cannot exist, bounded by [`WARM_UP_TIMEOUT`]. On a
    /// 128 MB function the TLS handshake costs most of a second of its capped CPU when the
    /// first request pays it. A failure is logged and ignored: the first request connects.
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

    /// Turns a cursor back into the index's `ExclusiveStartKey`, refusing any cursor
    /// that does not name a key of this subject at that position.
    async fn start_key(&self, subject: &str, cursor: &Cursor) -> StoreResult<Item> {
        let key = self
            .get_by_id(&cursor.id)
            .await?
            .filter(|k| k.subject == subject && k.created_at == cursor.created_at)
            .ok_or(StoreError::InvalidCursor)?;
        Ok(HashMap::from([
            ("keyHash".to_owned(), s(key.key_hash.as_str())),
            ("subject".to_owned(), s(&key.subject)),
            ("createdAt".to_owned(), n(key.created_at)),
        ]))
    }
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: Millis) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A failed call, with the SDK's error kept as its source; a missing table is its own kind.
pub(crate) fn failure<E, R>(operation: &'static str, table: &str, e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = e.as_service_error().and_then(|se| se.code());
    if code == Some("ResourceNotFoundException") {
        StoreError::TableNotFound {
            table: table.to_owned(),
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

#[async_trait]
impl KeyWriter for DynamoStore {
    async fn put_new(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        self.put_if_absent(&self.tables.keys, encode(key)?, "keyHash")
            .await
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

#[async_trait]
impl KeyReader for DynamoStore {
    async fn get_by_hash(&self, hash: &KeyHash) -> StoreResult<Option<ApiKeyRecord>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.keys)
            .set_key(Some(Self::hash_key(hash)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| failure("GetItem", &self.tables.keys, e))?;
        out.item.map(decode).transpose()
    }

    async fn get_by_id(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.keys)
            .index_name(ID_INDEX)
            .key_condition_expression("#id = :id")
            .expression_attribute_names("#id", "id")
            .expression_attribute_values(":id", s(id))
            .limit(1)
            .send()
            .await
            .map_err(|e| failure("Query", &self.tables.keys, e))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(decode)
            .transpose()
    }
}

#[async_trait]
impl KeyLister for DynamoStore {
    async fn list_by_subject(&self, subject: &str, query: &ListQuery) -> StoreResult<KeyPage> {
        let mut start = match &query.cursor {
            Some(cursor) => Some(self.start_key(subject, cursor).await?),
            None => None,
        };
        // One more than asked, so a full page usually knows whether anything follows.
        let page_size = (query.limit + 1).min(MAX_PAGE_SIZE) as i32;
        let mut collector = PageCollector::new(query);
        for _ in 0..MAX_PAGES_PER_LIST {
            let out = self
                .client
                .query()
                .table_name(&self.tables.keys)
                .index_name(SUBJECT_INDEX)
                .key_condition_expression("#s = :s")
                .expression_attribute_names("#s", "subject")
                .expression_attribute_values(":s", s(subject))
                .scan_index_forward(false)
                .limit(page_size)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| failure("Query", &self.tables.keys, e))?;
            let more_pages = out.last_evaluated_key.is_some();
            let mut items = out.items.unwrap_or_default().into_iter().peekable();
            while let Some(item) = items.next() {
                if collector.offer(decode(item)?) {
                    return Ok(collector.finish(items.peek().is_some() || more_pages));
                }
            }
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(collector.finish(false)),
            }
        }
        // Page budget spent: return what was found; the cursor resumes after the last key read.
        Ok(collector.finish(true))
    }

    async fn children_of(&self, creator: &str, at_most: usize) -> StoreResult<Vec<ApiKeyRecord>> {
        let mut children = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.tables.keys)
                .index_name(CREATOR_INDEX)
                .key_condition_expression("#c = :c")
                .expression_attribute_names("#c", "createdBy")
                .expression_attribute_values(":c", s(creator))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| failure("Query", &self.tables.keys, e))?;
            for item in out.items.unwrap_or_default() {
                children.push(decode(item)?);
                if children.len() > at_most {
                    return Ok(children);
                }
            }
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(children),
            }
        }
    }
}

#[async_trait]
impl KeyRevoker for DynamoStore {
    async fn revoke(
        &self,
        hash: &KeyHash,
        reason: Option<&str>,
        now: Millis,
    ) -> StoreResult<ApiKeyRecord> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.keys)
            .set_key(Some(Self::hash_key(hash)))
            // Items written without `revoked` (imports) count as not revoked.
            .condition_expression(
                "attribute_exists(#h) AND (attribute_not_exists(#r) OR #r = :false)",
            )
            .expression_attribute_names("#h", REVOKE_ATTRIBUTES[0])
            .expression_attribute_names("#r", REVOKE_ATTRIBUTES[1])
            .expression_attribute_names("#ra", REVOKE_ATTRIBUTES[2])
            .expression_attribute_names("#u", REVOKE_ATTRIBUTES[3])
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew);
        update = match reason {
            Some(reason) => update
                .update_expression("SET #r = :true, #ra = :now, #u = :now, #rr = :reason")
                .expression_attribute_names("#rr", REVOKE_ATTRIBUTES[4])
                .expression_attribute_values(":reason", s(reason)),
            None => update.update_expression("SET #r = :true, #ra = :now, #u = :now"),
        };
        match update.send().await {
            Ok(out) => decode(out.attributes.unwrap_or_default()),
            // Already revoked (keep the first time and reason) or absent.
            Err(e) if is_condition_failure(&e) => match self.get_by_hash(hash).await? {
                Some(key) if key.revoked => Ok(key),
                Some(_) => Err(StoreError::Backend {
                    operation: "UpdateItem",
                    source: "revoke's condition failed on a key that is not revoked".into(),
                }),
                None => Err(StoreError::NotFound),
            },
            Err(e) => Err(failure("UpdateItem", &self.tables.keys, e)),
        }
    }
}

#[async_trait]
impl UsageRecorder for DynamoStore {
    async fn touch_last_used(
        &self,
        hash: &KeyHash,
        now: Millis,
        min_interval_ms: Millis,
    ) -> StoreResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.keys)
            .set_key(Some(Self::hash_key(hash)))
            .update_expression("SET #l = :now")
            .condition_expression(
                "attribute_exists(#h) AND (attribute_not_exists(#l) OR #l <= :threshold)",
            )
            .expression_attribute_names("#h", TOUCH_ATTRIBUTES[0])
            .expression_attribute_names("#l", TOUCH_ATTRIBUTES[1])
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":threshold", n(now - min_interval_ms))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(failure("UpdateItem", &self.tables.keys, e)),
        }
    }
}

#[async_trait]
impl ProductWriter for DynamoStore {
    async fn put_product(&self, product: &Product) -> StoreResult<()> {
        self.put_if_absent(&self.tables.products, encode(product)?, "id")
            .await
    }
}

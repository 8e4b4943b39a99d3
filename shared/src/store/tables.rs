//! Creates the tables the way `template.yaml` declares them, for local DynamoDB
//! endpoints (tests, the local server, the admin CLI's `init-tables`).

use super::dynamo::{ID_INDEX, SUBJECT_INDEX};
use crate::config::TableNames;
use crate::error::StoreError;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, TableStatus,
};
use std::time::Duration;

const READY_WAIT: Duration = Duration::from_secs(30);

/// Creates whichever of the two tables is missing and waits until both are usable.
pub async fn ensure_tables(client: &Client, tables: &TableNames) -> Result<(), StoreError> {
    if !exists(client, &tables.keys).await? {
        create_keys_table(client, &tables.keys).await?;
    }
    if !exists(client, &tables.products).await? {
        create_products_table(client, &tables.products).await?;
    }
    wait_ready(client, &tables.keys).await?;
    wait_ready(client, &tables.products).await
}

async fn exists(client: &Client, table: &str) -> Result<bool, StoreError> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_resource_not_found_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(StoreError::Backend(DisplayErrorContext(e).to_string())),
    }
}

fn attr(name: &str, kind: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .expect("name and type are set")
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("name and type are set")
}

fn index(name: &str, keys: Vec<KeySchemaElement>) -> GlobalSecondaryIndex {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .set_key_schema(Some(keys))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .expect("name and keys are set")
}

async fn create_keys_table(client: &Client, table: &str) -> Result<(), StoreError> {
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("keyHash", ScalarAttributeType::S))
        .attribute_definitions(attr("id", ScalarAttributeType::S))
        .attribute_definitions(attr("subject", ScalarAttributeType::S))
        .attribute_definitions(attr("createdAt", ScalarAttributeType::N))
        .key_schema(key("keyHash", KeyType::Hash))
        .global_secondary_indexes(index(ID_INDEX, vec![key("id", KeyType::Hash)]))
        .global_secondary_indexes(index(
            SUBJECT_INDEX,
            vec![
                key("subject", KeyType::Hash),
                key("createdAt", KeyType::Range),
            ],
        ))
        .send()
        .await
        .map(|_| ())
        .or_else(ignore_already_exists)
}

async fn create_products_table(client: &Client, table: &str) -> Result<(), StoreError> {
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("id", ScalarAttributeType::S))
        .key_schema(key("id", KeyType::Hash))
        .send()
        .await
        .map(|_| ())
        .or_else(ignore_already_exists)
}

/// Another process may have created the table between our check and our create.
fn ignore_already_exists<E, R>(e: aws_sdk_dynamodb::error::SdkError<E, R>) -> Result<(), StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if e.as_service_error().and_then(|se| se.code()) == Some("ResourceInUseException") {
        Ok(())
    } else {
        Err(StoreError::Backend(DisplayErrorContext(e).to_string()))
    }
}

/// Tables (and their indexes) are created asynchronously; wait until they are ACTIVE.
async fn wait_ready(client: &Client, table: &str) -> Result<(), StoreError> {
    let deadline = tokio::time::Instant::now() + READY_WAIT;
    loop {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| StoreError::Backend(DisplayErrorContext(e).to_string()))?;
        let ready = out.table().is_some_and(|t| {
            t.table_status() == Some(&TableStatus::Active)
                && t.global_secondary_indexes()
                    .iter()
                    .all(|i| i.index_status() == Some(&IndexStatus::Active))
        });
        if ready {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(StoreError::Backend(format!(
                "table {table} did not become ACTIVE"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

//! Creates the tables the way `template.yaml` declares them, for local DynamoDB
//! endpoints (tests, the local server, the admin CLI's `init-tables`). A test holds the
//! two schemas together.

use super::dynamo::{CREATOR_INDEX, ID_INDEX, SUBJECT_INDEX, TableNames, failure};
use crate::store::error::StoreError;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, TableStatus,
};
use std::time::Duration;

const READY_WAIT: Duration = Duration::from_secs(30);

/// A key attribute: its name and type.
type Attribute = (&'static str, ScalarAttributeType);

/// A global secondary index with every attribute projected.
struct Index {
    name: &'static str,
    hash: Attribute,
    range: Option<Attribute>,
}

/// A table with on-demand billing.
struct TableSpec<'a> {
    name: &'a str,
    hash: Attribute,
    range: Option<Attribute>,
    indexes: Vec<Index>,
}

fn schemas(tables: &TableNames) -> [TableSpec<'_>; 4] {
    use ScalarAttributeType::{N, S};
    [
        TableSpec {
            name: &tables.keys,
            hash: ("keyHash", S),
            range: None,
            indexes: vec![
                Index {
                    name: ID_INDEX,
                    hash: ("id", S),
                    range: None,
                },
                Index {
                    name: SUBJECT_INDEX,
                    hash: ("subject", S),
                    range: Some(("createdAt", N)),
                },
                Index {
                    name: CREATOR_INDEX,
                    hash: ("createdBy", S),
                    range: Some(("createdAt", N)),
                },
            ],
        },
        // Local endpoints do not expire items: listings skip events past `expiresAt`.
        TableSpec {
            name: &tables.events,
            hash: ("keyId", S),
            range: Some(("eventKey", S)),
            indexes: vec![],
        },
        TableSpec {
            name: &tables.products,
            hash: ("id", S),
            range: None,
            indexes: vec![],
        },
        // Local endpoints do not expire items: a window's counter is named by its start.
        TableSpec {
            name: &tables.usage,
            hash: ("id", S),
            range: None,
            indexes: vec![],
        },
    ]
}

/// Creates whichever of the tables is missing and waits until all are usable.
pub async fn ensure_tables(client: &Client, tables: &TableNames) -> Result<(), StoreError> {
    let schemas = schemas(tables);
    for spec in &schemas {
        if !exists(client, spec.name).await? {
            create(client, spec).await?;
        }
    }
    for spec in &schemas {
        wait_ready(client, spec.name).await?;
    }
    Ok(())
}

async fn exists(client: &Client, table: &str) -> Result<bool, StoreError> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => Ok(true),
        Err(e) => match failure("DescribeTable", table, e) {
            StoreError::TableNotFound { .. } => Ok(false),
            other => Err(other),
        },
    }
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("name and type are set")
}

fn key_schema(hash: &Attribute, range: Option<&Attribute>) -> Vec<KeySchemaElement> {
    std::iter::once(key(hash.0, KeyType::Hash))
        .chain(range.map(|r| key(r.0, KeyType::Range)))
        .collect()
}

async fn create(client: &Client, spec: &TableSpec<'_>) -> Result<(), StoreError> {
    let mut attributes: Vec<&Attribute> = std::iter::once(&spec.hash).chain(&spec.range).collect();
    for index in &spec.indexes {
        attributes.extend(std::iter::once(&index.hash).chain(index.range.as_ref()));
    }
    let mut definitions: Vec<AttributeDefinition> = Vec::new();
    for (name, kind) in attributes {
        if !definitions.iter().any(|d| d.attribute_name() == *name) {
            definitions.push(
                AttributeDefinition::builder()
                    .attribute_name(*name)
                    .attribute_type(kind.clone())
                    .build()
                    .expect("name and type are set"),
            );
        }
    }
    let indexes: Vec<GlobalSecondaryIndex> = spec
        .indexes
        .iter()
        .map(|index| {
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .set_key_schema(Some(key_schema(&index.hash, index.range.as_ref())))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .expect("name and keys are set")
        })
        .collect();
    let result = client
        .create_table()
        .table_name(spec.name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(definitions))
        .set_key_schema(Some(key_schema(&spec.hash, spec.range.as_ref())))
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        // Another process created it between our check and our create.
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_resource_in_use_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(failure("CreateTable", spec.name, e)),
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
            .map_err(|e| failure("DescribeTable", table, e))?;
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
            return Err(StoreError::Backend {
                operation: "CreateTable",
                source: format!("table {table} did not become ACTIVE in {READY_WAIT:?}").into(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

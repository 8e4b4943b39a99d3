//! One contract, every store: each case runs against the in-memory store and against two
//! real DynamoDB APIs started by `scripts/test`: dynalite (`AWS_ENDPOINT_URL_DYNAMODB`)
//! and moto's server, which has transactions (`DYNAMODB_TRANSACTIONS_ENDPOINT`). The
//! DynamoDB halves are `#[ignore]`d for a bare `cargo test`; the test script runs them
//! with `--include-ignored`.

mod keys;
mod listing;
#[path = "../support/mod.rs"]
mod support;

use keyauth::error::StoreError;
use keyauth::store::dynamo::DynamoStore;
use keyauth::store::memory::MemoryStore;
use keyauth::store::*;
use keys::*;
use listing::*;
use std::time::Duration;
use support::{dynamo_store, record, transactional_dynamo_store};

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(&super::MemoryStore::new()).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test]
                #[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
                async fn $case() {
                    super::$case(&super::dynamo_store().await).await;
                }
            )*
        }
        mod moto {
            $(
                #[tokio::test]
                #[ignore = "needs moto's DynamoDB server; scripts/test provides one"]
                async fn $case() {
                    super::$case(&super::transactional_dynamo_store().await).await;
                }
            )*
        }
    };
}

contract!(
    put_then_read_back,
    duplicate_hash_never_overwrites,
    revoke_twice_keeps_the_first,
    revoke_without_reason,
    update_is_conditional,
    touch_last_used_is_throttled,
    pagination_has_no_gaps_or_duplicates,
    filtered_pages_end_without_a_stale_cursor,
    listing_is_per_subject_and_filtered,
    foreign_or_forged_cursors_are_refused,
    children_are_found_by_creator,
    products_are_stored_once,
);

/// With nothing listening, calls fail within the SDK timeouts instead of hanging.
#[tokio::test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
async fn dynamodb_down_is_an_error_not_a_hang() {
    let store = support::dead_dynamo_store().await;
    let key = record("user_a", "x", 1);
    let started = std::time::Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(30), store.get_by_hash(&key.key_hash))
        .await
        .expect("the SDK timeouts end the call");
    assert!(
        matches!(result, Err(StoreError::Backend { .. })),
        "{result:?}"
    );
    let put = store.put_new(&key).await;
    assert!(matches!(put, Err(StoreError::Backend { .. })), "{put:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// Items written by other tools (imports) may lack `revoked`; revoke must still revoke them.
#[tokio::test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
async fn dynamodb_revokes_items_without_a_revoked_attribute() {
    let store = support::dynamo_store().await;
    let key = record("user_i", "imported", 1_000);
    let mut item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
        serde_dynamo::aws_sdk_dynamodb_1::to_item(&key).unwrap();
    item.remove("revoked");
    store
        .client()
        .put_item()
        .table_name(&store.tables().keys)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    let revoked = store
        .revoke(&key.key_hash, Some("imported key leaked"), 2_000)
        .await
        .unwrap();
    assert!(revoked.revoked);
    assert_eq!(revoked.revoked_at, Some(2_000));
    assert!(
        store
            .get_by_hash(&key.key_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
}

/// A table that does not exist is its own error, with the SDK's error as its cause.
#[tokio::test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
async fn dynamodb_missing_table_is_its_own_error() {
    let store = support::dynamo_store().await;
    let mut tables = store.tables().clone();
    tables.keys = format!("{}-missing", tables.keys);
    let store = DynamoStore::new(store.client().clone(), tables);
    let err = store
        .get_by_hash(&record("user_m", "x", 1).key_hash)
        .await
        .unwrap_err();
    let StoreError::TableNotFound { table, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(table.ends_with("-missing"), "{table}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the SDK error is kept as the cause"
    );
}

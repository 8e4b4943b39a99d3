//! One contract, every store: each case runs against the in-memory store and against
//! moto's DynamoDB server (`AWS_ENDPOINT_URL_DYNAMODB` under `scripts/test`), which has
//! the transactions every change needs; the read path also runs on dynalite
//! (`DYNALITE_ENDPOINT`). The DynamoDB halves are `#[ignore]`d for a bare `cargo test`;
//! the test script runs them with `--include-ignored`.

mod events;
mod keys;
mod listing;
#[path = "../support/mod.rs"]
#[macro_use]
mod support;
mod usage;

use events::*;
use keyauth::domain::audit::{EventType, KeyEvent};
use keyauth::domain::key::ApiKeyRecord;
use keyauth::store::dynamo::DynamoStore;
use keyauth::store::error::StoreError;
use keyauth::store::memory::MemoryStore;
use keyauth::store::*;
use keys::*;
use listing::*;
use std::time::Duration;
use support::{created_event, dynalite_store, dynamo_store, event_of, record};
use usage::*;

/// Stores a key with its `created` event.
pub async fn put(store: &dyn Store, key: &ApiKeyRecord) {
    store.put_new(key, &created_event(key)).await.unwrap();
}

/// Revokes a key at `at`, with its event.
pub async fn revoke(
    store: &dyn Store,
    key: &ApiKeyRecord,
    reason: Option<&str>,
    at: i64,
) -> StoreResult<ApiKeyRecord> {
    let mut after = key.clone();
    after.revoked = true;
    after.revoked_at = Some(at);
    after.revocation_reason = reason.map(str::to_owned);
    let event = event_of(&after, EventType::Revoked, at, Some(key));
    store.revoke(key, reason, &event).await
}

/// The `updated` event of a change from `before` to `after`.
pub fn updated_event(before: &ApiKeyRecord, after: &ApiKeyRecord) -> KeyEvent {
    event_of(after, EventType::Updated, after.updated_at, Some(before))
}

/// The kinds of a key's events, newest first.
pub async fn event_kinds(store: &dyn Store, key_id: &str) -> Vec<EventType> {
    events(store, key_id).await.iter().map(|e| e.kind).collect()
}

/// Every event of a key, newest first.
pub async fn events(store: &dyn Store, key_id: &str) -> Vec<KeyEvent> {
    let query = EventQuery {
        limit: MAX_PAGE_SIZE,
        cursor: None,
        now: 0,
    };
    store.list_events(key_id, &query).await.unwrap().items
}

// Every change writes its audit event in the same `TransactWriteItems`, which dynalite
// lacks: the contract runs in memory and on moto; dynalite serves the read path below.
on_every_store!(
    put_then_read_back,
    duplicate_hash_never_overwrites,
    revoke_twice_keeps_the_first,
    revoke_without_reason,
    revoke_refuses_a_key_changed_after_its_time,
    revoke_is_conditioned_on_the_version_read,
    update_is_conditional,
    touch_last_used_is_throttled,
    pagination_has_no_gaps_or_duplicates,
    filtered_pages_end_without_a_stale_cursor,
    listing_is_per_subject_and_filtered,
    foreign_or_forged_cursors_are_refused,
    children_are_found_by_creator,
    products_are_stored_once,
    reroll_writes_both_keys_and_events_once,
    reroll_refuses_revoked_stale_and_missing_keys,
    events_page_newest_first_per_key,
    events_past_retention_are_not_listed,
    rate_windows_count_up_to_the_limit,
    credits_never_go_below_zero,
    refills_replace_the_balance_once_a_period,
    concurrent_spends_are_exact,
    concurrent_window_takes_are_exact,
    credits_are_written_with_their_key,
);

// Usage counters need no transaction: they run on dynalite too.
mod usage_on_dynalite {
    macro_rules! on_dynalite {
        ($($case:ident),* $(,)?) => {
            $(
                #[tokio::test]
                #[ignore = "needs dynalite; scripts/test provides one"]
                async fn $case() {
                    super::$case(&super::dynalite_store().await).await;
                }
            )*
        };
    }
    on_dynalite!(
        rate_windows_count_up_to_the_limit,
        credits_never_go_below_zero,
        refills_replace_the_balance_once_a_period,
        concurrent_spends_are_exact,
        concurrent_window_takes_are_exact,
    );
}

/// The authorizer's and verify's calls on dynalite: reads by hash, id and subject, and
/// the throttled usage write, on keys stored with plain `PutItem`s.
#[tokio::test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
async fn dynalite_serves_the_read_path() {
    let store = dynalite_store().await;
    let key = record("user_d", "read path", 1_000);
    let older = record("user_d", "older", 500);
    for k in [&key, &older] {
        support::put_plain(&store, k).await;
    }
    assert_eq!(
        store.get_by_hash(&key.key_hash).await.unwrap(),
        Some(key.clone())
    );
    assert_eq!(
        store.get_by_id(&older.id).await.unwrap(),
        Some(older.clone())
    );
    let query = ListQuery {
        limit: 10,
        cursor: None,
        filter: ListFilter {
            name_contains: None,
            created_by: None,
            include_invalid: false,
            now: 2_000,
        },
    };
    let page = store.list_by_subject("user_d", &query).await.unwrap();
    assert_eq!(page.items, [key.clone(), older]);
    assert!(
        store
            .touch_last_used(&key.key_hash, 100_000, 60_000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .touch_last_used(&key.key_hash, 100_001, 60_000)
            .await
            .unwrap()
    );
    let stored = store.get_by_hash(&key.key_hash).await.unwrap().unwrap();
    assert_eq!(stored.last_used_at, Some(100_000));
}

/// With nothing listening, calls fail within the SDK timeouts instead of hanging, as
/// "unavailable for now" (503 from a handler), not as a backend bug.
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
        matches!(result, Err(StoreError::Unavailable { .. })),
        "{result:?}"
    );
    let put = store.put_new(&key, &created_event(&key)).await;
    assert!(
        matches!(put, Err(StoreError::Unavailable { .. })),
        "{put:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// Items written by other tools (imports) may lack `revoked`; revoke must still revoke them.
#[tokio::test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
async fn dynamodb_revokes_items_without_a_revoked_attribute() {
    let store = dynamo_store().await;
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
    let revoked = revoke(&store, &key, Some("imported key leaked"), 2_000)
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
    let store = dynalite_store().await;
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

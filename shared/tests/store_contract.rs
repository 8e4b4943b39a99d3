//! One contract, two stores: every case runs against the in-memory store and against a
//! real DynamoDB API (dynalite, started by `scripts/test`, reached through
//! `AWS_ENDPOINT_URL_DYNAMODB`). The DynamoDB half is `#[ignore]`d for a bare
//! `cargo test`; the test script runs it with `--include-ignored`.

mod support;

use keyauth::error::StoreError;
use keyauth::model::{ApiKeyRecord, Product};
use keyauth::store::memory::MemoryStore;
use keyauth::store::*;
use std::collections::HashSet;
use std::time::Duration;
use support::{dynamo_store, record};

trait FullStore: KeyStore + ProductWriter {}
impl<T: KeyStore + ProductWriter> FullStore for T {}

fn active_filter(now: i64) -> ListFilter {
    ListFilter {
        name_contains: None,
        include_invalid: false,
        now,
    }
}

fn all_filter(now: i64) -> ListFilter {
    ListFilter {
        include_invalid: true,
        ..active_filter(now)
    }
}

async fn put_then_read_back(store: &dyn FullStore) {
    let key = record("user_a", "ci deploy", 1_000);
    store.put_new(&key).await.unwrap();
    assert_eq!(
        store.get_by_hash(&key.key_hash).await.unwrap(),
        Some(key.clone())
    );
    assert_eq!(store.get_by_id(&key.id).await.unwrap(), Some(key.clone()));
    let other = record("user_a", "other", 1_000);
    assert_eq!(store.get_by_hash(&other.key_hash).await.unwrap(), None);
    assert_eq!(store.get_by_id(&other.id).await.unwrap(), None);
}

async fn duplicate_hash_never_overwrites(store: &dyn FullStore) {
    let first = record("user_a", "first", 1_000);
    store.put_new(&first).await.unwrap();
    let mut second = record("user_b", "second", 2_000);
    second.key_hash = first.key_hash.clone();
    let err = store.put_new(&second).await.unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists), "{err:?}");
    assert_eq!(
        store.get_by_hash(&first.key_hash).await.unwrap(),
        Some(first)
    );
}

async fn revoke_twice_keeps_the_first(store: &dyn FullStore) {
    let key = record("user_a", "to revoke", 1_000);
    store.put_new(&key).await.unwrap();
    let once = store
        .revoke(&key.key_hash, Some("leaked"), 5_000)
        .await
        .unwrap();
    assert!(once.revoked);
    assert_eq!(once.revoked_at, Some(5_000));
    assert_eq!(once.updated_at, 5_000);
    assert_eq!(once.revocation_reason.as_deref(), Some("leaked"));
    let twice = store
        .revoke(&key.key_hash, Some("again"), 9_000)
        .await
        .unwrap();
    assert_eq!(twice, once, "a second revoke changes nothing");
    let stored = store.get_by_hash(&key.key_hash).await.unwrap().unwrap();
    assert_eq!(stored, once);
    // Fields other than the revocation ones are untouched.
    assert_eq!(stored.name, key.name);
    assert_eq!(stored.created_at, key.created_at);

    let missing = record("user_a", "never stored", 1_000);
    let err = store
        .revoke(&missing.key_hash, None, 5_000)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(store.get_by_hash(&missing.key_hash).await.unwrap(), None);
}

async fn revoke_without_reason(store: &dyn FullStore) {
    let key = record("user_a", "no reason", 1_000);
    store.put_new(&key).await.unwrap();
    let revoked = store.revoke(&key.key_hash, None, 2_000).await.unwrap();
    assert!(revoked.revoked);
    assert_eq!(revoked.revocation_reason, None);
}

async fn touch_last_used_is_throttled(store: &dyn FullStore) {
    let key = record("user_a", "busy", 1_000);
    store.put_new(&key).await.unwrap();
    let minute = 60_000;
    assert!(
        store
            .touch_last_used(&key.key_hash, 100_000, minute)
            .await
            .unwrap()
    );
    assert!(
        !store
            .touch_last_used(&key.key_hash, 100_001, minute)
            .await
            .unwrap()
    );
    assert!(
        !store
            .touch_last_used(&key.key_hash, 159_999, minute)
            .await
            .unwrap()
    );
    let stored = store.get_by_hash(&key.key_hash).await.unwrap().unwrap();
    assert_eq!(stored.last_used_at, Some(100_000));
    assert!(
        store
            .touch_last_used(&key.key_hash, 160_000, minute)
            .await
            .unwrap()
    );
    let stored = store.get_by_hash(&key.key_hash).await.unwrap().unwrap();
    assert_eq!(stored.last_used_at, Some(160_000));
    // Never creates an item for an unknown hash.
    let ghost = record("user_a", "ghost", 1);
    assert!(
        !store
            .touch_last_used(&ghost.key_hash, 1, minute)
            .await
            .unwrap()
    );
    assert_eq!(store.get_by_hash(&ghost.key_hash).await.unwrap(), None);
}

/// 27 keys, several sharing a `createdAt`, listed 10 at a time.
async fn pagination_has_no_gaps_or_duplicates(store: &dyn FullStore) {
    let mut stored: Vec<ApiKeyRecord> = Vec::new();
    for i in 0..27 {
        let key = record("user_pages", &format!("key {i}"), 1_000 + (i / 3) as i64);
        store.put_new(&key).await.unwrap();
        stored.push(key);
    }
    store
        .put_new(&record("user_other", "not mine", 5_000))
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let query = ListQuery {
            limit: 10,
            cursor: cursor.take(),
            filter: active_filter(10_000),
        };
        let page = store.list_by_subject("user_pages", &query).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 10);
        seen.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    let ids: Vec<&str> = seen.iter().map(|k| k.id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 27, "duplicates across pages");
    let expected: HashSet<&str> = stored.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(unique, expected, "gaps across pages");
    assert!(
        seen.windows(2).all(|w| w[0].created_at >= w[1].created_at),
        "newest first"
    );
}

async fn listing_is_per_subject_and_filtered(store: &dyn FullStore) {
    let mine = record("user_x", "Production deploy", 3_000);
    let mut revoked = record("user_x", "old deploy", 2_000);
    let mut expired = record("user_x", "temp", 1_000);
    expired.expiration = Some(1_500);
    let theirs = record("user_y", "Production deploy", 4_000);
    for key in [&mine, &revoked, &expired, &theirs] {
        store.put_new(key).await.unwrap();
    }
    revoked = store.revoke(&revoked.key_hash, None, 2_500).await.unwrap();

    let list = |filter: ListFilter| ListQuery {
        limit: 50,
        cursor: None,
        filter,
    };
    let ids = |page: KeyPage| page.items.into_iter().map(|k| k.id).collect::<Vec<_>>();

    let page = store
        .list_by_subject("user_x", &list(active_filter(2_000)))
        .await
        .unwrap();
    assert_eq!(ids(page), vec![mine.id.clone()]);
    let page = store
        .list_by_subject("user_x", &list(all_filter(2_000)))
        .await
        .unwrap();
    assert_eq!(
        ids(page),
        vec![mine.id.clone(), revoked.id.clone(), expired.id.clone()]
    );
    let page = store
        .list_by_subject(
            "user_x",
            &list(ListFilter {
                name_contains: Some("deploy".into()),
                ..all_filter(2_000)
            }),
        )
        .await
        .unwrap();
    assert_eq!(ids(page), vec![mine.id.clone(), revoked.id.clone()]);
    let page = store
        .list_by_subject("user_y", &list(all_filter(2_000)))
        .await
        .unwrap();
    assert_eq!(ids(page), vec![theirs.id.clone()]);
    let page = store
        .list_by_subject("nobody", &list(all_filter(2_000)))
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
}

/// Filtered-out keys ahead of a full page must not leave a stale cursor behind: newest
/// first the subject has two revoked keys, then two active ones.
async fn filtered_pages_end_without_a_stale_cursor(store: &dyn FullStore) {
    let mut active = Vec::new();
    for (i, revoke) in [(4, true), (3, true), (2, false), (1, false)] {
        let key = record("user_f", &format!("f{i}"), 1_000 + i);
        store.put_new(&key).await.unwrap();
        if revoke {
            store.revoke(&key.key_hash, None, 5_000).await.unwrap();
        } else {
            active.push(key.id);
        }
    }
    let query = |limit, cursor| ListQuery {
        limit,
        cursor,
        filter: active_filter(10_000),
    };
    let page = store
        .list_by_subject("user_f", &query(2, None))
        .await
        .unwrap();
    let ids: Vec<String> = page.items.iter().map(|k| k.id.clone()).collect();
    assert_eq!(ids, active);
    assert_eq!(page.next, None, "nothing follows the last active key");

    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let page = store
            .list_by_subject("user_f", &query(1, cursor.take()))
            .await
            .unwrap();
        seen.extend(page.items.into_iter().map(|k| k.id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, active, "one key a page, no repeats");
}

async fn foreign_or_forged_cursors_are_refused(store: &dyn FullStore) {
    for i in 0..3 {
        store
            .put_new(&record("user_c", &format!("c{i}"), 1_000 + i))
            .await
            .unwrap();
    }
    let theirs = record("user_d", "d", 1_000);
    store.put_new(&theirs).await.unwrap();
    let query = |cursor| ListQuery {
        limit: 1,
        cursor: Some(cursor),
        filter: all_filter(0),
    };
    // A position naming another subject's key.
    let foreign = Cursor {
        created_at: theirs.created_at,
        id: theirs.id.clone(),
    };
    // A real key of ours at the wrong position, and a key that does not exist.
    let first = store
        .list_by_subject(
            "user_c",
            &ListQuery {
                limit: 1,
                cursor: None,
                filter: all_filter(0),
            },
        )
        .await
        .unwrap();
    let real = first.next.expect("more than one page");
    let moved = Cursor {
        created_at: real.created_at + 7,
        ..real.clone()
    };
    let ghost = Cursor {
        created_at: 1_000,
        id: "key_0000000000000000000000".into(),
    };
    for bad in [foreign, moved, ghost] {
        let err = store
            .list_by_subject("user_c", &query(bad.clone()))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::InvalidCursor), "{bad:?}: {err:?}");
    }
    assert_eq!(
        store
            .list_by_subject("user_c", &query(real))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

async fn products_are_stored_once(store: &dyn FullStore) {
    let product = Product {
        id: keyauth::ids::new_product_id().unwrap(),
        name: "Widget".into(),
        price: 19.99,
        owner_id: "user_a".into(),
        created_at: 1_000,
        created_by_key_id: "key_0000000000000000000001".into(),
    };
    store.put_product(&product).await.unwrap();
    let err = store.put_product(&product).await.unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists), "{err:?}");
}

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
    };
}

contract!(
    put_then_read_back,
    duplicate_hash_never_overwrites,
    revoke_twice_keeps_the_first,
    revoke_without_reason,
    touch_last_used_is_throttled,
    pagination_has_no_gaps_or_duplicates,
    filtered_pages_end_without_a_stale_cursor,
    listing_is_per_subject_and_filtered,
    foreign_or_forged_cursors_are_refused,
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
    assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
    let put = store.put_new(&key).await;
    assert!(matches!(put, Err(StoreError::Backend(_))), "{put:?}");
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

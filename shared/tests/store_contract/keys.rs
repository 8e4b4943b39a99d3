//! The key and product cases of the contract: writes, reads, revoke, usage.

use super::support::created_event;
use super::support::record;
use super::{event_kinds, events, put, revoke, updated_event};
use keyauth::domain::audit::EventType;
use keyauth::domain::product::Product;
use keyauth::store::error::StoreError;
use keyauth::store::*;

pub async fn put_then_read_back(store: &dyn Store) {
    let key = record("user_a", "ci deploy", 1_000);
    put(store, &key).await;
    assert_eq!(
        store.get_by_hash(&key.key_hash).await.unwrap(),
        Some(key.clone())
    );
    assert_eq!(store.get_by_id(&key.id).await.unwrap(), Some(key.clone()));
    let logged = events(store, &key.id).await;
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].kind, EventType::Created);
    assert_eq!(logged[0].changes["name"].new, "ci deploy");
    let other = record("user_a", "other", 1_000);
    assert_eq!(store.get_by_hash(&other.key_hash).await.unwrap(), None);
    assert_eq!(store.get_by_id(&other.id).await.unwrap(), None);
}

pub async fn duplicate_hash_never_overwrites(store: &dyn Store) {
    let first = record("user_a", "first", 1_000);
    put(store, &first).await;
    let mut second = record("user_b", "second", 2_000);
    second.key_hash = first.key_hash.clone();
    let err = store
        .put_new(&second, &created_event(&second))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists), "{err:?}");
    // The refused key's event was not written either.
    assert!(events(store, &second.id).await.is_empty());
    assert_eq!(
        store.get_by_hash(&first.key_hash).await.unwrap(),
        Some(first)
    );
}

pub async fn revoke_twice_keeps_the_first(store: &dyn Store) {
    let key = record("user_a", "to revoke", 1_000);
    put(store, &key).await;
    let once = revoke(store, &key, Some("leaked"), 5_000).await.unwrap();
    assert!(once.revoked);
    assert_eq!(once.revoked_at, Some(5_000));
    assert_eq!(once.updated_at, 5_000);
    assert_eq!(once.revocation_reason.as_deref(), Some("leaked"));
    let twice = revoke(store, &key, Some("again"), 9_000).await.unwrap();
    assert_eq!(twice, once, "a second revoke changes nothing");
    let kinds = event_kinds(store, &key.id).await;
    assert_eq!(
        kinds,
        [EventType::Revoked, EventType::Created],
        "one revoke event"
    );
    let stored = store.get_by_hash(&key.key_hash).await.unwrap().unwrap();
    assert_eq!(stored, once);
    // Fields other than the revocation ones are untouched.
    assert_eq!(stored.name, key.name);
    assert_eq!(stored.created_at, key.created_at);

    let missing = record("user_a", "never stored", 1_000);
    let err = revoke(store, &missing, None, 5_000).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(store.get_by_hash(&missing.key_hash).await.unwrap(), None);
}

pub async fn revoke_without_reason(store: &dyn Store) {
    let key = record("user_a", "no reason", 1_000);
    put(store, &key).await;
    let revoked = revoke(store, &key, None, 2_000).await.unwrap();
    assert!(revoked.revoked);
    assert_eq!(revoked.revocation_reason, None);
}

pub async fn touch_last_used_is_throttled(store: &dyn Store) {
    let key = record("user_a", "busy", 1_000);
    put(store, &key).await;
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

pub async fn products_are_stored_once(store: &dyn Store) {
    let product = Product {
        id: keyauth::domain::ids::new_product_id().unwrap(),
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

/// Update writes the changeable fields only if the key is unchanged since it was read
/// and not revoked; an emptied field is removed.
pub async fn update_is_conditional(store: &dyn Store) {
    let mut key = record("user_u", "before", 1_000);
    key.description = Some("to be cleared".into());
    put(store, &key).await;
    let mut changed = key.clone();
    changed.name = "after".into();
    changed.description = None;
    changed.scopes = vec!["keys:read".into(), "products:write".into()];
    changed.expiration = Some(9_000);
    changed.updated_at = 2_000;
    let updated = store
        .update(
            &changed,
            key.updated_at,
            &updated_event(&key, &changed),
            None,
        )
        .await
        .unwrap();
    assert_eq!(updated, changed);
    let read = store.get_by_hash(&key.key_hash).await.unwrap().unwrap();
    assert_eq!(read, changed);

    // Read before the last change: nothing written.
    let mut stale = changed.clone();
    stale.name = "stale".into();
    stale.updated_at = 3_000;
    assert!(matches!(
        store
            .update(
                &stale,
                key.updated_at,
                &updated_event(&changed, &stale),
                None
            )
            .await,
        Err(StoreError::Changed)
    ));
    // Revoked meanwhile: nothing written either.
    revoke(store, &changed, None, 2_500).await.unwrap();
    assert!(matches!(
        store
            .update(&stale, 2_500, &updated_event(&changed, &stale), None)
            .await,
        Err(StoreError::Changed)
    ));
    let read = store.get_by_hash(&key.key_hash).await.unwrap().unwrap();
    assert_eq!(read.name, "after");
    let missing = record("user_u", "never stored", 1_000);
    assert!(matches!(
        store
            .update(&missing, 1_000, &updated_event(&missing, &missing), None)
            .await,
        Err(StoreError::NotFound)
    ));
    // One event per change that happened, none for the refused ones.
    let logged = events(store, &key.id).await;
    let kinds: Vec<EventType> = logged.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventType::Revoked, EventType::Updated, EventType::Created]
    );
    assert_eq!(logged[1].changes["name"].old, "before");
    assert_eq!(logged[1].changes["name"].new, "after");
    assert_eq!(
        logged[1].changes["description"].new,
        serde_json::Value::Null
    );
    assert!(events(store, &missing.id).await.is_empty());
}

/// A revoke timed at or before the key's last change (an update that landed after the
/// revoke read the key) writes nothing: the caller reads again and retries later.
pub async fn revoke_refuses_a_key_changed_after_its_time(store: &dyn Store) {
    let key = record("user_r", "raced", 1_000);
    put(store, &key).await;
    let mut changed = key.clone();
    changed.name = "changed meanwhile".into();
    changed.updated_at = 5_000;
    store
        .update(
            &changed,
            key.updated_at,
            &updated_event(&key, &changed),
            None,
        )
        .await
        .unwrap();
    for at in [3_000, 5_000] {
        let err = revoke(store, &key, Some("late"), at).await.unwrap_err();
        assert!(matches!(err, StoreError::Changed), "{err:?}");
    }
    let stored = store.get_by_hash(&key.key_hash).await.unwrap().unwrap();
    assert_eq!(stored, changed, "nothing written");
    let revoked = revoke(store, &changed, Some("late"), 5_001).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(5_001));
    let kinds = event_kinds(store, &key.id).await;
    assert_eq!(
        kinds,
        [EventType::Revoked, EventType::Updated, EventType::Created]
    );
}

/// A revoke is made on the key as the caller read it, whose authority it judged: a key
/// changed since (a scope added) is refused even when the revoke is timed after the change,
/// so a narrow key cannot revoke a key broadened a moment before.
pub async fn revoke_is_conditioned_on_the_version_read(store: &dyn Store) {
    let key = record("user_v", "broadened", 1_000);
    put(store, &key).await;
    let mut broadened = key.clone();
    broadened.scopes.push("products:write".into());
    broadened.updated_at = 2_000;
    store
        .update(
            &broadened,
            key.updated_at,
            &updated_event(&key, &broadened),
            None,
        )
        .await
        .unwrap();
    let err = revoke(store, &key, None, 9_000).await.unwrap_err();
    assert!(matches!(err, StoreError::Changed), "{err:?}");
    let stored = store.get_by_hash(&key.key_hash).await.unwrap().unwrap();
    assert_eq!(stored, broadened, "nothing written");
    assert_eq!(
        event_kinds(store, &key.id).await,
        [EventType::Updated, EventType::Created]
    );
    let revoked = revoke(store, &broadened, None, 9_000).await.unwrap();
    assert!(revoked.revoked);
}

//! The reroll and audit-trail cases of the contract: a change and its event are written
//! together or not at all, and a key's events page newest first.

use super::support::{event_of, record};
use super::{event_kinds, events, put, revoke};
use keyauth::domain::audit::{EventType, Retention};
use keyauth::domain::key::ApiKeyRecord;
use keyauth::store::error::StoreError;
use keyauth::store::*;

/// The old key after a reroll to `new` at `at`, and the new key.
fn rerolled(old: &ApiKeyRecord, at: i64) -> (ApiKeyRecord, ApiKeyRecord) {
    let mut new = record(&old.subject, &old.name, at);
    new.rerolled_from = Some(old.id.clone());
    let mut retired = old.clone();
    retired.expiration = Some(at + 60_000);
    retired.rerolled_to = Some(new.id.clone());
    retired.updated_at = at;
    (retired, new)
}

pub async fn reroll_writes_both_keys_and_events_once(store: &dyn Store) {
    let old = record("user_r", "rotating", 1_000);
    put(store, &old).await;
    let (retired, new) = rerolled(&old, 2_000);
    let events_of = [
        event_of(&retired, EventType::Rerolled, 2_000, Some(&old)),
        event_of(&new, EventType::Created, 2_000, None),
    ];
    store
        .reroll(
            &retired,
            old.updated_at,
            &new,
            [&events_of[0], &events_of[1]],
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_by_hash(&old.key_hash).await.unwrap(),
        Some(retired.clone())
    );
    assert_eq!(
        store.get_by_hash(&new.key_hash).await.unwrap(),
        Some(new.clone())
    );
    let logged = events(store, &old.id).await;
    assert_eq!(logged[0], events_of[0]);
    assert_eq!(logged[0].changes["rerolledTo"].new, new.id.as_str());
    assert_eq!(events(store, &new.id).await, [events_of[1].clone()]);

    // A second reroll of the same key writes nothing: no third key, no event.
    let (again, newer) = rerolled(&retired, 3_000);
    let twice = [
        event_of(&again, EventType::Rerolled, 3_000, Some(&retired)),
        event_of(&newer, EventType::Created, 3_000, None),
    ];
    let err = store
        .reroll(&again, retired.updated_at, &newer, [&twice[0], &twice[1]])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Changed), "{err:?}");
    assert_eq!(store.get_by_hash(&newer.key_hash).await.unwrap(), None);
    assert_eq!(events(store, &old.id).await.len(), 2);
    assert!(events(store, &newer.id).await.is_empty());
    // Nor can a rerolled key be updated.
    let mut renamed = retired.clone();
    renamed.name = "renamed".into();
    renamed.updated_at = 4_000;
    let event = event_of(&renamed, EventType::Updated, 4_000, Some(&retired));
    assert!(matches!(
        store
            .update(&renamed, retired.updated_at, &event, None)
            .await,
        Err(StoreError::Changed)
    ));
}

pub async fn reroll_refuses_revoked_stale_and_missing_keys(store: &dyn Store) {
    let old = record("user_r", "stale", 1_000);
    put(store, &old).await;
    let (retired, new) = rerolled(&old, 2_000);
    let pair = [
        event_of(&retired, EventType::Rerolled, 2_000, Some(&old)),
        event_of(&new, EventType::Created, 2_000, None),
    ];
    // Read at another time than the stored `updatedAt`: changed meanwhile.
    let err = store
        .reroll(&retired, 999, &new, [&pair[0], &pair[1]])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Changed), "{err:?}");
    // Revoked meanwhile.
    let revoked = revoke(store, &old, None, 1_500).await.unwrap();
    let err = store
        .reroll(&retired, revoked.updated_at, &new, [&pair[0], &pair[1]])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Changed), "{err:?}");
    // Never stored.
    let ghost = record("user_r", "ghost", 1_000);
    let (ghost_retired, ghost_new) = rerolled(&ghost, 2_000);
    let err = store
        .reroll(&ghost_retired, 1_000, &ghost_new, [&pair[0], &pair[1]])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    // Nothing of the refused rerolls was written.
    assert_eq!(store.get_by_hash(&new.key_hash).await.unwrap(), None);
    assert_eq!(store.get_by_hash(&ghost_new.key_hash).await.unwrap(), None);
    let kinds = event_kinds(store, &old.id).await;
    assert_eq!(kinds, [EventType::Revoked, EventType::Created]);
    assert!(events(store, &new.id).await.is_empty());
}

pub async fn events_page_newest_first_per_key(store: &dyn Store) {
    let key = record("user_e", "busy", 1_000);
    put(store, &key).await;
    let mut current = key.clone();
    // Seven updates, two in the same millisecond: the id breaks the tie.
    for (i, at) in [2_000, 3_000, 3_000, 4_000, 5_000, 6_000, 7_000]
        .into_iter()
        .enumerate()
    {
        let mut next = current.clone();
        next.name = format!("name {i}");
        next.updated_at = at;
        let event = event_of(&next, EventType::Updated, at, Some(&current));
        store
            .update(&next, current.updated_at, &event, None)
            .await
            .unwrap();
        current = next;
    }
    let other = record("user_e", "other", 1_000);
    put(store, &other).await;

    let all = events(store, &key.id).await;
    assert_eq!(all.len(), 8);
    assert!(
        all.windows(2).all(|w| w[0].event_key > w[1].event_key),
        "newest first"
    );
    assert_eq!(all.last().unwrap().kind, EventType::Created);
    assert!(all.iter().all(|e| e.key_id == key.id));

    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let query = EventQuery {
            limit: 3,
            cursor: cursor.take(),
            now: 0,
        };
        let page = store.list_events(&key.id, &query).await.unwrap();
        assert!(page.items.len() <= 3);
        paged.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(paged, all, "pages have no gaps or duplicates");
}

pub async fn events_past_retention_are_not_listed(store: &dyn Store) {
    let key = record("user_t", "old", 1_000);
    put(store, &key).await;
    let kept = Retention::default().expires_at(1_000) * 1000;
    let query = |now| EventQuery {
        limit: 10,
        cursor: None,
        now,
    };
    assert_eq!(
        store
            .list_events(&key.id, &query(kept - 1))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert!(
        store
            .list_events(&key.id, &query(kept))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

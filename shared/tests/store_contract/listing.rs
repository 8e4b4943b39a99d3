//! The listing cases of the contract: pages, filters, subjects and cursors.

use super::support::record;
use super::{put, revoke};
use keyauth::domain::key::ApiKeyRecord;
use keyauth::store::error::StoreError;
use keyauth::store::*;
use std::collections::HashSet;

fn active_filter(now: i64) -> ListFilter {
    ListFilter {
        name_contains: None,
        created_by: None,
        include_invalid: false,
        now,
    }
}

fn all_filter(now: i64) -> ListFilter {
    ListFilter {
        created_by: None,
        include_invalid: true,
        ..active_filter(now)
    }
}

/// 27 keys, several sharing a `createdAt`, listed 10 at a time.
pub async fn pagination_has_no_gaps_or_duplicates(store: &dyn Store) {
    let mut stored: Vec<ApiKeyRecord> = Vec::new();
    for i in 0..27 {
        let key = record("user_pages", &format!("key {i}"), 1_000 + (i / 3) as i64);
        put(store, &key).await;
        stored.push(key);
    }
    put(store, &record("user_other", "not mine", 5_000)).await;

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

pub async fn listing_is_per_subject_and_filtered(store: &dyn Store) {
    let mut mine = record("user_x", "Production deploy", 3_000);
    mine.created_by = Some("key_0Creator00000000000000".into());
    let mut revoked = record("user_x", "old deploy", 2_000);
    revoked.created_by = Some("operator:keyctl".into());
    let mut expired = record("user_x", "temp", 1_000);
    expired.expiration = Some(1_500);
    let theirs = record("user_y", "Production deploy", 4_000);
    for key in [&mine, &revoked, &expired, &theirs] {
        put(store, key).await;
    }
    revoked = revoke(store, &revoked, None, 2_500).await.unwrap();

    let list = |filter: ListFilter| ListQuery {
        limit: 50,
        cursor: None,
        filter,
    };
    let page = |subject: &'static str, filter: ListFilter| {
        let query = list(filter);
        async move { store.list_by_subject(subject, &query).await.unwrap() }
    };
    let ids = |page: KeyPage| page.items.into_iter().map(|k| k.id).collect::<Vec<_>>();

    let active = page("user_x", active_filter(2_000)).await;
    assert_eq!(ids(active), vec![mine.id.clone()]);
    let all = page("user_x", all_filter(2_000)).await;
    assert_eq!(
        ids(all),
        vec![mine.id.clone(), revoked.id.clone(), expired.id.clone()]
    );
    let named = ListFilter {
        name_contains: Some("deploy".into()),
        ..all_filter(2_000)
    };
    assert_eq!(
        ids(page("user_x", named).await),
        vec![mine.id.clone(), revoked.id.clone()]
    );
    let by_creator = |creator: &str| ListFilter {
        created_by: Some(creator.into()),
        ..all_filter(2_000)
    };
    assert_eq!(
        ids(page("user_x", by_creator("key_0Creator00000000000000")).await),
        vec![mine.id.clone()]
    );
    assert_eq!(
        ids(page("user_x", by_creator("operator:keyctl")).await),
        vec![revoked.id.clone()]
    );
    assert!(ids(page("user_x", by_creator("key_0Nobody00000000000000000")).await).is_empty());
    let theirs_only = page("user_y", all_filter(2_000)).await;
    assert_eq!(ids(theirs_only), vec![theirs.id.clone()]);
    let none = page("nobody", all_filter(2_000)).await;
    assert!(none.items.is_empty() && none.next.is_none());
}

/// Filtered-out keys ahead of a full page must not leave a stale cursor behind: newest
/// first the subject has two revoked keys, then two active ones.
pub async fn filtered_pages_end_without_a_stale_cursor(store: &dyn Store) {
    let mut active = Vec::new();
    for (i, revoked) in [(4, true), (3, true), (2, false), (1, false)] {
        let key = record("user_f", &format!("f{i}"), 1_000 + i);
        put(store, &key).await;
        if revoked {
            revoke(store, &key, None, 5_000).await.unwrap();
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

pub async fn foreign_or_forged_cursors_are_refused(store: &dyn Store) {
    for i in 0..3 {
        put(store, &record("user_c", &format!("c{i}"), 1_000 + i)).await;
    }
    let theirs = record("user_d", "d", 1_000);
    put(store, &theirs).await;
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

/// The keys a key created, of any subject, revoked ones included; at most one more than
/// asked for.
pub async fn children_are_found_by_creator(store: &dyn Store) {
    let parent = record("user_p", "parent", 1_000);
    put(store, &parent).await;
    let mut children = Vec::new();
    for (i, subject) in ["user_p", "user_q", "user_p"].into_iter().enumerate() {
        let mut child = record(subject, &format!("child {i}"), 2_000 + i as i64);
        child.created_by = Some(parent.id.clone());
        put(store, &child).await;
        if i == 0 {
            revoke(store, &child, None, 2_500).await.unwrap();
        }
        children.push(child.id);
    }
    let unrelated = record("user_p", "unrelated", 3_000);
    put(store, &unrelated).await;

    let mut found: Vec<String> = store
        .children_of(&parent.id)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    found.sort();
    children.sort();
    assert_eq!(found, children);
    let revoked: Vec<bool> = store
        .children_of(&parent.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.id == children[0] || k.revoked)
        .map(|k| k.revoked)
        .collect();
    assert!(
        revoked.contains(&true),
        "the index shows the revoked child as revoked"
    );
    assert!(store.children_of(&unrelated.id).await.unwrap().is_empty());
}

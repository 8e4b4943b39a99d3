//! The walk under lag, contention and failure: a key the indexes show only after a moment,
//! a key changed under every attempt to revoke it, a store that fails mid-walk, and a
//! narrower cascade started over a running one.

use super::{child, later, put, record, stored};
use async_trait::async_trait;
use keyauth::domain::audit::KeyEvent;
use keyauth::domain::caller::Caller;
use keyauth::domain::cascade::{CascadeState, KeyRef};
use keyauth::domain::hashing::KeyHash;
use keyauth::domain::key::ApiKeyRecord;
use keyauth::operations::cascade::{self, CascadeOrder};
use keyauth::operations::revoke::revoke_leaked;
use keyauth::store::error::StoreError;
use keyauth::store::*;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const NOW: i64 = 10_000;

/// The store, unsteady: one key hidden from both indexes until a moment has passed (as a
/// global secondary index can lag its table), one key changed under its first revokes,
/// or every index query failing.
struct Unsteady<'a> {
    inner: &'a dyn Store,
    hidden: Option<(String, Instant)>,
    busy: Mutex<Option<(String, usize)>>,
    failing: bool,
}

impl<'a> Unsteady<'a> {
    fn new(inner: &'a dyn Store) -> Self {
        Self {
            inner,
            hidden: None,
            busy: Mutex::new(None),
            failing: false,
        }
    }

    fn hides(&self, id: &str) -> bool {
        self.hidden
            .as_ref()
            .is_some_and(|(hidden, until)| hidden == id && Instant::now() < *until)
    }
}

#[async_trait]
impl KeyReader for Unsteady<'_> {
    async fn get_by_hash(&self, hash: &KeyHash) -> StoreResult<Option<ApiKeyRecord>> {
        self.inner.get_by_hash(hash).await
    }
    async fn get_by_id(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        if self.hides(id) {
            return Ok(None);
        }
        self.inner.get_by_id(id).await
    }
}

#[async_trait]
impl KeyLister for Unsteady<'_> {
    async fn list_by_subject(&self, subject: &str, query: &ListQuery) -> StoreResult<KeyPage> {
        self.inner.list_by_subject(subject, query).await
    }
    async fn children_of(&self, creator: &str) -> StoreResult<Vec<KeyRef>> {
        if self.failing {
            return Err(StoreError::Unavailable {
                operation: "Query",
                source: "throttled".into(),
            });
        }
        let mut found = self.inner.children_of(creator).await?;
        found.retain(|k| !self.hides(&k.id));
        Ok(found)
    }
}

#[async_trait]
impl KeyRevoker for Unsteady<'_> {
    async fn revoke(
        &self,
        key: &ApiKeyRecord,
        reason: Option<&str>,
        event: &KeyEvent,
    ) -> StoreResult<ApiKeyRecord> {
        if let Some((id, left)) = self.busy.lock().unwrap().as_mut()
            && *id == key.id
            && *left > 0
        {
            *left -= 1;
            return Err(StoreError::Changed);
        }
        self.inner.revoke(key, reason, event).await
    }
}

delegate_cascade_journal!(Unsteady<'_>);

fn order(actor: &Caller) -> CascadeOrder<'_> {
    CascadeOrder {
        actor,
        reason: "parent revoked".into(),
        follow_rerolls: false,
    }
}

pub async fn a_key_the_index_shows_late_is_still_caught(store: &dyn Store) {
    let root = record("user_u", "root", 1_000);
    put(store, &root).await;
    let first = child(store, &root, "user_u").await;
    let late = child(store, &first, "user_u").await;
    let mut unsteady = Unsteady::new(store);
    unsteady.hidden = Some((late.id.clone(), Instant::now() + Duration::from_millis(500)));
    let operator = Caller::operator("test");
    let outcome = cascade::start(&unsteady, &root, order(&operator), NOW, later())
        .await
        .unwrap();
    assert_eq!((outcome.revoked, outcome.in_progress), (2, false));
    assert!(
        stored(store, &late).await.revoked,
        "shown a moment later, still caught"
    );
}

pub async fn a_successor_the_index_shows_late_is_still_taken(store: &dyn Store) {
    let mut leaked = record("user_u", "leaked", 1_000);
    let mut successor = record("user_u", "successor", 2_000);
    successor.created_by = Some("key_0Elsewhere00000000000000".into());
    leaked.rerolled_to = Some(successor.id.clone());
    put(store, &leaked).await;
    put(store, &successor).await;
    let mut unsteady = Unsteady::new(store);
    unsteady.hidden = Some((
        successor.id.clone(),
        Instant::now() + Duration::from_millis(500),
    ));
    let outcome = revoke_leaked(&unsteady, &leaked, "https://example.test", NOW, later())
        .await
        .unwrap();
    assert_eq!(outcome.revoked, 1);
    assert!(stored(store, &successor).await.revoked);
}

pub async fn a_key_changed_under_every_attempt_is_revoked_on_a_later_pass(store: &dyn Store) {
    let root = record("user_u", "root", 1_000);
    put(store, &root).await;
    let contested = child(store, &root, "user_u").await;
    let unsteady = Unsteady::new(store);
    *unsteady.busy.lock().unwrap() = Some((contested.id.clone(), 3));
    let operator = Caller::operator("test");
    let outcome = cascade::start(&unsteady, &root, order(&operator), NOW, later())
        .await
        .unwrap();
    assert_eq!((outcome.revoked, outcome.in_progress), (1, false));
    assert!(stored(store, &contested).await.revoked);
}

pub async fn a_walk_that_fails_is_handed_on(store: &dyn Store) {
    let root = record("user_u", "root", 1_000);
    put(store, &root).await;
    let below = child(store, &root, "user_u").await;
    let mut unsteady = Unsteady::new(store);
    unsteady.failing = true;
    let operator = Caller::operator("test");
    let failed = cascade::start(&unsteady, &root, order(&operator), NOW, later()).await;
    assert!(failed.is_err());
    let (_, state) = store.cascade_of(&root.key_hash).await.unwrap().unwrap();
    assert_eq!(
        state,
        CascadeState::Pending,
        "left to the continuation, not stuck"
    );
    let outcome = cascade::resume(store, &root.key_hash, NOW + 1, later())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outcome.revoked, 1);
    assert!(stored(store, &below).await.revoked);
}

pub async fn a_narrower_cascade_keeps_a_running_leaks_authority(store: &dyn Store) {
    let mut root = record("user_u", "root", 1_000);
    root.scopes = vec!["keys:read".into(), "keys:write".into()];
    put(store, &root).await;
    let foreign = child(store, &root, "user_other").await;
    // A leak report whose family walk did not fit: handed on at once.
    let handed = revoke_leaked(store, &root, "https://example.test", NOW, Instant::now())
        .await
        .unwrap();
    assert!(handed.in_progress);
    let narrow = Caller {
        key_id: "key_0Narrow000000000000000".into(),
        subject: "user_u".into(),
        scopes: vec!["keys:read".into(), "keys:write".into()],
        claims: Default::default(),
        expiration: None,
    };
    let root = stored(store, &root).await;
    let outcome = cascade::start(store, &root, order(&narrow), NOW + 1, later())
        .await
        .unwrap();
    assert_eq!(
        (outcome.revoked, outcome.spared_count),
        (1, 0),
        "{outcome:?}"
    );
    assert!(stored(store, &foreign).await.revoked);
}

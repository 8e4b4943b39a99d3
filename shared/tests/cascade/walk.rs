//! The walk: a large tree, a walk cut short and continued, a key the index showed late,
//! and what a narrow caller's cascade spares.

use super::{child, later, put, record, stored};
use async_trait::async_trait;
use keyauth::domain::audit::KeyEvent;
use keyauth::domain::caller::Caller;
use keyauth::domain::cascade::{CascadeState, KeyRef};
use keyauth::domain::hashing::KeyHash;
use keyauth::domain::ids::KeyId;
use keyauth::domain::key::ApiKeyRecord;
use keyauth::operations::cascade::{self, CascadeOrder};
use keyauth::operations::revoke::{Revocation, revoke_key};
use keyauth::store::*;
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const NOW: i64 = 10_000;

fn cascading() -> Revocation {
    Revocation {
        reason: None,
        cascade: true,
    }
}

fn id(key: &ApiKeyRecord) -> KeyId {
    KeyId::parse(&key.id).unwrap()
}

pub async fn a_cascade_refuses_1050_descendants_within_a_minute(store: &dyn Store) {
    let root = record("user_big", "root", 1_000);
    put(store, &root).await;
    let mut below = Vec::new();
    for _ in 0..50 {
        let parent = child(store, &root, "user_big").await;
        for _ in 0..20 {
            below.push(child(store, &parent, "user_big").await);
        }
        below.push(parent);
    }
    assert_eq!(below.len(), 1050);
    let operator = Caller::operator("test");
    let started = Instant::now();
    let revoked = revoke_key(store, &operator, &id(&root), cascading(), NOW, later())
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let outcome = revoked.cascade.unwrap();
    assert_eq!((outcome.revoked, outcome.in_progress), (1050, false));
    for key in &below {
        assert!(stored(store, key).await.revoked, "{} is refused", key.id);
    }
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
    println!("1050 descendants revoked in {elapsed:?}");
}

pub async fn a_walk_cut_short_is_continued_to_the_end(store: &dyn Store) {
    let root = record("user_c", "root", 1_000);
    put(store, &root).await;
    let mut below = Vec::new();
    let mut parent = root.clone();
    for _ in 0..3 {
        let next = child(store, &parent, "user_c").await;
        below.push(child(store, &parent, "user_c").await);
        below.push(next.clone());
        parent = next;
    }
    let operator = Caller::operator("test");
    // A deadline already past: the root is revoked, and everything else handed on.
    let revoked = revoke_key(
        store,
        &operator,
        &id(&root),
        cascading(),
        NOW,
        Instant::now(),
    )
    .await
    .unwrap();
    assert!(revoked.key.revoked);
    let outcome = revoked.cascade.unwrap();
    assert_eq!((outcome.revoked, outcome.in_progress), (0, true));
    assert!(!stored(store, &below[0]).await.revoked);
    assert_eq!(
        store.pending_cascades().await.unwrap(),
        std::slice::from_ref(&root.key_hash)
    );

    let outcome = cascade::resume(store, &root.key_hash, NOW + 1, later())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((outcome.revoked, outcome.in_progress), (6, false));
    for key in &below {
        let key = stored(store, key).await;
        assert_eq!(key.revocation_reason.as_deref(), Some("parent revoked"));
    }
    let (job, state) = store.cascade_of(&root.key_hash).await.unwrap().unwrap();
    assert_eq!((job.rounds, state), (2, CascadeState::Done));
    let events = super::journal_events(store, &root.id).await;
    assert_eq!(events[0].outcome.as_ref().unwrap().revoked, 6);
    let events = super::journal_events(store, &below[0].id).await;
    assert_eq!(events[0].cascade_from.as_deref(), Some(root.id.as_str()));
    assert_eq!(events[0].actor_id, operator.key_id);
}

/// The store, with one key missing from the creator index the first time it is asked (as
/// a global secondary index can lag its table).
struct Lagging<'a> {
    inner: &'a dyn Store,
    hidden: Mutex<Option<String>>,
}

#[async_trait]
impl KeyReader for Lagging<'_> {
    async fn get_by_hash(&self, hash: &KeyHash) -> StoreResult<Option<ApiKeyRecord>> {
        self.inner.get_by_hash(hash).await
    }
    async fn get_by_id(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        self.inner.get_by_id(id).await
    }
}

#[async_trait]
impl KeyLister for Lagging<'_> {
    async fn list_by_subject(&self, subject: &str, query: &ListQuery) -> StoreResult<KeyPage> {
        self.inner.list_by_subject(subject, query).await
    }
    async fn children_of(&self, creator: &str) -> StoreResult<Vec<KeyRef>> {
        let mut found = self.inner.children_of(creator).await?;
        let mut hidden = self.hidden.lock().unwrap();
        if let Some(at) = found.iter().position(|k| Some(&k.id) == hidden.as_ref()) {
            found.remove(at);
            *hidden = None;
        }
        Ok(found)
    }
}

#[async_trait]
impl KeyRevoker for Lagging<'_> {
    async fn revoke(
        &self,
        key: &ApiKeyRecord,
        reason: Option<&str>,
        event: &KeyEvent,
    ) -> StoreResult<ApiKeyRecord> {
        self.inner.revoke(key, reason, event).await
    }
}

delegate_cascade_journal!(Lagging<'_>);

pub async fn keys_the_index_had_not_shown_are_caught_by_another_pass(store: &dyn Store) {
    let root = record("user_l", "root", 1_000);
    put(store, &root).await;
    let first = child(store, &root, "user_l").await;
    let late = child(store, &first, "user_l").await;
    let below_late = child(store, &late, "user_l").await;
    let lagging = Lagging {
        inner: store,
        hidden: Mutex::new(Some(late.id.clone())),
    };
    let operator = Caller::operator("test");
    let order = CascadeOrder {
        actor: &operator,
        reason: "parent revoked".into(),
        follow_rerolls: false,
    };
    let outcome = cascade::start(&lagging, &root, order, NOW, later())
        .await
        .unwrap();
    assert_eq!(
        lagging.hidden.lock().unwrap().as_ref(),
        None,
        "it was hidden once"
    );
    assert_eq!((outcome.revoked, outcome.in_progress), (3, false));
    for key in [&first, &late, &below_late] {
        assert!(stored(store, key).await.revoked);
    }
}

pub async fn a_narrow_cascade_spares_what_its_caller_could_not_revoke(store: &dyn Store) {
    let mut root = record("user_n", "root", 1_000);
    root.scopes = vec!["keys:read".into(), "keys:write".into()];
    put(store, &root).await;
    let plain = child(store, &root, "user_n").await;
    let mut wide = record("user_n", "wide", 1_001);
    wide.created_by = Some(root.id.clone());
    wide.scopes.push("products:write".into());
    put(store, &wide).await;
    let below_wide = child(store, &wide, "user_n").await;
    let foreign = child(store, &root, "user_other").await;
    let mut claimed = record("user_n", "claimed", 1_001);
    claimed.created_by = Some(root.id.clone());
    claimed.claims.insert("tier".into(), "gold".into());
    put(store, &claimed).await;

    let narrow = Caller {
        key_id: "key_0Narrow000000000000000".into(),
        subject: "user_n".into(),
        scopes: vec!["keys:read".into(), "keys:write".into()],
        claims: Default::default(),
        expiration: None,
    };
    let revoked = revoke_key(store, &narrow, &id(&root), cascading(), NOW, later())
        .await
        .unwrap();
    let outcome = revoked.cascade.unwrap();
    assert_eq!((outcome.revoked, outcome.spared_count), (1, 3));
    let spared: HashSet<String> = outcome.spared.into_iter().collect();
    let expected: HashSet<String> = [&wide, &foreign, &claimed].map(|k| k.id.clone()).into();
    assert_eq!(spared, expected);
    assert!(stored(store, &plain).await.revoked);
    for key in [&wide, &below_wide, &foreign, &claimed] {
        assert!(!stored(store, key).await.revoked, "{} is spared", key.name);
    }
    let events = super::journal_events(store, &root.id).await;
    assert_eq!(events[0].outcome.as_ref().unwrap().spared_count, 3);
}

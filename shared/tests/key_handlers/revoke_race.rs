//! `POST /keys/{id}/revoke` racing a change of the same key: an update that lands between
//! revoke's read of the key and its write.

use super::support::{created_event, record};
use async_trait::async_trait;
use keyauth::domain::audit::{self, EventType, KeyEvent};
use keyauth::domain::caller::Caller;
use keyauth::domain::cascade::KeyRef;
use keyauth::domain::clock::Millis;
use keyauth::domain::error::DomainError;
use keyauth::domain::hashing::KeyHash;
use keyauth::domain::ids::KeyId;
use keyauth::domain::key::ApiKeyRecord;
use keyauth::domain::limits::{Balance, CreditsSpend, RateLimit, RateTake, Refill, Window};
use keyauth::operations::revoke::revoke_key;
use keyauth::store::error::StoreError;
use keyauth::store::memory::MemoryStore;
use keyauth::store::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

const NOW: i64 = 1_000_000;

/// The memory store, with `update` applied just before the first revoke reaches it (what
/// a PATCH racing the revoke does), or, `always_changed`, refusing every revoke as
/// changed meanwhile; with `stale_index`, the id index answers an older version of the key
/// (DynamoDB's global secondary indexes are eventually consistent).
struct UpdatedMeanwhile {
    inner: MemoryStore,
    update: Mutex<Option<(ApiKeyRecord, i64, KeyEvent)>>,
    always_changed: bool,
    revokes: AtomicUsize,
    stale_index: Option<ApiKeyRecord>,
}

#[async_trait]
impl KeyReader for UpdatedMeanwhile {
    async fn get_by_hash(&self, hash: &KeyHash) -> StoreResult<Option<ApiKeyRecord>> {
        self.inner.get_by_hash(hash).await
    }
    async fn get_by_id(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        match &self.stale_index {
            Some(stale) if stale.id == id => Ok(Some(stale.clone())),
            _ => self.inner.get_by_id(id).await,
        }
    }
}

#[async_trait]
impl KeyLister for UpdatedMeanwhile {
    async fn list_by_subject(&self, subject: &str, query: &ListQuery) -> StoreResult<KeyPage> {
        self.inner.list_by_subject(subject, query).await
    }
    async fn children_of(&self, creator: &str) -> StoreResult<Vec<KeyRef>> {
        self.inner.children_of(creator).await
    }
}

/// No limits on these keys: the live balance is never read, but revoke may ask.
#[async_trait]
impl UsageLimiter for UpdatedMeanwhile {
    async fn take_rate(
        &self,
        limits_id: &str,
        limit: &RateLimit,
        window: &Window,
        cost: u64,
    ) -> StoreResult<RateTake> {
        self.inner.take_rate(limits_id, limit, window, cost).await
    }
    async fn spend_credits(
        &self,
        limits_id: &str,
        cost: u64,
        refill: Option<&Refill>,
        now: Millis,
    ) -> StoreResult<CreditsSpend> {
        self.inner.spend_credits(limits_id, cost, refill, now).await
    }
    async fn set_credits(&self, limits_id: &str, balance: Balance) -> StoreResult<()> {
        self.inner.set_credits(limits_id, balance).await
    }
    async fn credits(&self, limits_id: &str) -> StoreResult<Option<Balance>> {
        self.inner.credits(limits_id).await
    }
}

/// A deadline no test reaches.
fn later() -> std::time::Instant {
    std::time::Instant::now() + std::time::Duration::from_secs(600)
}

fn id(key: &ApiKeyRecord) -> KeyId {
    KeyId::parse(&key.id).unwrap()
}

#[async_trait]
impl KeyRevoker for UpdatedMeanwhile {
    async fn revoke(
        &self,
        key: &ApiKeyRecord,
        reason: Option<&str>,
        event: &KeyEvent,
    ) -> StoreResult<ApiKeyRecord> {
        self.revokes.fetch_add(1, SeqCst);
        let pending = self.update.lock().unwrap().take();
        if let Some((after, read_at, updated)) = pending {
            self.inner
                .update(&after, read_at, &updated, None)
                .await
                .unwrap();
        }
        if self.always_changed {
            return Err(StoreError::Changed);
        }
        self.inner.revoke(key, reason, event).await
    }
}

/// A stored key and a store that updates it (by `change`, a minute after `NOW`) once
/// revoke has read it.
async fn raced(
    change: impl FnOnce(&mut ApiKeyRecord),
) -> (UpdatedMeanwhile, ApiKeyRecord, ApiKeyRecord) {
    let inner = MemoryStore::new();
    let key = record("user_r", "raced", NOW - 10);
    inner.put_new(&key, &created_event(&key)).await.unwrap();
    let mut after = key.clone();
    change(&mut after);
    after.updated_at = NOW + 60_000;
    let changes = audit::between(Some(&key), &after);
    let operator = Caller::operator("test");
    let updated = KeyEvent::new(
        &key.id,
        EventType::Updated,
        after.updated_at,
        &operator,
        changes,
    );
    let store = UpdatedMeanwhile {
        inner,
        update: Mutex::new(Some((after.clone(), key.updated_at, updated.unwrap()))),
        always_changed: false,
        revokes: AtomicUsize::new(0),
        stale_index: None,
    };
    (store, key, after)
}

async fn kinds(store: &UpdatedMeanwhile, id: &str) -> Vec<(EventType, i64)> {
    let query = EventQuery {
        limit: 10,
        cursor: None,
        now: NOW,
    };
    let page = store.inner.list_events(id, &query).await.unwrap();
    page.items.iter().map(|e| (e.kind, e.at)).collect()
}

/// Timed later than the revoke would be, the update wins: revoke reads the key again and
/// is recorded after it, never before.
#[tokio::test]
async fn a_revoke_racing_an_update_is_recorded_after_it() {
    let (store, key, after) = raced(|k| k.name = "renamed meanwhile".into()).await;
    let operator = Caller::operator("test");
    let request = Default::default();
    let view = revoke_key(&store, &operator, &id(&key), request, NOW, later())
        .await
        .unwrap();
    assert!(view.key.revoked);
    let stored = store.get_by_hash(&key.key_hash).await.unwrap().unwrap();
    assert_eq!(stored.name, "renamed meanwhile", "the update is kept");
    assert_eq!(stored.revoked_at, Some(after.updated_at + 1));
    assert_eq!(
        kinds(&store, &key.id).await,
        [
            (EventType::Revoked, after.updated_at + 1),
            (EventType::Updated, after.updated_at),
            (EventType::Created, key.created_at),
        ]
    );
    assert_eq!(store.revokes.load(SeqCst), 2);
}

/// The key read again now holds a scope the caller lacks: the narrow-key rule applies to
/// it as it is, 403, and nothing is revoked.
#[tokio::test]
async fn a_key_broadened_meanwhile_is_checked_again() {
    let (store, key, after) = raced(|k| k.scopes.push("products:write".into())).await;
    let mut narrow = Caller::operator("test");
    narrow.scopes = vec!["keys:read".into(), "keys:write".into()];
    narrow.subject = key.subject.clone();
    let request = Default::default();
    let err = revoke_key(&store, &narrow, &id(&key), request, NOW, later())
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
    let stored = store.get_by_hash(&key.key_hash).await.unwrap().unwrap();
    assert!(!stored.revoked);
    assert_eq!(
        kinds(&store, &key.id).await,
        [
            (EventType::Updated, after.updated_at),
            (EventType::Created, key.created_at)
        ]
    );
}

/// A key that keeps changing under the revoke: three tries, then 409, nothing revoked.
#[tokio::test]
async fn a_key_that_keeps_changing_is_a_conflict_after_three_tries() {
    let (mut store, key, _) = raced(|k| k.name = "busy".into()).await;
    store.always_changed = true;
    let operator = Caller::operator("test");
    let request = Default::default();
    let err = revoke_key(&store, &operator, &id(&key), request, NOW, later())
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
    assert_eq!(store.revokes.load(SeqCst), 3);
    assert!(
        !store
            .get_by_hash(&key.key_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
}

/// The id index still shows the key as it was before a scope was added to it. Authority is
/// judged on the key read by its primary key, as stored now: the narrow caller is refused
/// and nothing is revoked.
#[tokio::test]
async fn authority_is_judged_on_the_key_as_stored_not_as_indexed() {
    let inner = MemoryStore::new();
    let key = record("user_r", "indexed late", NOW - 10);
    inner.put_new(&key, &created_event(&key)).await.unwrap();
    let mut broadened = key.clone();
    broadened.scopes.push("products:write".into());
    broadened.updated_at = NOW - 5;
    let operator = Caller::operator("test");
    let changes = audit::between(Some(&key), &broadened);
    let event = KeyEvent::new(&key.id, EventType::Updated, NOW - 5, &operator, changes);
    inner
        .update(&broadened, key.updated_at, &event.unwrap(), None)
        .await
        .unwrap();
    let store = UpdatedMeanwhile {
        inner,
        update: Mutex::new(None),
        always_changed: false,
        revokes: AtomicUsize::new(0),
        stale_index: Some(key.clone()),
    };
    let mut narrow = Caller::operator("test");
    narrow.scopes = vec!["keys:read".into(), "keys:write".into()];
    narrow.subject = key.subject.clone();
    let err = revoke_key(&store, &narrow, &id(&key), Default::default(), NOW, later())
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
    let stored = store.get_by_hash(&key.key_hash).await.unwrap().unwrap();
    assert!(!stored.revoked);
    assert_eq!(store.revokes.load(SeqCst), 0);
}

delegate_cascade_journal!(UpdatedMeanwhile);

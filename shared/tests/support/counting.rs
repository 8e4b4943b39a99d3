//! A store wrapper that counts calls, to prove what the hot paths cost.
use async_trait::async_trait;
use keyauth::domain::audit::KeyEvent;
use keyauth::domain::cascade::{CascadeJob, CascadeState, KeyRef};
use keyauth::domain::clock::Millis;
use keyauth::domain::hashing::KeyHash;
use keyauth::domain::key::ApiKeyRecord;
use keyauth::domain::limits::{
    Balance, BalanceWrite, CreditsSpend, RateLimit, RateTake, Refill, Window,
};
use keyauth::domain::product::Product;
use keyauth::store::*;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

#[derive(Default)]
pub struct Counts {
    pub reads: AtomicUsize,
    pub writes: AtomicUsize,
}

impl Counts {
    pub fn reads(&self) -> usize {
        self.reads.load(SeqCst)
    }
    pub fn writes(&self) -> usize {
        self.writes.load(SeqCst)
    }
    pub fn reset(&self) {
        self.reads.store(0, SeqCst);
        self.writes.store(0, SeqCst);
    }
}

pub struct Counting<S> {
    pub inner: S,
    pub counts: Counts,
}

impl<S> Counting<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            counts: Counts::default(),
        }
    }
    fn read(&self) {
        self.counts.reads.fetch_add(1, SeqCst);
    }
    fn write(&self) {
        self.counts.writes.fetch_add(1, SeqCst);
    }
}

#[async_trait]
impl<S: KeyReader> KeyReader for Counting<S> {
    async fn get_by_hash(&self, hash: &KeyHash) -> StoreResult<Option<ApiKeyRecord>> {
        self.read();
        self.inner.get_by_hash(hash).await
    }
    async fn get_by_id(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        self.read();
        self.inner.get_by_id(id).await
    }
}

#[async_trait]
impl<S: UsageRecorder> UsageRecorder for Counting<S> {
    async fn touch_last_used(&self, h: &KeyHash, now: Millis, min: Millis) -> StoreResult<bool> {
        self.write();
        self.inner.touch_last_used(h, now, min).await
    }
}

#[async_trait]
impl<S: KeyWriter> KeyWriter for Counting<S> {
    async fn put_new(&self, key: &ApiKeyRecord, event: &KeyEvent) -> StoreResult<()> {
        self.write();
        self.inner.put_new(key, event).await
    }
}

#[async_trait]
impl<S: KeyLister> KeyLister for Counting<S> {
    async fn list_by_subject(&self, subject: &str, q: &ListQuery) -> StoreResult<KeyPage> {
        self.read();
        self.inner.list_by_subject(subject, q).await
    }
    async fn children_of(&self, creator: &str) -> StoreResult<Vec<KeyRef>> {
        self.read();
        self.inner.children_of(creator).await
    }
}

#[async_trait]
impl<S: KeyUpdater> KeyUpdater for Counting<S> {
    async fn update(
        &self,
        key: &ApiKeyRecord,
        read_at: Millis,
        event: &KeyEvent,
        balance: Option<&BalanceWrite>,
    ) -> StoreResult<ApiKeyRecord> {
        self.write();
        self.inner.update(key, read_at, event, balance).await
    }
}

#[async_trait]
impl<S: UsageLimiter> UsageLimiter for Counting<S> {
    async fn take_rate(
        &self,
        limits_id: &str,
        limit: &RateLimit,
        window: &Window,
        cost: u64,
    ) -> StoreResult<RateTake> {
        self.write();
        self.inner.take_rate(limits_id, limit, window, cost).await
    }
    async fn spend_credits(
        &self,
        limits_id: &str,
        cost: u64,
        refill: Option<&Refill>,
        now: Millis,
    ) -> StoreResult<CreditsSpend> {
        self.write();
        self.inner.spend_credits(limits_id, cost, refill, now).await
    }
    async fn set_credits(&self, limits_id: &str, balance: Balance) -> StoreResult<()> {
        self.write();
        self.inner.set_credits(limits_id, balance).await
    }
    async fn credits(&self, limits_id: &str) -> StoreResult<Option<Balance>> {
        self.read();
        self.inner.credits(limits_id).await
    }
}

#[async_trait]
impl<S: KeyRerollWriter> KeyRerollWriter for Counting<S> {
    async fn reroll(
        &self,
        old: &ApiKeyRecord,
        read_at: Millis,
        new: &ApiKeyRecord,
        events: [&KeyEvent; 2],
    ) -> StoreResult<()> {
        self.write();
        self.inner.reroll(old, read_at, new, events).await
    }
}

#[async_trait]
impl<S: KeyRevoker> KeyRevoker for Counting<S> {
    async fn revoke(
        &self,
        key: &ApiKeyRecord,
        reason: Option<&str>,
        event: &KeyEvent,
    ) -> StoreResult<ApiKeyRecord> {
        self.write();
        self.inner.revoke(key, reason, event).await
    }
}

#[async_trait]
impl<S: EventLister> EventLister for Counting<S> {
    async fn list_events(&self, key_id: &str, q: &EventQuery) -> StoreResult<EventPage> {
        self.read();
        self.inner.list_events(key_id, q).await
    }
}

#[async_trait]
impl<S: ProductWriter> ProductWriter for Counting<S> {
    async fn put_product(&self, p: &Product) -> StoreResult<()> {
        self.write();
        self.inner.put_product(p).await
    }
}

#[async_trait]
impl<S: CascadeJournal> CascadeJournal for Counting<S> {
    async fn save_cascade(
        &self,
        root: &KeyHash,
        job: &CascadeJob,
        state: CascadeState,
        replacing: Option<&str>,
    ) -> StoreResult<bool> {
        self.write();
        self.inner.save_cascade(root, job, state, replacing).await
    }
    async fn cascade_of(&self, root: &KeyHash) -> StoreResult<Option<(CascadeJob, CascadeState)>> {
        self.read();
        self.inner.cascade_of(root).await
    }
    async fn finish_cascade(
        &self,
        root: &KeyHash,
        job: &CascadeJob,
        event: &KeyEvent,
    ) -> StoreResult<bool> {
        self.write();
        self.inner.finish_cascade(root, job, event).await
    }
}

#[async_trait]
impl<S: PendingCascades> PendingCascades for Counting<S> {
    async fn pending_cascades(&self) -> StoreResult<Vec<KeyHash>> {
        self.read();
        self.inner.pending_cascades().await
    }
}

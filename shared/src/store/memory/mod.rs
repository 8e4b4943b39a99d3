//! In-process store with the DynamoDB store's semantics: the local server's default and
//! the fast half of the contract tests.

use crate::domain::audit::Retention;
use crate::domain::cascade::KeyRef;
use crate::domain::limits::BalanceWrite;
use crate::store::ApiKeyRecord;
use crate::store::Balance;
use crate::store::CreditsSpend;
use crate::store::EventLister;
use crate::store::EventPage;
use crate::store::EventQuery;
use crate::store::KeyEvent;
use crate::store::KeyHash;
use crate::store::KeyLister;
use crate::store::KeyPage;
use crate::store::KeyReader;
use crate::store::KeyRerollWriter;
use crate::store::KeyRevoker;
use crate::store::KeyUpdater;
use crate::store::KeyWriter;
use crate::store::ListQuery;
use crate::store::Millis;
use crate::store::PageCollector;
use crate::store::Product;
use crate::store::ProductWriter;
use crate::store::RateLimit;
use crate::store::RateTake;
use crate::store::Refill;
use crate::store::StoreError;
use crate::store::StoreResult;
use crate::store::UsageLimiter;
use crate::store::UsageRecorder;
use crate::store::Window;
use crate::store::event_page;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::RwLock;

mod cascades;

/// Keys, their events and products in process memory. A change and its event are written
/// under the keys lock, so no reader sees one without the other.
#[derive(Default)]
pub struct MemoryStore {
    keys: RwLock<HashMap<KeyHash, ApiKeyRecord>>,
    /// Each event with its expiry in epoch seconds.
    events: RwLock<Vec<(KeyEvent, i64)>>,
    products: RwLock<HashMap<String, Product>>,
    /// Usage counters by name, as in the usage table: window counts and balances.
    windows: RwLock<HashMap<String, u64>>,
    balances: RwLock<HashMap<String, Balance>>,
    /// Cascade jobs by root key, as kept on the root's item in DynamoDB.
    cascades: RwLock<HashMap<KeyHash, cascades::Kept>>,
    retention: Retention,
}

impl MemoryStore {
    /// An empty store keeping events for the default retention.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store keeping events this long.
    pub fn with_retention(retention: Retention) -> Self {
        Self {
            retention,
            ..Self::default()
        }
    }

    fn record(&self, events: &[&KeyEvent]) {
        let mut stored = self.events.write().expect("lock");
        for event in events {
            stored.push(((*event).clone(), self.retention.expires_at(event.at)));
        }
    }

    /// Sets or removes a balance; called under the keys lock by the change it goes with.
    fn write_balance(&self, limits_id: &str, write: &BalanceWrite) {
        let mut balances = self.balances.write().expect("lock");
        let name = crate::domain::limits::credits_counter(limits_id);
        match write {
            BalanceWrite::Set(balance) => {
                balances.insert(name, *balance);
            }
            BalanceWrite::Remove => {
                balances.remove(&name);
            }
        }
    }

    /// A stored product, for tests.
    pub fn product(&self, id: &str) -> Option<Product> {
        self.products.read().expect("lock").get(id).cloned()
    }
}

/// Newest first; ties broken by hash, descending, as a total order.
fn listing_order(a: &ApiKeyRecord, b: &ApiKeyRecord) -> std::cmp::Ordering {
    b.created_at
        .cmp(&a.created_at)
        .then_with(|| b.key_hash.as_str().cmp(a.key_hash.as_str()))
}

#[async_trait]
impl KeyWriter for MemoryStore {
    async fn put_new(&self, key: &ApiKeyRecord, event: &KeyEvent) -> StoreResult<()> {
        let mut keys = self.keys.write().expect("lock");
        if keys.contains_key(&key.key_hash) {
            return Err(StoreError::AlreadyExists);
        }
        keys.insert(key.key_hash.clone(), key.clone());
        self.record(&[event]);
        // A key that inherited its creator's limits spends the creator's balance as it is.
        if let Some(credits) = key.credits.as_ref().filter(|_| !key.inherited_limits) {
            let balance = Balance {
                remaining: credits.remaining,
                refilled_at: key.created_at,
            };
            self.write_balance(key.limits_id(), &BalanceWrite::Set(balance));
        }
        Ok(())
    }
}

#[async_trait]
impl KeyReader for MemoryStore {
    async fn get_by_hash(&self, hash: &KeyHash) -> StoreResult<Option<ApiKeyRecord>> {
        Ok(self.keys.read().expect("lock").get(hash).cloned())
    }

    async fn get_by_id(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let keys = self.keys.read().expect("lock");
        Ok(keys.values().find(|k| k.id == id).cloned())
    }
}

#[async_trait]
impl KeyLister for MemoryStore {
    async fn list_by_subject(&self, subject: &str, query: &ListQuery) -> StoreResult<KeyPage> {
        let keys = self.keys.read().expect("lock");
        let mut mine: Vec<&ApiKeyRecord> = keys.values().filter(|k| k.subject == subject).collect();
        mine.sort_by(|a, b| listing_order(a, b));
        let start = match &query.cursor {
            None => 0,
            Some(cursor) => {
                let at = mine
                    .iter()
                    .position(|k| k.id == cursor.id && k.created_at == cursor.created_at)
                    .ok_or(StoreError::InvalidCursor)?;
                at + 1
            }
        };
        let mut collector = PageCollector::new(query);
        let mut rest = mine[start..].iter().peekable();
        while let Some(key) = rest.next() {
            if collector.offer((*key).clone()) {
                return Ok(collector.finish(rest.peek().is_some()));
            }
        }
        Ok(collector.finish(false))
    }

    async fn children_of(&self, creator: &str) -> StoreResult<Vec<KeyRef>> {
        let keys = self.keys.read().expect("lock");
        Ok(keys
            .values()
            .filter(|k| k.created_by.as_deref() == Some(creator))
            .map(KeyRef::from)
            .collect())
    }
}

#[async_trait]
impl KeyRevoker for MemoryStore {
    async fn revoke(
        &self,
        key: &ApiKeyRecord,
        reason: Option<&str>,
        event: &KeyEvent,
    ) -> StoreResult<ApiKeyRecord> {
        let mut keys = self.keys.write().expect("lock");
        let stored = keys.get_mut(&key.key_hash).ok_or(StoreError::NotFound)?;
        if !stored.revoked {
            if stored.updated_at != key.updated_at || stored.updated_at >= event.at {
                return Err(StoreError::Changed);
            }
            stored.revoked = true;
            stored.revoked_at = Some(event.at);
            stored.revocation_reason = reason.map(str::to_owned);
            stored.updated_at = event.at;
            self.record(&[event]);
        }
        Ok(stored.clone())
    }
}

#[async_trait]
impl KeyUpdater for MemoryStore {
    async fn update(
        &self,
        key: &ApiKeyRecord,
        read_at: Millis,
        event: &KeyEvent,
        balance: Option<&BalanceWrite>,
    ) -> StoreResult<ApiKeyRecord> {
        let mut keys = self.keys.write().expect("lock");
        let stored = keys.get_mut(&key.key_hash).ok_or(StoreError::NotFound)?;
        if !is_changeable(stored, read_at) {
            return Err(StoreError::Changed);
        }
        self.record(&[event]);
        if let Some(balance) = balance {
            self.write_balance(key.limits_id(), balance);
        }
        stored.ratelimit = key.ratelimit;
        stored.credits = key.credits;
        stored.name.clone_from(&key.name);
        stored.description.clone_from(&key.description);
        stored.scopes.clone_from(&key.scopes);
        stored.claims.clone_from(&key.claims);
        stored.expiration = key.expiration;
        stored.updated_at = key.updated_at;
        Ok(stored.clone())
    }
}

/// Neither revoked nor rerolled, and unchanged since it was read.
fn is_changeable(stored: &ApiKeyRecord, read_at: Millis) -> bool {
    !stored.revoked && stored.rerolled_to.is_none() && stored.updated_at == read_at
}

#[async_trait]
impl KeyRerollWriter for MemoryStore {
    async fn reroll(
        &self,
        old: &ApiKeyRecord,
        read_at: Millis,
        new: &ApiKeyRecord,
        events: [&KeyEvent; 2],
    ) -> StoreResult<()> {
        let mut keys = self.keys.write().expect("lock");
        if keys.contains_key(&new.key_hash) {
            return Err(StoreError::AlreadyExists);
        }
        let stored = keys.get_mut(&old.key_hash).ok_or(StoreError::NotFound)?;
        if !is_changeable(stored, read_at) {
            return Err(StoreError::Changed);
        }
        stored.expiration = old.expiration;
        stored.rerolled_to.clone_from(&old.rerolled_to);
        stored.updated_at = old.updated_at;
        keys.insert(new.key_hash.clone(), new.clone());
        self.record(&events);
        Ok(())
    }
}

#[async_trait]
impl EventLister for MemoryStore {
    async fn list_events(&self, key_id: &str, query: &EventQuery) -> StoreResult<EventPage> {
        let events = self.events.read().expect("lock");
        let after = query
            .cursor
            .as_ref()
            .map(|c| crate::domain::audit::event_key(c.created_at, &c.id));
        let mut mine: Vec<&(KeyEvent, i64)> = events
            .iter()
            .filter(|(e, _)| e.key_id == key_id)
            .filter(|(e, _)| after.as_ref().is_none_or(|a| e.event_key < *a))
            .collect();
        mine.sort_by(|a, b| b.0.event_key.cmp(&a.0.event_key));
        Ok(event_page(
            mine.into_iter()
                .take(query.limit + 1)
                .map(|(e, expires)| (e.clone(), *expires)),
            query,
        ))
    }
}

#[async_trait]
impl UsageRecorder for MemoryStore {
    async fn touch_last_used(
        &self,
        hash: &KeyHash,
        now: Millis,
        min_interval_ms: Millis,
    ) -> StoreResult<bool> {
        let mut keys = self.keys.write().expect("lock");
        let Some(key) = keys.get_mut(hash) else {
            return Ok(false);
        };
        if key.used_within(now, min_interval_ms) {
            return Ok(false);
        }
        key.last_used_at = Some(now);
        Ok(true)
    }
}

#[async_trait]
impl UsageLimiter for MemoryStore {
    async fn take_rate(
        &self,
        limits_id: &str,
        limit: &RateLimit,
        window: &Window,
        cost: u64,
    ) -> StoreResult<RateTake> {
        let mut windows = self.windows.write().expect("lock");
        let count = windows
            .entry(crate::domain::limits::window_counter(limits_id, window))
            .or_default();
        if cost == 0 {
            let allowed = *count < limit.limit;
            return Ok(RateTake {
                allowed,
                count: *count,
            });
        }
        let allowed = count.saturating_add(cost) <= limit.limit;
        if allowed {
            *count += cost;
        }
        Ok(RateTake {
            allowed,
            count: *count,
        })
    }

    async fn spend_credits(
        &self,
        limits_id: &str,
        cost: u64,
        refill: Option<&Refill>,
        now: Millis,
    ) -> StoreResult<CreditsSpend> {
        let mut balances = self.balances.write().expect("lock");
        let name = crate::domain::limits::credits_counter(limits_id);
        let balance = balances.get(&name).copied().unwrap_or(Balance {
            remaining: 0,
            refilled_at: 0,
        });
        let decision = crate::domain::limits::decide(balance, cost, refill, now);
        if let Some(after) = decision.store {
            balances.insert(name, after);
        }
        Ok(decision.spend)
    }

    async fn set_credits(&self, limits_id: &str, balance: Balance) -> StoreResult<()> {
        self.balances
            .write()
            .expect("lock")
            .insert(crate::domain::limits::credits_counter(limits_id), balance);
        Ok(())
    }

    async fn credits(&self, limits_id: &str) -> StoreResult<Option<Balance>> {
        let balances = self.balances.read().expect("lock");
        Ok(balances
            .get(&crate::domain::limits::credits_counter(limits_id))
            .copied())
    }
}

#[async_trait]
impl ProductWriter for MemoryStore {
    async fn put_product(&self, product: &Product) -> StoreResult<()> {
        let mut products = self.products.write().expect("lock");
        if products.contains_key(&product.id) {
            return Err(StoreError::AlreadyExists);
        }
        products.insert(product.id.clone(), product.clone());
        Ok(())
    }
}

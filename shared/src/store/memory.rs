//! In-process store with the DynamoDB store's semantics: the local server's default and
//! the fast half of the contract tests.

use super::*;
use std::collections::HashMap;
use std::sync::RwLock;

/// Keys and products in process memory.
#[derive(Default)]
pub struct MemoryStore {
    keys: RwLock<HashMap<KeyHash, ApiKeyRecord>>,
    products: RwLock<HashMap<String, Product>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
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
    async fn put_new(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        let mut keys = self.keys.write().expect("lock");
        if keys.contains_key(&key.key_hash) {
            return Err(StoreError::AlreadyExists);
        }
        keys.insert(key.key_hash.clone(), key.clone());
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

    async fn children_of(&self, creator: &str, at_most: usize) -> StoreResult<Vec<ApiKeyRecord>> {
        let keys = self.keys.read().expect("lock");
        Ok(keys
            .values()
            .filter(|k| k.created_by.as_deref() == Some(creator))
            .take(at_most + 1)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl KeyRevoker for MemoryStore {
    async fn revoke(
        &self,
        hash: &KeyHash,
        reason: Option<&str>,
        now: Millis,
    ) -> StoreResult<ApiKeyRecord> {
        let mut keys = self.keys.write().expect("lock");
        let key = keys.get_mut(hash).ok_or(StoreError::NotFound)?;
        if !key.revoked {
            key.revoked = true;
            key.revoked_at = Some(now);
            key.revocation_reason = reason.map(str::to_owned);
            key.updated_at = now;
        }
        Ok(key.clone())
    }
}

#[async_trait]
impl KeyUpdater for MemoryStore {
    async fn update(&self, key: &ApiKeyRecord, read_at: Millis) -> StoreResult<ApiKeyRecord> {
        let mut keys = self.keys.write().expect("lock");
        let stored = keys.get_mut(&key.key_hash).ok_or(StoreError::NotFound)?;
        if stored.revoked || stored.updated_at != read_at {
            return Err(StoreError::Changed);
        }
        stored.name.clone_from(&key.name);
        stored.description.clone_from(&key.description);
        stored.scopes.clone_from(&key.scopes);
        stored.claims.clone_from(&key.claims);
        stored.expiration = key.expiration;
        stored.updated_at = key.updated_at;
        Ok(stored.clone())
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

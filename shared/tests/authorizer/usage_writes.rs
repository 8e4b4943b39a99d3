//! The usage write (`lastUsedAt`) is bookkeeping: failing or slow, it never denies a valid
//! key, and it holds the answer back no longer than its bound.

use super::*;

/// Reads work, usage writes fail (or, with a delay, hang that long): the key must still
/// be allowed, in time.
struct BrokenUsage(MemoryStore, Option<std::time::Duration>);

#[async_trait]
impl KeyReader for BrokenUsage {
    async fn get_by_hash(&self, hash: &KeyHash) -> StoreResult<Option<ApiKeyRecord>> {
        self.0.get_by_hash(hash).await
    }
    async fn get_by_id(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        self.0.get_by_id(id).await
    }
}

#[async_trait]
impl UsageRecorder for BrokenUsage {
    async fn touch_last_used(&self, _: &KeyHash, _: Millis, _: Millis) -> StoreResult<bool> {
        if let Some(delay) = self.1 {
            tokio::time::sleep(delay).await;
            return Ok(true);
        }
        Err(StoreError::Backend {
            operation: "UpdateItem",
            source: "throttled".into(),
        })
    }
}

/// Keys without limits never reach the counters.
#[async_trait]
impl UsageLimiter for BrokenUsage {
    async fn take_rate(&self, _: &str, _: &RateLimit, _: &Window, _: u64) -> StoreResult<RateTake> {
        unreachable!("no key here has a rate limit")
    }
    async fn spend_credits(
        &self,
        _: &str,
        _: u64,
        _: Option<&Refill>,
        _: Millis,
    ) -> StoreResult<CreditsSpend> {
        unreachable!("no key here has credits")
    }
    async fn set_credits(&self, _: &str, _: Balance) -> StoreResult<()> {
        unreachable!("no key here has credits")
    }
    async fn credits(&self, _: &str) -> StoreResult<Option<Balance>> {
        unreachable!("no key here has credits")
    }
}

#[tokio::test]
async fn a_failed_last_used_write_never_denies_a_valid_key() {
    let inner = MemoryStore::new();
    let (_, secret) = create(&inner, "user_1", &["products:write"]).await;
    let store = BrokenUsage(inner, None);
    let answer = authorize(
        &store,
        rest_event("POST", "/products", Some(&secret)),
        now_ms(),
    )
    .await;
    assert!(answer.is_ok(), "{answer:?}");
}

/// A usage write that hangs holds the answer back no longer than its bound: the cache
/// flush's second flush counts on the authorizer answering within it of its read.
#[tokio::test(start_paused = true)]
async fn a_slow_last_used_write_delays_the_answer_only_to_its_bound() {
    use keyauth::operations::authenticate::USAGE_WRITE_BOUND;
    let inner = MemoryStore::new();
    let (_, secret) = create(&inner, "user_1", &["products:write"]).await;
    let store = BrokenUsage(inner, Some(std::time::Duration::from_secs(10)));
    let started = tokio::time::Instant::now();
    let event = rest_event("POST", "/products", Some(&secret));
    let answer = authorize(&store, event, now_ms()).await.unwrap();
    assert_eq!(started.elapsed(), USAGE_WRITE_BOUND);
    assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Allow");
}

//! API Gateway's authorizer cache, as the deployed stack runs it with
//! `AuthorizerCacheTtl > 0`: the authorizer's policy is kept per `x-api-key` value and
//! reused for every route until its TTL ends, and the stage's whole cache is flushed when
//! a key is revoked, updated or rerolled (in AWS the keys table's stream drives that flush).
//! Only policies are cached; a refusal (401) or a failure is asked again next time.

use keyauth::edge::authorizer::RestAnswer;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// API Gateway's largest authorizer cache TTL.
pub const MAX_TTL_SECONDS: u64 = 3600;

/// Policies by identity source value; off (nothing kept) with a TTL of zero.
#[derive(Default)]
pub struct AuthorizerCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, RestAnswer)>>,
}

impl AuthorizerCache {
    /// A cache keeping each policy for `ttl` (zero: off).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::default(),
        }
    }

    /// The policy cached for this key value, while its TTL lasts.
    pub fn get(&self, api_key: &str) -> Option<RestAnswer> {
        let mut entries = self.entries.lock().expect("lock");
        match entries.get(api_key) {
            Some((until, policy)) if Instant::now() < *until => Some(policy.clone()),
            Some(_) => {
                entries.remove(api_key);
                None
            }
            None => None,
        }
    }

    /// Keeps `policy` for this key value, if the cache is on.
    pub fn put(&self, api_key: &str, policy: &RestAnswer) {
        if self.ttl.is_zero() {
            return;
        }
        let until = Instant::now() + self.ttl;
        self.entries
            .lock()
            .expect("lock")
            .insert(api_key.to_owned(), (until, policy.clone()));
    }

    /// `FlushStageAuthorizersCache`: forget every policy.
    pub fn flush(&self) {
        self.entries.lock().expect("lock").clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn answer() -> RestAnswer {
        RestAnswer {
            principal_id: "user_1".into(),
            policy_document: Arc::from(
                serde_json::value::RawValue::from_string("{}".into()).unwrap(),
            ),
            context: serde_json::json!({}),
        }
    }

    #[test]
    fn off_at_zero_kept_per_key_and_flushed_whole() {
        let policy = answer();
        let off = AuthorizerCache::new(Duration::ZERO);
        off.put("sk_a", &policy);
        assert!(off.get("sk_a").is_none());

        let on = AuthorizerCache::new(Duration::from_secs(300));
        on.put("sk_a", &policy);
        on.put("sk_b", &policy);
        assert!(on.get("sk_a").is_some());
        assert!(on.get("sk_c").is_none());
        on.flush();
        assert!(on.get("sk_a").is_none() && on.get("sk_b").is_none());
    }

    #[test]
    fn an_entry_ends_with_its_ttl() {
        let cache = AuthorizerCache::new(Duration::from_secs(300));
        let policy = answer();
        cache.put("sk_a", &policy);
        // Age the entry past its TTL instead of waiting for it.
        let past = Instant::now() - Duration::from_secs(1);
        cache.entries.lock().unwrap().get_mut("sk_a").unwrap().0 = past;
        assert!(cache.get("sk_a").is_none());
        assert!(
            cache.entries.lock().unwrap().is_empty(),
            "an ended entry is dropped"
        );
    }
}

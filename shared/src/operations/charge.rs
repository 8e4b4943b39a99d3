//! Charging a request to a key's limits: the rate limit first (one request), then the
//! credits (`cost` of them). Shared by the verify endpoint and the authorizer.

use crate::domain::clock::Millis;
use crate::domain::key::ApiKeyRecord;
use crate::domain::limits::{RateLimit, Window};
use crate::store::UsageLimiter;
use crate::store::error::StoreError;
use serde::{Deserialize, Serialize};

/// Why a request over a key's limits is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The rate limit's window is full.
    RateLimited,
    /// Not enough credits left.
    UsageExceeded,
}

impl Refusal {
    /// The API's `error.code` for it.
    pub fn code(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::UsageExceeded => "usage_exceeded",
        }
    }
}

/// A rate limit's state after a request, as verify shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimitState {
    /// Requests a window allows.
    pub limit: u64,
    /// Requests left in this window.
    pub remaining: u64,
    /// When the next window starts (epoch ms).
    pub reset: Millis,
}

/// Credits after a request, as verify shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditsState {
    /// Credits left.
    pub remaining: u64,
}

/// What charging a request gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Charge {
    /// Why the request is refused, if it is.
    pub refusal: Option<Refusal>,
    /// The rate limit's state, if the key has one.
    pub ratelimit: Option<RateLimitState>,
    /// The credits left, if the key has credits (unknown when the rate limit refused first).
    pub credits: Option<CreditsState>,
}

/// Charges a request of `cost` credits (0: only look) to `key`'s limits at `now`. A key
/// without limits costs no call. A refused rate limit spends no credits.
pub async fn charge(
    store: &dyn UsageLimiter,
    key: &ApiKeyRecord,
    cost: u64,
    now: Millis,
) -> Result<Charge, StoreError> {
    let mut charge = Charge::default();
    if !key.has_limits() {
        return Ok(charge);
    }
    let limits_id = key.limits_id();
    if let Some(limit) = &key.ratelimit {
        let window: Window = limit.window(now);
        let requests = u64::from(cost > 0);
        let take = store.take_rate(limits_id, limit, &window, requests).await?;
        charge.ratelimit = Some(state(limit, &window, take.count));
        if !take.allowed {
            charge.refusal = Some(Refusal::RateLimited);
            return Ok(charge);
        }
    }
    if let Some(credits) = &key.credits {
        let spend = store
            .spend_credits(limits_id, cost, credits.refill.as_ref(), now)
            .await?;
        charge.credits = Some(CreditsState {
            remaining: spend.remaining,
        });
        if !spend.allowed {
            charge.refusal = Some(Refusal::UsageExceeded);
        }
    }
    Ok(charge)
}

fn state(limit: &RateLimit, window: &Window, count: u64) -> RateLimitState {
    RateLimitState {
        limit: limit.limit,
        remaining: limit.remaining(count),
        reset: window.reset,
    }
}

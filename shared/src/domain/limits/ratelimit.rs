//! Rate limits: at most `limit` requests in each window of `durationMs`.
//!
//! Windows are fixed and aligned to the epoch, so every authorizer instance agrees on them
//! with no coordination and each costs one counter. The price of fixed windows: a burst
//! that straddles a window's end can pass up to twice `limit` within one duration.

use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use serde::{Deserialize, Serialize};

/// Shortest window: one second.
pub const MIN_DURATION_MS: u64 = 1_000;
/// Longest window: one day.
pub const MAX_DURATION_MS: u64 = 86_400_000;
/// Most requests a window may allow (far beyond what one key's counter can take anyway).
pub const MAX_LIMIT: u64 = 1_000_000_000;

/// A key's rate limit, as the API shows and takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RateLimit {
    /// Requests allowed per window, at least 1.
    pub limit: u64,
    /// The window's length, [`MIN_DURATION_MS`] to [`MAX_DURATION_MS`].
    pub duration_ms: u64,
}

/// One window of a rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Its first millisecond (epoch ms, a multiple of the duration).
    pub start: Millis,
    /// The first millisecond after it: when the count starts again.
    pub reset: Millis,
}

/// What taking from a window gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateTake {
    /// Whether the request fits in the window.
    pub allowed: bool,
    /// The window's count after the request (or, refused, as it stands).
    pub count: u64,
}

impl RateLimit {
    /// Checks the bounds; `field` names it in the error.
    pub fn validate(&self, field: &'static str) -> Result<(), DomainError> {
        if !(1..=MAX_LIMIT).contains(&self.limit) {
            return Err(DomainError::invalid(
                field,
                format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
            ));
        }
        if !(MIN_DURATION_MS..=MAX_DURATION_MS).contains(&self.duration_ms) {
            return Err(DomainError::invalid(
                field,
                format!("durationMs must be from {MIN_DURATION_MS} to {MAX_DURATION_MS}"),
            ));
        }
        Ok(())
    }

    /// The window `now` falls in.
    pub fn window(&self, now: Millis) -> Window {
        let duration = i64::try_from(self.duration_ms).unwrap_or(i64::MAX);
        let start = now - now.rem_euclid(duration);
        Window {
            start,
            reset: start.saturating_add(duration),
        }
    }

    /// Requests left in a window that has counted `count`.
    pub fn remaining(&self, count: u64) -> u64 {
        self.limit.saturating_sub(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_to_the_epoch() {
        let limit = RateLimit {
            limit: 2,
            duration_ms: 10_000,
        };
        assert_eq!(
            limit.window(1_234_567),
            Window {
                start: 1_230_000,
                reset: 1_240_000
            }
        );
        assert_eq!(limit.window(1_230_000).start, 1_230_000);
        assert_eq!(limit.window(1_239_999).start, 1_230_000);
        assert_eq!(limit.window(1_240_000).start, 1_240_000);
    }

    #[test]
    fn bounds_are_checked() {
        let ok = RateLimit {
            limit: 1,
            duration_ms: MIN_DURATION_MS,
        };
        assert!(ok.validate("ratelimit").is_ok());
        for bad in [
            RateLimit { limit: 0, ..ok },
            RateLimit {
                duration_ms: MIN_DURATION_MS - 1,
                ..ok
            },
            RateLimit {
                duration_ms: MAX_DURATION_MS + 1,
                ..ok
            },
        ] {
            assert!(bad.validate("ratelimit").is_err(), "{bad:?}");
        }
    }
}

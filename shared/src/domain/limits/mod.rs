//! Usage limits on a key: a rate limit and a balance of credits. This module says what
//! they are and how a request is judged against them; the counters themselves live in the
//! store ([`crate::store::UsageLimiter`]), updated atomically so that concurrent requests
//! never spend the same credit or window slot twice.
//!
//! A key's counters are named by its limits id: its own id, or, for a rerolled key, the id
//! of the key it replaced, so that both keys of a reroll spend from one balance and one
//! window during the grace period.

pub mod credits;
pub mod ratelimit;

pub use credits::{Balance, Credits, CreditsSpend, Refill, RefillInterval, decide};
pub use ratelimit::{RateLimit, RateTake, Window};

/// A change of a balance that goes with a change of its key, in one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceWrite {
    /// Credits set (or replaced).
    Set(Balance),
    /// Credits removed.
    Remove,
}

/// The name of a key's credits counter in the usage table.
pub fn credits_counter(limits_id: &str) -> String {
    format!("credits#{limits_id}")
}

/// The name of one rate-limit window's counter in the usage table.
pub fn window_counter(limits_id: &str, window: &Window) -> String {
    format!("rate#{limits_id}#{}", window.start)
}

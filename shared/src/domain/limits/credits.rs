//! Credits: a balance each request spends `cost` of, never below 0. With a refill, the
//! first use in a new UTC day (`daily`) or month (`monthly`) replaces the balance with
//! `amount` before spending: unused credits do not carry over.

use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use serde::{Deserialize, Serialize};

/// Most credits a balance or a refill may hold: DynamoDB numbers and JSON clients
/// (2^53) both hold it exactly.
pub const MAX_CREDITS: u64 = 1_000_000_000_000;

/// How often a balance is refilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RefillInterval {
    /// At the first use of each UTC day.
    Daily,
    /// At the first use of each UTC month.
    Monthly,
}

/// A refill: the balance becomes `amount` once per interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Refill {
    /// The balance after a refill, at least 1.
    pub amount: u64,
    /// How often.
    pub interval: RefillInterval,
}

/// A key's credits, as the API shows and takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Credits {
    /// The balance: set by create and update, current in every answer.
    pub remaining: u64,
    /// Refilled daily or monthly, or never when absent (`null` is refused: omit it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::domain::json::non_null"
    )]
    pub refill: Option<Refill>,
}

/// A balance as stored: what is left, and when it was last set or refilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    /// Credits left.
    pub remaining: u64,
    /// Epoch ms of the last set or refill.
    pub refilled_at: Millis,
}

/// What a spend gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditsSpend {
    /// Whether the request was paid for.
    pub allowed: bool,
    /// The balance after it.
    pub remaining: u64,
}

/// What a spend does to a balance read at `now`: the answer, and the balance to store if
/// it changes (a spend, a refill, or both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The answer.
    pub spend: CreditsSpend,
    /// The balance to write, if any.
    pub store: Option<Balance>,
}

impl RefillInterval {
    /// The first millisecond of the UTC day or month `now` falls in.
    pub fn period_start(self, now: Millis) -> Millis {
        let Ok(at) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000_000)
        else {
            return now;
        };
        let day = at.replace_time(time::Time::MIDNIGHT);
        let start = match self {
            Self::Daily => day,
            Self::Monthly => day.replace_day(1).unwrap_or(day),
        };
        Millis::try_from(start.unix_timestamp_nanos() / 1_000_000).unwrap_or(now)
    }
}

impl Refill {
    /// Whether a balance last set or refilled at `refilled_at` is refilled at `now`.
    pub fn is_due(&self, refilled_at: Millis, now: Millis) -> bool {
        refilled_at < self.interval.period_start(now)
    }
}

impl Credits {
    /// Checks the bounds; `field` names it in the error.
    pub fn validate(&self, field: &'static str) -> Result<(), DomainError> {
        if self.remaining > MAX_CREDITS {
            return Err(DomainError::invalid(
                field,
                format!("remaining must be a whole number from 0 to {MAX_CREDITS}"),
            ));
        }
        if let Some(refill) = self.refill
            && !(1..=MAX_CREDITS).contains(&refill.amount)
        {
            return Err(DomainError::invalid(
                field,
                format!("refill.amount must be a whole number from 1 to {MAX_CREDITS}"),
            ));
        }
        Ok(())
    }
}

/// Spends `cost` from `balance` at `now`, refilling first if a refill is due. A `cost` of
/// 0 only looks: allowed while anything is left, and nothing is stored.
pub fn decide(balance: Balance, cost: u64, refill: Option<&Refill>, now: Millis) -> Decision {
    let (base, refilled) = match refill {
        Some(r) if r.is_due(balance.refilled_at, now) => (
            Balance {
                remaining: r.amount,
                refilled_at: now,
            },
            true,
        ),
        _ => (balance, false),
    };
    if cost == 0 {
        let spend = CreditsSpend {
            allowed: base.remaining > 0,
            remaining: base.remaining,
        };
        return Decision { spend, store: None };
    }
    if base.remaining >= cost {
        let after = Balance {
            remaining: base.remaining - cost,
            ..base
        };
        Decision {
            spend: CreditsSpend {
                allowed: true,
                remaining: after.remaining,
            },
            store: Some(after),
        }
    } else {
        Decision {
            spend: CreditsSpend {
                allowed: false,
                remaining: base.remaining,
            },
            store: refilled.then_some(base),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-03-15T13:20:00Z and the starts of its day and month.
    const NOW: Millis = 1_773_580_800_000;
    const DAY_START: Millis = 1_773_532_800_000;
    const MONTH_START: Millis = 1_772_323_200_000;

    #[test]
    fn periods_start_at_utc_midnight_and_the_first_of_the_month() {
        assert_eq!(RefillInterval::Daily.period_start(NOW), DAY_START);
        assert_eq!(RefillInterval::Monthly.period_start(NOW), MONTH_START);
        assert_eq!(RefillInterval::Daily.period_start(DAY_START), DAY_START);
    }

    #[test]
    fn spends_never_below_zero() {
        let balance = Balance {
            remaining: 3,
            refilled_at: NOW,
        };
        let d = decide(balance, 2, None, NOW);
        assert_eq!(
            d.spend,
            CreditsSpend {
                allowed: true,
                remaining: 1
            }
        );
        assert_eq!(d.store.unwrap().remaining, 1);
        let d = decide(
            Balance {
                remaining: 1,
                ..balance
            },
            2,
            None,
            NOW,
        );
        assert_eq!(
            d.spend,
            CreditsSpend {
                allowed: false,
                remaining: 1
            }
        );
        assert_eq!(d.store, None);
    }

    #[test]
    fn a_due_refill_replaces_the_balance_before_the_spend() {
        let refill = Refill {
            amount: 10,
            interval: RefillInterval::Daily,
        };
        let yesterday = Balance {
            remaining: 0,
            refilled_at: DAY_START - 1,
        };
        let d = decide(yesterday, 1, Some(&refill), NOW);
        assert_eq!(
            d.spend,
            CreditsSpend {
                allowed: true,
                remaining: 9
            }
        );
        assert_eq!(
            d.store,
            Some(Balance {
                remaining: 9,
                refilled_at: NOW
            })
        );
        // Refilled today already: no second refill.
        let today = Balance {
            remaining: 0,
            refilled_at: DAY_START,
        };
        assert!(!decide(today, 1, Some(&refill), NOW).spend.allowed);
        // A check (cost 0) sees the refill but stores nothing.
        let check = decide(yesterday, 0, Some(&refill), NOW);
        assert_eq!(
            check.spend,
            CreditsSpend {
                allowed: true,
                remaining: 10
            }
        );
        assert_eq!(check.store, None);
    }
}

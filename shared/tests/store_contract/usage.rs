//! Usage counters: rate-limit windows and credit balances, exact under concurrency.

use futures::future::join_all;
use keyauth::domain::limits::{
    Balance, BalanceWrite, Credits, CreditsSpend, RateLimit, Refill, RefillInterval,
};
use keyauth::store::Store;
use keyauth::store::error::StoreError;

// 2026-03-15T13:20:00Z, and the start of that UTC day.
const NOW: i64 = 1_773_580_800_000;
const DAY_START: i64 = 1_773_532_800_000;

fn limits_id() -> String {
    keyauth::domain::ids::new_key_id().unwrap()
}

pub async fn rate_windows_count_up_to_the_limit(store: &dyn Store) {
    let id = limits_id();
    let limit = RateLimit {
        limit: 2,
        duration_ms: 10_000,
    };
    let window = limit.window(NOW);
    let take = |cost| store.take_rate(&id, &limit, &window, cost);
    let first = take(1).await.unwrap();
    assert!(first.allowed && first.count == 1, "{first:?}");
    let second = take(1).await.unwrap();
    assert!(second.allowed && second.count == 2, "{second:?}");
    let third = take(1).await.unwrap();
    assert!(!third.allowed && third.count == 2, "{third:?}");
    // A check counts nothing, and says whether one more would fit.
    let check = take(0).await.unwrap();
    assert!(!check.allowed && check.count == 2, "{check:?}");
    // The next window starts from nothing; a cost above the limit never fits.
    let next = limit.window(window.reset);
    let fresh = store.take_rate(&id, &limit, &next, 1).await.unwrap();
    assert!(fresh.allowed && fresh.count == 1, "{fresh:?}");
    let too_big = store.take_rate(&id, &limit, &next, 3).await.unwrap();
    assert!(!too_big.allowed && too_big.count == 1, "{too_big:?}");
}

pub async fn credits_never_go_below_zero(store: &dyn Store) {
    let id = limits_id();
    let set = Balance {
        remaining: 3,
        refilled_at: NOW,
    };
    store.set_credits(&id, set).await.unwrap();
    for left in [2, 1, 0] {
        let spend = store.spend_credits(&id, 1, None, NOW).await.unwrap();
        assert_eq!(
            spend,
            CreditsSpend {
                allowed: true,
                remaining: left
            }
        );
    }
    let refused = store.spend_credits(&id, 1, None, NOW).await.unwrap();
    assert_eq!(
        refused,
        CreditsSpend {
            allowed: false,
            remaining: 0
        }
    );
    assert_eq!(store.credits(&id).await.unwrap().unwrap().remaining, 0);
    // No balance at all: nothing to spend.
    let none = store
        .spend_credits(&limits_id(), 1, None, NOW)
        .await
        .unwrap();
    assert!(!none.allowed);
}

pub async fn refills_replace_the_balance_once_a_period(store: &dyn Store) {
    let id = limits_id();
    let refill = Refill {
        amount: 5,
        interval: RefillInterval::Daily,
    };
    let yesterday = Balance {
        remaining: 1,
        refilled_at: DAY_START - 1,
    };
    store.set_credits(&id, yesterday).await.unwrap();
    let first = store
        .spend_credits(&id, 2, Some(&refill), NOW)
        .await
        .unwrap();
    assert_eq!(
        first,
        CreditsSpend {
            allowed: true,
            remaining: 3
        }
    );
    assert_eq!(
        store.credits(&id).await.unwrap(),
        Some(Balance {
            remaining: 3,
            refilled_at: NOW
        })
    );
    // The same day: spent from the refilled balance, no second refill.
    let later = store
        .spend_credits(&id, 3, Some(&refill), NOW + 1)
        .await
        .unwrap();
    assert_eq!(later.remaining, 0);
    assert!(
        !store
            .spend_credits(&id, 1, Some(&refill), NOW + 2)
            .await
            .unwrap()
            .allowed
    );
    // A check the next day sees the refill but stores nothing.
    let tomorrow = NOW + 86_400_000;
    let check = store
        .spend_credits(&id, 0, Some(&refill), tomorrow)
        .await
        .unwrap();
    assert_eq!(
        check,
        CreditsSpend {
            allowed: true,
            remaining: 5
        }
    );
    assert_eq!(store.credits(&id).await.unwrap().unwrap().remaining, 0);
    // A key whose balance was never stored is refilled at its first use.
    let fresh = limits_id();
    let spend = store
        .spend_credits(&fresh, 1, Some(&refill), NOW)
        .await
        .unwrap();
    assert_eq!(spend.remaining, 4);
}

/// 50 requests at once on 20 credits: exactly 20 pass, and the balance ends at 0.
pub async fn concurrent_spends_are_exact(store: &dyn Store) {
    let id = limits_id();
    let set = Balance {
        remaining: 20,
        refilled_at: NOW,
    };
    store.set_credits(&id, set).await.unwrap();
    let spends = join_all((0..50).map(|_| store.spend_credits(&id, 1, None, NOW))).await;
    let passed = spends
        .iter()
        .filter(|s| s.as_ref().unwrap().allowed)
        .count();
    assert_eq!(passed, 20);
    assert_eq!(store.credits(&id).await.unwrap().unwrap().remaining, 0);
}

/// 50 requests at once in a window of 20: exactly 20 pass.
pub async fn concurrent_window_takes_are_exact(store: &dyn Store) {
    let id = limits_id();
    let limit = RateLimit {
        limit: 20,
        duration_ms: 60_000,
    };
    let window = limit.window(NOW);
    let takes = join_all((0..50).map(|_| store.take_rate(&id, &limit, &window, 1))).await;
    let passed = takes.iter().filter(|t| t.as_ref().unwrap().allowed).count();
    assert_eq!(passed, 20);
    let check = store.take_rate(&id, &limit, &window, 0).await.unwrap();
    assert_eq!(check.count, 20);
}

/// A key's balance is written in the same step as the key: with its create, with an update
/// that sets or removes credits, and never by a refused update.
pub async fn credits_are_written_with_their_key(store: &dyn Store) {
    let mut key = crate::support::record("user_c", "metered", 1_000);
    key.credits = Some(Credits {
        remaining: 7,
        refill: None,
    });
    key.ratelimit = Some(RateLimit {
        limit: 5,
        duration_ms: 1_000,
    });
    crate::put(store, &key).await;
    assert_eq!(
        store.get_by_hash(&key.key_hash).await.unwrap(),
        Some(key.clone())
    );
    let balance = |remaining, refilled_at| Balance {
        remaining,
        refilled_at,
    };
    assert_eq!(
        store.credits(&key.id).await.unwrap(),
        Some(balance(7, 1_000))
    );

    let mut changed = key.clone();
    changed.updated_at = 2_000;
    changed.credits = Some(Credits {
        remaining: 9,
        refill: None,
    });
    let set = BalanceWrite::Set(balance(9, 2_000));
    let event = crate::updated_event(&key, &changed);
    store
        .update(&changed, key.updated_at, &event, Some(&set))
        .await
        .unwrap();
    assert_eq!(
        store.credits(&key.id).await.unwrap(),
        Some(balance(9, 2_000))
    );

    // Stale: nothing is written, the balance included.
    let mut stale = changed.clone();
    stale.updated_at = 3_000;
    let event = crate::updated_event(&changed, &stale);
    let refused = store
        .update(
            &stale,
            key.updated_at,
            &event,
            Some(&BalanceWrite::Set(balance(100, 3_000))),
        )
        .await;
    assert!(matches!(refused, Err(StoreError::Changed)), "{refused:?}");
    assert_eq!(
        store.credits(&key.id).await.unwrap(),
        Some(balance(9, 2_000))
    );

    let mut removed = changed.clone();
    removed.updated_at = 4_000;
    removed.credits = None;
    let event = crate::updated_event(&changed, &removed);
    store
        .update(
            &removed,
            changed.updated_at,
            &event,
            Some(&BalanceWrite::Remove),
        )
        .await
        .unwrap();
    assert_eq!(store.credits(&key.id).await.unwrap(), None);
    let stored = store.get_by_hash(&key.key_hash).await.unwrap().unwrap();
    assert_eq!((stored.credits, stored.ratelimit), (None, key.ratelimit));
}

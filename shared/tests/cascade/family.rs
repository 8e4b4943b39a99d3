//! A leak's family: what the leaked key made, its reroll successors, and theirs.

use super::{child, later, put, record, stored};
use keyauth::domain::clock::Millis;
use keyauth::operations::revoke::{LEAK_REPORTER, revoke_leaked};
use keyauth::store::Store;

const NOW: Millis = 10_000;
const URL: &str = "https://github.com/o/r/blob/main/.env";

pub async fn a_leak_takes_the_keys_family(store: &dyn Store) {
    // The leaked key was rerolled without grace (so it is expired) by another key.
    let mut leaked = record("user_f", "leaked", 1_000);
    let mut successor = record("user_f", "successor", 2_000);
    successor.created_by = Some("key_0Elsewhere00000000000000".into());
    successor.rerolled_from = Some(leaked.id.clone());
    leaked.rerolled_to = Some(successor.id.clone());
    leaked.expiration = Some(2_000);
    put(store, &leaked).await;
    put(store, &successor).await;
    let minted = child(store, &leaked, "user_f").await;
    let minted_below = child(store, &minted, "user_f").await;
    let minted_by_successor = child(store, &successor, "user_f").await;
    let bystander = record("user_f", "bystander", 1_000);
    put(store, &bystander).await;

    let outcome = revoke_leaked(store, &leaked, URL, NOW, later())
        .await
        .unwrap();
    assert_eq!((outcome.revoked, outcome.in_progress), (4, false));
    for key in [
        &leaked,
        &minted,
        &minted_below,
        &successor,
        &minted_by_successor,
    ] {
        let key = stored(store, key).await;
        assert_eq!(
            key.revocation_reason,
            Some(format!("leaked: {URL}")),
            "{}",
            key.name
        );
        let events = super::journal_events(store, &key.id).await;
        assert_eq!(events[0].actor_id, format!("operator:{LEAK_REPORTER}"));
    }
    assert!(!stored(store, &bystander).await.revoked);
}

pub async fn a_leak_of_a_revoked_key_still_takes_what_it_made(store: &dyn Store) {
    let leaked = record("user_f", "leaked", 1_000);
    put(store, &leaked).await;
    let minted = child(store, &leaked, "user_f").await;
    let revoked = super::revoke_as_test(store, &leaked, "rotated").await;
    let outcome = revoke_leaked(store, &revoked, URL, NOW, later())
        .await
        .unwrap();
    assert_eq!(outcome.revoked, 1);
    assert_eq!(
        stored(store, &leaked).await.revocation_reason.as_deref(),
        Some("rotated"),
        "the first reason stays"
    );
    assert!(stored(store, &minted).await.revoked);
}

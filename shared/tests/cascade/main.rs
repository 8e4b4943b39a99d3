//! Containment on every store: a cascade's job kept on its root, the walk over a large
//! tree, a walk cut short and continued, keys the creator index had not shown yet, and a
//! leak's family. Each case runs in memory and on moto's DynamoDB server (the DynamoDB half
//! `#[ignore]`d for a bare `cargo test`; the test script runs it).

// First: its macros serve the modules below.
#[path = "../support/mod.rs"]
#[macro_use]
mod support;
mod family;
mod faults;
mod journal;
mod walk;

use family::*;
use faults::*;
use journal::*;
use keyauth::domain::key::ApiKeyRecord;
use keyauth::store::Store;
use keyauth::store::memory::MemoryStore;
use std::time::{Duration, Instant};
use support::{created_event, dynamo_store, record};
use walk::*;

/// GIVEN: `key` stored, with its `created` event.
pub async fn put(store: &dyn Store, key: &ApiKeyRecord) {
    store.put_new(key, &created_event(key)).await.unwrap();
}

/// GIVEN: a key of `subject` made by `creator`, stored.
pub async fn child(store: &dyn Store, creator: &ApiKeyRecord, subject: &str) -> ApiKeyRecord {
    let mut key = record(subject, "child", creator.created_at + 1);
    key.created_by = Some(creator.id.clone());
    put(store, &key).await;
    key
}

/// THEN: the key as stored now.
pub async fn stored(store: &dyn Store, key: &ApiKeyRecord) -> ApiKeyRecord {
    store.get_by_hash(&key.key_hash).await.unwrap().unwrap()
}

/// A deadline no case reaches.
pub fn later() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

on_every_store!(
    a_job_is_kept_replaced_and_finished_beside_its_key,
    a_cascade_refuses_1050_descendants_within_a_minute,
    a_walk_cut_short_is_continued_to_the_end,
    keys_the_index_had_not_shown_are_caught_by_another_pass,
    a_narrow_cascade_spares_what_its_caller_could_not_revoke,
    a_leak_takes_the_keys_family,
    a_leak_of_a_revoked_key_still_takes_what_it_made,
    a_key_the_index_shows_late_is_still_caught,
    a_successor_the_index_shows_late_is_still_taken,
    a_key_changed_under_every_attempt_is_revoked_on_a_later_pass,
    a_walk_that_fails_is_handed_on,
    a_narrower_cascade_keeps_a_running_leaks_authority,
);

/// THEN: a key's events, newest first.
pub async fn journal_events(
    store: &dyn Store,
    key_id: &str,
) -> Vec<keyauth::domain::audit::KeyEvent> {
    let query = keyauth::store::EventQuery {
        limit: 100,
        cursor: None,
        now: 0,
    };
    store.list_events(key_id, &query).await.unwrap().items
}

/// GIVEN: `key` revoked by a test operator with `reason`.
pub async fn revoke_as_test(store: &dyn Store, key: &ApiKeyRecord, reason: &str) -> ApiKeyRecord {
    use keyauth::domain::audit::EventType;
    let mut after = key.clone();
    after.revoked = true;
    after.revoked_at = Some(5_000);
    after.revocation_reason = Some(reason.to_owned());
    let event = support::event_of(&after, EventType::Revoked, 5_000, Some(key));
    store.revoke(key, Some(reason), &event).await.unwrap()
}

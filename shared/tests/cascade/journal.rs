//! The store's side of a cascade: its job on the root's item.

use super::{put, stored};
use keyauth::domain::audit::{Changes, EventType, KeyEvent};
use keyauth::domain::caller::Caller;
use keyauth::domain::cascade::{CascadeJob, CascadeOutcome, CascadeState};
use keyauth::store::error::StoreError;
use keyauth::store::{EventQuery, Store};

fn job(id: &str, root_id: &str) -> CascadeJob {
    CascadeJob {
        id: id.to_owned(),
        root_id: root_id.to_owned(),
        actor: Caller::operator("test"),
        reason: "parent revoked".to_owned(),
        follow_rerolls: false,
        started_at: 1_000,
        rounds: 1,
        last_change_ms: 0,
        outcome: CascadeOutcome::default(),
    }
}

pub async fn a_job_is_kept_replaced_and_finished_beside_its_key(store: &dyn Store) {
    let root = super::record("user_j", "root", 1_000);
    put(store, &root).await;
    let hash = &root.key_hash;
    assert_eq!(store.cascade_of(hash).await.unwrap(), None);
    let first = job("job_1", &root.id);
    assert!(
        store
            .save_cascade(hash, &first, CascadeState::Walking, None)
            .await
            .unwrap()
    );
    assert_eq!(
        store.cascade_of(hash).await.unwrap(),
        Some((first.clone(), CascadeState::Walking))
    );
    // A handoff only replaces the job it continues.
    let mut handed = first.clone();
    handed.rounds = 2;
    assert!(
        !store
            .save_cascade(hash, &handed, CascadeState::Pending, Some("job_0"))
            .await
            .unwrap()
    );
    assert!(
        store
            .save_cascade(hash, &handed, CascadeState::Pending, Some("job_1"))
            .await
            .unwrap()
    );
    assert_eq!(
        store.pending_cascades().await.unwrap(),
        std::slice::from_ref(hash)
    );
    // A later cascade on the same root replaces it; the earlier one can no longer finish.
    let second = job("job_2", &root.id);
    assert!(
        store
            .save_cascade(hash, &second, CascadeState::Walking, None)
            .await
            .unwrap()
    );
    let mut event = KeyEvent::new(
        &root.id,
        EventType::Cascaded,
        2_000,
        &second.actor,
        Changes::new(),
    )
    .unwrap();
    event.outcome = Some(CascadeOutcome {
        revoked: 3,
        ..Default::default()
    });
    assert!(!store.finish_cascade(hash, &handed, &event).await.unwrap());
    assert!(store.finish_cascade(hash, &second, &event).await.unwrap());
    assert_eq!(
        store.cascade_of(hash).await.unwrap().unwrap().1,
        CascadeState::Done
    );
    assert!(store.pending_cascades().await.unwrap().is_empty());
    let query = EventQuery {
        limit: 10,
        cursor: None,
        now: 0,
    };
    let events = store.list_events(&root.id, &query).await.unwrap().items;
    assert_eq!(events[0].kind, EventType::Cascaded);
    assert_eq!(events[0].outcome.as_ref().unwrap().revoked, 3);
    // The key itself is untouched by its job.
    assert_eq!(stored(store, &root).await, root);
    // No job is kept for a key that does not exist.
    let missing = super::record("user_j", "missing", 1_000);
    let err = store
        .save_cascade(&missing.key_hash, &first, CascadeState::Walking, None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

//! A cascade: after its root is revoked (so the root stops at once), every key below it in
//! the creation tree, and for a leak every reroll successor too, is revoked as the walk
//! reaches it. A key its actor could not revoke directly is spared, with what it created.
//! Revoked keys are walked through: a key a revoked key made may still be live. The walk
//! is repeated until a pass revokes nothing and spares nothing new, which catches keys
//! minted while it ran and keys the `createdBy` index had not shown yet. What does not fit
//! before the deadline is handed on: the job, kept on the root's item, is continued by the
//! keys table's stream (or the local server), round after round, each starting again
//! from the root, where keys already revoked cost one read each.

use super::revocation::{RevokeAttempt, revoke_one};
use crate::domain::audit::{Changes, EventType, KeyEvent};
use crate::domain::caller::Caller;
use crate::domain::cascade::{CascadeJob, CascadeOutcome, CascadeState, KeyRef, may_revoke};
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::hashing::KeyHash;
use crate::domain::ids;
use crate::domain::key::ApiKeyRecord;
use crate::store::CascadeStore;
use futures_util::{StreamExt, TryStreamExt, stream};
use std::collections::HashSet;
use std::time::Instant;

/// Reads and revokes a walk keeps in flight at once.
const CONCURRENCY: usize = 16;

/// Whom a cascade acts for and what it writes on each key.
pub struct CascadeOrder<'a> {
    /// It revokes only what this caller could revoke directly.
    pub actor: &'a Caller,
    /// The reason each key it revokes carries.
    pub reason: String,
    /// Walk reroll successors too (a leak's family).
    pub follow_rerolls: bool,
}

/// Starts a cascade below `root`, already revoked, and walks it until `deadline`; the rest,
/// if any, is handed on (`in_progress`). A cascade started on a root replaces any earlier
/// one there, so repeating a revoke with cascade resumes an interrupted walk.
pub async fn start(
    store: &dyn CascadeStore,
    root: &ApiKeyRecord,
    order: CascadeOrder<'_>,
    now: Millis,
    deadline: Instant,
) -> Result<CascadeOutcome, DomainError> {
    let job = CascadeJob {
        id: ids::new_event_id()?,
        root_id: root.id.clone(),
        actor: order.actor.clone(),
        reason: order.reason,
        follow_rerolls: order.follow_rerolls,
        started_at: now,
        rounds: 1,
        outcome: CascadeOutcome::default(),
    };
    store
        .save_cascade(&root.key_hash, &job, CascadeState::Walking, None)
        .await?;
    round(store, root, job, now, deadline).await
}

/// Continues the cascade handed on at `root`, if one waits there; `None` when none does
/// (finished, or replaced by a later one).
pub async fn resume(
    store: &dyn CascadeStore,
    root: &KeyHash,
    now: Millis,
    deadline: Instant,
) -> Result<Option<CascadeOutcome>, DomainError> {
    let Some((mut job, CascadeState::Pending)) = store.cascade_of(root).await? else {
        return Ok(None);
    };
    let Some(root) = store.get_by_hash(root).await? else {
        return Ok(None);
    };
    job.rounds += 1;
    round(store, &root, job, now, deadline).await.map(Some)
}

/// One invocation's share of the walk, then the job finished (with the root's `cascaded`
/// event) or handed on.
async fn round(
    store: &dyn CascadeStore,
    root: &ApiKeyRecord,
    mut job: CascadeJob,
    now: Millis,
    deadline: Instant,
) -> Result<CascadeOutcome, DomainError> {
    let finished = walk(store, root, &mut job, now, deadline).await?;
    job.outcome.in_progress = !finished;
    if finished {
        let mut event = KeyEvent::new(
            &root.id,
            EventType::Cascaded,
            now.max(root.updated_at + 1),
            &job.actor,
            Changes::new(),
        )?;
        event.outcome = Some(job.outcome.clone());
        store.finish_cascade(&root.key_hash, &job, &event).await?;
        tracing::info!(
            key_id = %root.id, revoked = job.outcome.revoked,
            spared = job.outcome.spared_count, rounds = job.rounds, "cascade finished"
        );
    } else {
        let id = job.id.clone();
        store
            .save_cascade(&root.key_hash, &job, CascadeState::Pending, Some(&id))
            .await?;
        tracing::info!(
            key_id = %root.id, revoked = job.outcome.revoked, rounds = job.rounds,
            "cascade handed on"
        );
    }
    Ok(job.outcome)
}

/// Passes until one finds nothing new (`true`) or the deadline comes (`false`).
async fn walk(
    store: &dyn CascadeStore,
    root: &ApiKeyRecord,
    job: &mut CascadeJob,
    now: Millis,
    deadline: Instant,
) -> Result<bool, DomainError> {
    let mut spared_before: HashSet<String> = HashSet::new();
    loop {
        let pass = pass(store, root, job, now, deadline).await?;
        job.outcome.revoked += pass.revoked;
        job.outcome.spared_count = 0;
        job.outcome.spared.clear();
        for id in &pass.spared {
            job.outcome.spare(id);
        }
        if !pass.finished {
            return Ok(false);
        }
        let spared: HashSet<String> = pass.spared.into_iter().collect();
        if pass.revoked == 0 && spared.is_subset(&spared_before) {
            return Ok(true);
        }
        spared_before = spared;
    }
}

/// What one pass over the tree did.
struct Pass {
    revoked: u64,
    spared: Vec<String>,
    finished: bool,
}

/// What became of one key the walk reached.
enum Settled {
    /// Revoked now (`true`), or already: walked through.
    Revoked(KeyRef, bool),
    /// Its actor could not revoke it: left, with what it created.
    Spared(String),
    /// Deleted meanwhile.
    Gone,
    /// The deadline came first.
    Unreached,
}

/// One breadth-first pass from the root, a level at a time.
async fn pass(
    store: &dyn CascadeStore,
    root: &ApiKeyRecord,
    job: &CascadeJob,
    now: Millis,
    deadline: Instant,
) -> Result<Pass, DomainError> {
    let mut pass = Pass {
        revoked: 0,
        spared: Vec::new(),
        finished: false,
    };
    let mut seen = HashSet::from([root.id.clone()]);
    let mut level = vec![KeyRef::from(root)];
    while !level.is_empty() {
        if Instant::now() >= deadline {
            return Ok(pass);
        }
        let follow_rerolls = job.follow_rerolls;
        let below: Vec<Vec<KeyRef>> = stream::iter(std::mem::take(&mut level))
            .map(|key| async move { below(store, &key, follow_rerolls).await })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let reached: Vec<KeyRef> = below
            .into_iter()
            .flatten()
            .filter(|key| seen.insert(key.id.clone()))
            .collect();
        let settled: Vec<Settled> = stream::iter(reached)
            .map(|key| settle(store, job, key, now, deadline))
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let mut unreached = false;
        for outcome in settled {
            match outcome {
                Settled::Revoked(key, now_revoked) => {
                    pass.revoked += u64::from(now_revoked);
                    level.push(key);
                }
                Settled::Spared(id) => pass.spared.push(id),
                Settled::Gone => {}
                Settled::Unreached => unreached = true,
            }
        }
        // Every key this level did revoke is counted before the pass stops.
        if unreached {
            return Ok(pass);
        }
    }
    pass.finished = true;
    Ok(pass)
}

/// The keys `key` created, and with `follow_rerolls` its successor, as the indexes show
/// them (perhaps a moment old).
async fn below(
    store: &dyn CascadeStore,
    key: &KeyRef,
    follow_rerolls: bool,
) -> Result<Vec<KeyRef>, DomainError> {
    let mut found = store.children_of(&key.id).await?;
    if follow_rerolls
        && let Some(successor) = &key.rerolled_to
        && let Some(successor) = store.get_by_id(successor).await?
    {
        found.push(KeyRef::from(&successor));
    }
    Ok(found)
}

/// Revokes one reached key if its actor could revoke it directly, judged on the key read
/// strongly consistent and written only if unchanged since.
async fn settle(
    store: &dyn CascadeStore,
    job: &CascadeJob,
    indexed: KeyRef,
    now: Millis,
    deadline: Instant,
) -> Result<Settled, DomainError> {
    // A revocation is final, so an index copy that shows one is not stale in that.
    if indexed.revoked {
        return Ok(Settled::Revoked(indexed, false));
    }
    if Instant::now() >= deadline {
        return Ok(Settled::Unreached);
    }
    let Some(key) = store.get_by_hash(&indexed.key_hash).await? else {
        return Ok(Settled::Gone);
    };
    if key.revoked {
        return Ok(Settled::Revoked(KeyRef::from(&key), false));
    }
    if !may_revoke(&job.actor, &key) {
        return Ok(Settled::Spared(key.id));
    }
    let attempt = RevokeAttempt {
        caller: &job.actor,
        reason: Some(&job.reason),
        cascade_from: Some(&job.root_id),
    };
    match revoke_one(store, &attempt, &key, now).await {
        Ok(revoked) => Ok(Settled::Revoked(KeyRef::from(&revoked), true)),
        // Broadened between the read and the write.
        Err(DomainError::Forbidden(_)) => Ok(Settled::Spared(key.id)),
        Err(DomainError::NotFound(_)) => Ok(Settled::Gone),
        Err(e) => Err(e),
    }
}

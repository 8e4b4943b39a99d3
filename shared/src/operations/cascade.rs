//! A cascade: after its root is revoked (so the root stops at once), every key below it in
//! the creation tree, and for a leak every reroll successor too, is revoked as the walk
//! reaches it. A key its actor could not revoke directly is spared, with what it created.
//! Revoked keys are walked through: a key a revoked key made may still be live. The walk
//! is repeated until a pass revokes nothing and spares nothing new, and that last pass
//! starts at least a second after anything new was found, so keys minted while it ran and
//! keys the `createdBy` index had not shown yet are caught. What does not fit
//! before the deadline is handed on: the job, kept on the root's item, is continued by the
//! keys table's stream (or the local server), round after round, each starting again
//! from the root, where keys already revoked cost one read each.

use super::revocation::{RevokeAttempt, revoke_one};
use crate::domain::audit::{Changes, EventType, KeyEvent};
use crate::domain::caller::Caller;
use crate::domain::cascade::{
    CascadeJob, CascadeOutcome, CascadeState, INDEX_SETTLE_MS, KeyRef, may_revoke,
};
use crate::domain::clock::{Millis, now_ms};
use crate::domain::error::{DomainError, ErrorChain};
use crate::domain::hashing::KeyHash;
use crate::domain::ids;
use crate::domain::key::ApiKeyRecord;
use crate::store::CascadeStore;
use futures_util::{StreamExt, TryStreamExt, stream};
use std::collections::HashSet;
use std::time::{Duration, Instant};

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
/// if any, is handed on (`in_progress`), and so is everything after a failure, which the
/// continuation retries. A cascade started on a root replaces an earlier one there (so
/// repeating a revoke with cascade finishes an interrupted walk), keeping the earlier
/// one's wider authority if it was still running.
pub async fn start(
    store: &dyn CascadeStore,
    root: &ApiKeyRecord,
    order: CascadeOrder<'_>,
    now: Millis,
    deadline: Instant,
) -> Result<CascadeOutcome, DomainError> {
    let mut job = CascadeJob {
        id: ids::new_event_id()?,
        root_id: root.id.clone(),
        actor: order.actor.clone(),
        reason: order.reason,
        follow_rerolls: order.follow_rerolls,
        started_at: now,
        rounds: 1,
        // The root's revoke is the first change the index has to catch up with.
        last_change_ms: now_ms(),
        outcome: CascadeOutcome::default(),
    };
    if let Some((earlier, state)) = store.cascade_of(&root.key_hash).await?
        && state != CascadeState::Done
    {
        earlier.absorb_into(&mut job);
    }
    store
        .save_cascade(&root.key_hash, &job, CascadeState::Walking, None)
        .await?;
    let handed = job.clone();
    match round(store, root, job, now, deadline).await {
        Err(e) => {
            // Never left `walking` by a failed request: the continuation takes it from here.
            let saved = store
                .save_cascade(
                    &root.key_hash,
                    &handed,
                    CascadeState::Pending,
                    Some(&handed.id),
                )
                .await;
            if let Err(also) = saved {
                tracing::error!(error = %ErrorChain(&also), "cascade could not be handed on");
            }
            Err(e)
        }
        done => done,
    }
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

/// Passes until one that starts [`INDEX_SETTLE_MS`] after the last change finds nothing
/// new (`true`), or the deadline comes (`false`).
async fn walk(
    store: &dyn CascadeStore,
    root: &ApiKeyRecord,
    job: &mut CascadeJob,
    now: Millis,
    deadline: Instant,
) -> Result<bool, DomainError> {
    let mut spared_before: HashSet<String> = HashSet::new();
    // A successor the id index does not show yet may be lag or a deleted key: looked for
    // again a few times, not forever.
    let mut missing_retries = 3;
    loop {
        let started = now_ms();
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
        let missing = pass.missing && missing_retries > 0;
        missing_retries -= usize::from(missing);
        let new = pass.revoked > 0 || !spared.is_subset(&spared_before) || pass.busy || missing;
        if new {
            job.last_change_ms = now_ms();
        } else if started >= job.last_change_ms + INDEX_SETTLE_MS {
            return Ok(true);
        }
        spared_before = spared;
        let settle = (job.last_change_ms + INDEX_SETTLE_MS - now_ms()).max(0);
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::sleep(Duration::from_millis(settle as u64).min(left)).await;
    }
}

/// What one pass over the tree did.
struct Pass {
    revoked: u64,
    spared: Vec<String>,
    finished: bool,
    /// A key changed under every attempt to revoke it: tried again next pass.
    busy: bool,
    /// A successor the id index did not show.
    missing: bool,
}

/// What became of one key the walk reached.
enum Settled {
    /// Revoked now (`true`), or already: walked through.
    Revoked(KeyRef, bool),
    /// Its actor could not revoke it: left, with what it created.
    Spared(String),
    /// Deleted meanwhile.
    Gone,
    /// Changed under every attempt to revoke it.
    Busy,
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
        busy: false,
        missing: false,
    };
    let mut seen = HashSet::from([root.id.clone()]);
    let mut level = vec![KeyRef::from(root)];
    while !level.is_empty() {
        if Instant::now() >= deadline {
            return Ok(pass);
        }
        let follow_rerolls = job.follow_rerolls;
        let below: Vec<Option<Below>> = stream::iter(std::mem::take(&mut level))
            .map(|key| async move { below(store, &key, follow_rerolls, deadline).await })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let mut reached = Vec::new();
        for found in below {
            let Some(found) = found else {
                return Ok(pass);
            };
            pass.missing |= found.missing;
            reached.extend(found.keys.into_iter().filter(|k| seen.insert(k.id.clone())));
        }
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
                Settled::Busy => pass.busy = true,
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

/// What the indexes show below one key.
struct Below {
    keys: Vec<KeyRef>,
    /// Its successor is named but not found (yet).
    missing: bool,
}

/// The keys `key` created, and with `follow_rerolls` its successor, as the indexes show
/// them (perhaps a moment old); `None` once the deadline has come.
async fn below(
    store: &dyn CascadeStore,
    key: &KeyRef,
    follow_rerolls: bool,
    deadline: Instant,
) -> Result<Option<Below>, DomainError> {
    if Instant::now() >= deadline {
        return Ok(None);
    }
    let mut found = Below {
        keys: store.children_of(&key.id).await?,
        missing: false,
    };
    if let Some(successor) = key.rerolled_to.as_ref().filter(|_| follow_rerolls) {
        match store.get_by_id(successor).await? {
            Some(successor) => found.keys.push(KeyRef::from(&successor)),
            None => found.missing = true,
        }
    }
    Ok(Some(found))
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
        Err(DomainError::Conflict(_)) => Ok(Settled::Busy),
        Err(e) => Err(e),
    }
}

//! `POST /keys/{id}/revoke`: stop a key at once, idempotently, and with `cascade` every
//! key it created, transitively.

use super::cascade::{self, CascadeOrder};
use super::revocation::{RevokeAttempt, require_revocable, revoke_one};
use super::{live, visible_key};
use crate::domain::caller::Caller;
use crate::domain::cascade::CascadeOutcome;
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::ids::KeyId;
use crate::domain::key::{ApiKeyRecord, MAX_REASON_CHARS};
use crate::domain::scopes::KEYS_WRITE;
use crate::store::{CascadeStore, RevokeStore};
use std::time::Instant;

/// The reason a key revoked by cascade carries.
pub const CASCADE_REASON: &str = "parent revoked";

/// A revoke request, parsed by the edge.
#[derive(Debug, Clone, Default)]
pub struct Revocation {
    /// Why, kept with the key (trimmed, at most [`MAX_REASON_CHARS`]).
    pub reason: Option<String>,
    /// Revoke every key this key created, transitively, too.
    pub cascade: bool,
}

/// A revoked key, and with a cascade what it did so far.
#[derive(Debug)]
pub struct Revoked {
    /// The key, as stored now, with its live balance.
    pub key: ApiKeyRecord,
    /// The cascade's outcome, when one was asked for.
    pub cascade: Option<CascadeOutcome>,
}

/// Revokes a key the caller could revoke directly ([`may_revoke`]: its own subject, every
/// scope it holds and its claims, or `keys:admin`). A second revoke keeps the first time
/// and reason. With `cascade`, every key the key created, transitively and of any subject,
/// is revoked too ([`cascade`]), with the reason `parent revoked` (and the given reason
/// after a colon): what fits before `deadline` now, the rest asynchronously.
pub async fn revoke_key(
    store: &dyn RevokeStore,
    caller: &Caller,
    id: &KeyId,
    revocation: Revocation,
    now: Millis,
    deadline: Instant,
) -> Result<Revoked, DomainError> {
    caller.require(KEYS_WRITE)?;
    let Revocation { reason, cascade } = revocation;
    let key = visible_key(store, caller, id).await?;
    require_revocable(caller, &key)?;
    let attempt = RevokeAttempt {
        caller,
        reason: reason.as_deref(),
        cascade_from: None,
    };
    let mut revoked = revoke_one(store, &attempt, &key, now).await?;
    let outcome = if cascade {
        let order = CascadeOrder {
            actor: caller,
            reason: match &reason {
                Some(reason) => format!("{CASCADE_REASON}: {reason}"),
                None => CASCADE_REASON.to_owned(),
            },
            follow_rerolls: false,
        };
        Some(cascade::start(store, &revoked, order, now, deadline).await?)
    } else {
        None
    };
    tracing::info!(
        key_id = %revoked.id, revoked_by = %caller.key_id,
        cascaded = outcome.as_ref().map_or(0, |o| o.revoked), "key revoked"
    );
    live::read_credits(store, &mut revoked, now).await?;
    Ok(Revoked {
        key: revoked,
        cascade: outcome,
    })
}

/// The operator a leak report's revocations are recorded as (`operator:github-secret-scanning`).
pub const LEAK_REPORTER: &str = "github-secret-scanning";

/// Revokes a key reported leaked at `url` and its whole family: every key it created,
/// transitively, and its reroll successors with theirs, each with the reason
/// `leaked: <url>` and the reporter as actor. Run for a revoked or expired key too: what
/// it made, or its successor, may still be live. A key revoked before keeps its first
/// reason.
pub async fn revoke_leaked(
    store: &dyn CascadeStore,
    key: &ApiKeyRecord,
    url: &str,
    now: Millis,
    deadline: Instant,
) -> Result<CascadeOutcome, DomainError> {
    let leaked = revoke_reported(store, key, url, now).await?;
    take_family(store, leaked, now, deadline).await
}

/// A reported key, revoked, and the reason its family is revoked with.
pub struct Leaked {
    /// The key as stored now.
    pub key: ApiKeyRecord,
    /// `leaked: <url>`.
    pub reason: String,
}

/// Revokes the reported key itself (the first step of [`revoke_leaked`]): it stops at once.
pub async fn revoke_reported(
    store: &dyn CascadeStore,
    key: &ApiKeyRecord,
    url: &str,
    now: Millis,
) -> Result<Leaked, DomainError> {
    // The URL is the reporter's text: no control or bidi characters, and within the limit.
    let clean: String = url
        .chars()
        .filter(|&c| !crate::domain::text::unfit_for_text(c))
        .collect();
    let mut reason = format!("leaked: {}", clean.trim());
    if let Some((cut, _)) = reason.char_indices().nth(MAX_REASON_CHARS) {
        reason.truncate(cut);
    }
    let reporter = Caller::operator(LEAK_REPORTER);
    let attempt = RevokeAttempt {
        caller: &reporter,
        reason: Some(&reason),
        cascade_from: None,
    };
    let key = revoke_one(store, &attempt, key, now).await?;
    tracing::warn!(key_id = %key.id, url = %clean, "leaked key revoked");
    Ok(Leaked { key, reason })
}

/// Revokes what a reported key made and its successors (the second step of
/// [`revoke_leaked`]), until `deadline`; the rest continues asynchronously.
pub async fn take_family(
    store: &dyn CascadeStore,
    leaked: Leaked,
    now: Millis,
    deadline: Instant,
) -> Result<CascadeOutcome, DomainError> {
    let reporter = Caller::operator(LEAK_REPORTER);
    let order = CascadeOrder {
        actor: &reporter,
        reason: leaked.reason,
        follow_rerolls: true,
    };
    cascade::start(store, &leaked.key, order, now, deadline).await
}

//! `POST /keys`: make a key and show its secret, once.

use super::{IssuedKey, live, read_fresh, require_held};
use crate::domain::audit::{self, EventType, KeyEvent};
use crate::domain::caller::Caller;
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::hashing::KeyHash;
use crate::domain::ids;
use crate::domain::key::{ApiKeyRecord, Claims};
use crate::domain::key_format::{KeyPrefix, Secret};
use crate::domain::limits::{Credits, RateLimit};
use crate::domain::scopes::{self, KEYS_WRITE, Scope};
use crate::domain::subject::Subject;
use crate::store::error::StoreError;
use crate::store::{CreateStore, KeyWriter};

/// A create request, every field parsed and checked by the edge.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// Display name, trimmed.
    pub name: String,
    /// Owner of the key; the creator's own subject when `None`.
    pub subject: Option<Subject>,
    /// Free text.
    pub description: Option<String>,
    /// Scopes granted, without repeats.
    pub scopes: Vec<Scope>,
    /// Claims to set (`keys:admin` only); `None` inherits the creator's.
    pub claims: Option<Claims>,
    /// When the key expires; never when `None` (unless its creator does).
    pub expiration: Option<Millis>,
    /// At most `limit` requests per `durationMs`.
    pub ratelimit: Option<RateLimit>,
    /// A balance each request spends.
    pub credits: Option<Credits>,
}

/// Creates a key and returns it with its secret: the only time the secret is ever shown.
/// The caller may create keys only for its own subject (unless `keys:admin`), only with
/// scopes it holds itself, never outliving itself, and sets claims only with `keys:admin`.
/// A caller with usage limits passes them on: the new key spends the caller's counters.
pub async fn create_key(
    store: &dyn CreateStore,
    prefix: &KeyPrefix,
    caller: &Caller,
    mut new: NewKey,
    now: Millis,
) -> Result<IssuedKey, DomainError> {
    caller.require(KEYS_WRITE)?;
    if let Some(subject) = &new.subject
        && !caller.may_act_for(subject.as_str())
    {
        return Err(DomainError::Forbidden(
            "creating keys for another subject needs the scope keys:admin".to_owned(),
        ));
    }
    // keys:admin grants any valid scope, as on update (a protected API's own scopes
    // included); any other key grants only scopes it holds.
    if !caller.is_admin() {
        require_held(caller, &new.scopes)?;
    }
    if (new.ratelimit.is_some() || new.credits.is_some()) && !caller.is_admin() {
        return Err(DomainError::Forbidden(
            "setting ratelimit or credits needs the scope keys:admin".to_owned(),
        ));
    }
    // Claims reach every protected function as trusted context, so only an admin sets
    // them; other keys pass their own on to the keys they create.
    if !caller.is_admin() {
        if new.claims.as_ref().is_some_and(|c| !c.is_empty()) {
            return Err(DomainError::Forbidden(
                "setting claims needs the scope keys:admin; without it a new key inherits the caller's claims".to_owned(),
            ));
        }
        new.claims = Some(caller.claims.clone());
    }
    // A key cannot outlive the key that creates it.
    if let Some(limit) = caller.expiration {
        match new.expiration {
            None => new.expiration = Some(limit),
            Some(requested) if requested > limit => {
                return Err(DomainError::Forbidden(
                    "secondsUntilExpiration: a key cannot outlive the key that creates it"
                        .to_owned(),
                ));
            }
            Some(_) => {}
        }
    }
    // The caller as stored now: revoked a moment ago (by a cascade walking towards what it
    // mints), it mints nothing more.
    let creator = read_fresh(store, &caller.key_id).await?;
    if creator.as_ref().is_some_and(|c| c.revoked) {
        return Err(DomainError::Forbidden(
            "the calling key has been revoked".to_owned(),
        ));
    }
    // Minting never adds capacity: a key made by a key with limits spends its counters.
    let limits_from = creator.filter(ApiKeyRecord::has_limits);
    if limits_from.is_some() && (new.ratelimit.is_some() || new.credits.is_some()) {
        return Err(DomainError::Forbidden(
            "a key made by a key with usage limits spends its creator's limits; it cannot have its own"
                .to_owned(),
        ));
    }
    let mut issued = issue_key(store, prefix, new, caller, limits_from.as_ref(), now).await?;
    if limits_from.is_some() {
        live::read_credits(store, &mut issued.key, now).await?;
    }
    Ok(issued)
}

/// A new secret, with the hash and visible start the key is stored with.
pub(super) struct FreshSecret {
    pub secret: Secret,
    pub hash: KeyHash,
    pub start: String,
}

impl FreshSecret {
    pub(super) fn generate(prefix: &KeyPrefix) -> Result<Self, DomainError> {
        let secret = prefix.generate()?;
        let parsed = prefix
            .parse(secret.expose())
            .map_err(|e| DomainError::Internal(format!("generated key does not parse: {e}")))?;
        Ok(Self {
            hash: KeyHash::of(&parsed),
            start: parsed.start().to_owned(),
            secret,
        })
    }

    /// A failure to store a key with a fresh secret. 2^-256: a hash that already exists
    /// means the generator is broken, not a client conflict.
    pub(super) fn storing_failed(e: StoreError) -> DomainError {
        match e {
            StoreError::AlreadyExists => {
                DomainError::Internal("generated key hash already exists".into())
            }
            other => other.into(),
        }
    }
}

/// Generates the secret and stores the key's hash, with its `created` event (and its credit
/// balance, when it has credits of its own), made by `creator` (its `createdBy`). With
/// `limits_from`, the creator's record, the key carries the creator's limits and spends its
/// counters. No caller checks: [`create_key`] makes them for API callers, and operators
/// ([`super::bootstrap::issue_operator_key`]) have direct table access anyway.
pub(super) async fn issue_key(
    store: &dyn KeyWriter,
    prefix: &KeyPrefix,
    new: NewKey,
    creator: &Caller,
    limits_from: Option<&ApiKeyRecord>,
    now: Millis,
) -> Result<IssuedKey, DomainError> {
    let FreshSecret {
        secret,
        hash,
        start,
    } = FreshSecret::generate(prefix)?;
    let subject = new
        .subject
        .unwrap_or_else(|| Subject::trusted(&creator.subject));
    let record = ApiKeyRecord {
        key_hash: hash,
        id: ids::new_key_id()?,
        name: new.name,
        description: new.description,
        subject: subject.into_string(),
        created_by: Some(creator.key_id.clone()),
        scopes: scopes::into_strings(new.scopes),
        claims: new.claims.unwrap_or_default(),
        created_at: now,
        updated_at: now,
        expiration: new.expiration,
        revoked: false,
        revoked_at: None,
        revocation_reason: None,
        last_used_at: None,
        start,
        rerolled_from: None,
        rerolled_to: None,
        ratelimit: limits_from.map_or(new.ratelimit, |from| from.ratelimit),
        credits: limits_from.map_or(new.credits, |from| from.credits),
        limits_id: limits_from.map(|from| from.limits_id().to_owned()),
        inherited_limits: limits_from.is_some(),
    };
    let event = KeyEvent::new(
        &record.id,
        EventType::Created,
        now,
        creator,
        audit::between(None, &record),
    )?;
    store
        .put_new(&record, &event)
        .await
        .map_err(FreshSecret::storing_failed)?;
    tracing::info!(key_id = %record.id, subject = %record.subject, created_by = %creator.key_id, "key created");
    Ok(IssuedKey {
        key: record,
        secret,
    })
}

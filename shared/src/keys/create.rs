//! `POST /keys`: make a key and show its secret, once.

use super::{
    MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, MAX_SECONDS_UNTIL_EXPIRATION, require_held,
    validate_claims, validate_scopes, validate_subject,
};
use crate::api::{ApiKeyView, CreateKeyRequest};
use crate::audit::{self, EventType, KeyEvent};
use crate::caller::Caller;
use crate::clock::Millis;
use crate::error::{ApiError, StoreError};
use crate::fields::{optional_text, required_text};
use crate::hashing::KeyHash;
use crate::ids;
use crate::key_format::{KeyPrefix, Secret};
use crate::limits::{Credits, RateLimit};
use crate::model::{ApiKeyRecord, Claims};
use crate::scopes::KEYS_WRITE;
use crate::store::KeyWriter;

/// Creates a key and returns it with its secret: the only time the secret is ever shown.
/// The caller may create keys only for its own subject (unless `keys:admin`), only with
/// scopes it holds itself, never outliving itself, and sets claims only with `keys:admin`.
pub async fn create_key(
    store: &dyn KeyWriter,
    prefix: &KeyPrefix,
    caller: &Caller,
    req: CreateKeyRequest,
    now: Millis,
) -> Result<ApiKeyView, ApiError> {
    caller.require(KEYS_WRITE)?;
    let sets_claims = req.claims.as_ref().is_some_and(|c| !c.is_empty());
    let mut new = NewKey::validate(req, &caller.subject, now)?;
    if !caller.may_act_for(&new.subject) {
        return Err(ApiError::Forbidden(
            "creating keys for another subject needs the scope keys:admin".to_owned(),
        ));
    }
    require_held(caller, &new.scopes)?;
    if (new.ratelimit.is_some() || new.credits.is_some()) && !caller.is_admin() {
        return Err(ApiError::Forbidden(
            "setting ratelimit or credits needs the scope keys:admin".to_owned(),
        ));
    }
    // Claims reach every protected function as trusted context, so only an admin sets
    // them; other keys pass their own on to the keys they create.
    if !caller.is_admin() {
        if sets_claims {
            return Err(ApiError::Forbidden(
                "setting claims needs the scope keys:admin; without it a new key inherits the caller's claims".to_owned(),
            ));
        }
        new.claims = caller.claims.clone();
    }
    // A key cannot outlive the key that creates it.
    if let Some(limit) = caller.expiration {
        match new.expiration {
            None => new.expiration = Some(limit),
            Some(requested) if requested > limit => {
                return Err(ApiError::Forbidden(
                    "secondsUntilExpiration: a key cannot outlive the key that creates it"
                        .to_owned(),
                ));
            }
            Some(_) => {}
        }
    }
    issue_key(store, prefix, new, caller, now).await
}

/// A validated create request.
#[derive(Debug, Clone)]
#[allow(missing_docs)] // the fields of `CreateKeyRequest`, checked
pub struct NewKey {
    pub name: String,
    pub subject: String,
    pub description: Option<String>,
    pub scopes: Vec<String>,
    pub claims: Claims,
    pub expiration: Option<Millis>,
    pub ratelimit: Option<RateLimit>,
    pub credits: Option<Credits>,
}

impl NewKey {
    /// Checks every field; `subject` defaults to `default_subject`.
    pub fn validate(
        req: CreateKeyRequest,
        default_subject: &str,
        now: Millis,
    ) -> Result<Self, ApiError> {
        let name = required_text("name", &req.name, MAX_NAME_CHARS)?;
        let subject = req.subject.unwrap_or_else(|| default_subject.to_owned());
        validate_subject("subject", &subject)?;
        let description = optional_text("description", req.description, MAX_DESCRIPTION_CHARS)?;
        let scopes = validate_scopes("scopes", req.scopes.unwrap_or_default())?;
        let claims = req.claims.unwrap_or_default();
        validate_claims("claims", &claims)?;
        let expiration = match req.seconds_until_expiration {
            None => None,
            Some(s) if (1..=MAX_SECONDS_UNTIL_EXPIRATION).contains(&s) => Some(now + s * 1000),
            Some(_) => {
                return Err(ApiError::validation(
                    "secondsUntilExpiration",
                    format!(
                        "must be a whole number from 1 to {MAX_SECONDS_UNTIL_EXPIRATION}, or null"
                    ),
                ));
            }
        };
        if let Some(limit) = &req.ratelimit {
            limit.validate("ratelimit")?;
        }
        if let Some(credits) = &req.credits {
            credits.validate("credits")?;
        }
        Ok(Self {
            name,
            subject,
            description,
            scopes,
            claims,
            expiration,
            ratelimit: req.ratelimit,
            credits: req.credits,
        })
    }
}

/// A new secret, with the hash and visible start the key is stored with.
pub(super) struct FreshSecret {
    pub secret: Secret,
    pub hash: KeyHash,
    pub start: String,
}

impl FreshSecret {
    pub(super) fn generate(prefix: &KeyPrefix) -> Result<Self, ApiError> {
        let secret = prefix.generate()?;
        let parsed = prefix
            .parse(secret.expose())
            .map_err(|e| ApiError::Internal(format!("generated key does not parse: {e}")))?;
        Ok(Self {
            hash: KeyHash::of(&parsed),
            start: parsed.start().to_owned(),
            secret,
        })
    }

    /// A failure to store a key with a fresh secret. 2^-256: a hash that already exists
    /// means the generator is broken, not a client conflict.
    pub(super) fn storing_failed(e: StoreError) -> ApiError {
        match e {
            StoreError::AlreadyExists => {
                ApiError::Internal("generated key hash already exists".into())
            }
            other => other.into(),
        }
    }
}

/// Generates the secret and stores the key's hash, with its `created` event (and its credit
/// balance, when it has credits), made by
/// `creator` (its `createdBy`). No caller checks: [`create_key`] makes them for API
/// callers, and operators ([`super::issue_operator_key`]) have direct table access anyway.
pub async fn issue_key(
    store: &dyn KeyWriter,
    prefix: &KeyPrefix,
    new: NewKey,
    creator: &Caller,
    now: Millis,
) -> Result<ApiKeyView, ApiError> {
    let FreshSecret {
        secret,
        hash,
        start,
    } = FreshSecret::generate(prefix)?;
    let record = ApiKeyRecord {
        key_hash: hash,
        id: ids::new_key_id()?,
        name: new.name,
        description: new.description,
        subject: new.subject,
        created_by: Some(creator.key_id.clone()),
        scopes: new.scopes,
        claims: new.claims,
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
        ratelimit: new.ratelimit,
        credits: new.credits,
        limits_id: None,
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
    let mut view = ApiKeyView::of(&record, now);
    view.secret = Some(secret.into_inner());
    Ok(view)
}

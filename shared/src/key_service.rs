//! Key management rules: create, list, get, revoke and verify. Each takes the store
//! capability it needs and the authenticated [`Caller`]; nothing here knows about HTTP.

use crate::caller::Caller;
use crate::clock::Millis;
use crate::error::{ApiError, StoreError};
use crate::fields::{optional_text, required_text};
use crate::hashing::KeyHash;
use crate::ids;
use crate::key_format::KeyPrefix;
use crate::model::{ApiKeyRecord, ApiKeyView, Claims};
use crate::scopes::{self, KEYS_READ, KEYS_VERIFY, KEYS_WRITE, MAX_SCOPES};
use crate::store::{Cursor, KeyLister, KeyReader, KeyWriter, ListFilter, ListQuery};
use crate::store::{MAX_PAGE_SIZE, RevokeStore, VerifyStore};
use crate::verification::{self, Verdict};
use serde::{Deserialize, Serialize};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_REASON_CHARS: usize = 500;
pub const MAX_SUBJECT_CHARS: usize = 128;
pub const MAX_CLAIMS_BYTES: usize = 4096;
pub const MAX_QUERY_CHARS: usize = 100;
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Ten years.
pub const MAX_SECONDS_UNTIL_EXPIRATION: i64 = 10 * 365 * 24 * 3600;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateKeyRequest {
    pub name: String,
    pub subject: Option<String>,
    pub description: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub claims: Option<Claims>,
    pub seconds_until_expiration: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RevokeKeyRequest {
    pub revocation_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerifyKeyRequest {
    pub key: String,
    pub required_scopes: Option<Vec<String>>,
}

/// The raw query string parameters of `GET /keys`.
#[derive(Debug, Default, Clone)]
pub struct ListKeysParams {
    pub subject: Option<String>,
    pub query: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub include_invalid: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyList {
    pub data: Vec<ApiKeyView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerifyCode {
    Valid,
    Malformed,
    NotFound,
    Revoked,
    Expired,
    InsufficientScope,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct VerifyResult {
    pub valid: bool,
    pub code: VerifyCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<ApiKeyView>,
}

fn validate_subject(field: &'static str, subject: &str) -> Result<(), ApiError> {
    let ok = !subject.is_empty()
        && subject.chars().count() <= MAX_SUBJECT_CHARS
        && !subject.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(
            field,
            format!("must be 1 to {MAX_SUBJECT_CHARS} characters without spaces"),
        ))
    }
}

fn validate_scopes(field: &'static str, requested: Vec<String>) -> Result<Vec<String>, ApiError> {
    if requested.len() > MAX_SCOPES {
        return Err(ApiError::validation(
            field,
            format!("at most {MAX_SCOPES} scopes"),
        ));
    }
    let mut unique: Vec<String> = Vec::with_capacity(requested.len());
    for scope in requested {
        if !scopes::is_valid_scope(&scope) {
            return Err(ApiError::validation(
                field,
                format!("{scope:?} is not a scope: use 1 to 64 of a-z 0-9 : . _ -"),
            ));
        }
        if !unique.contains(&scope) {
            unique.push(scope);
        }
    }
    Ok(unique)
}

/// Creates a key and returns it with its secret: the only time the secret is ever shown.
/// The caller may create keys only for its own subject (unless `keys:admin`) and only
/// with scopes it holds itself.
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
    let missing = scopes::missing(&caller.scopes, &new.scopes);
    if !missing.is_empty() {
        return Err(ApiError::Forbidden(format!(
            "a key can only grant scopes it holds; missing: {}",
            missing.join(" ")
        )));
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
    issue_key(store, prefix, new, Some(&caller.key_id), now).await
}

/// A validated create request.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: String,
    pub subject: String,
    pub description: Option<String>,
    pub scopes: Vec<String>,
    pub claims: Claims,
    pub expiration: Option<Millis>,
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
        if serde_json::to_vec(&claims).map_or(usize::MAX, |b| b.len()) > MAX_CLAIMS_BYTES {
            return Err(ApiError::validation(
                "claims",
                format!("at most {MAX_CLAIMS_BYTES} bytes of JSON"),
            ));
        }
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
        Ok(Self {
            name,
            subject,
            description,
            scopes,
            claims,
            expiration,
        })
    }
}

/// Generates the secret and stores the key's hash. No caller checks: `create_key` makes
/// them for API callers; operators bootstrapping keys (admin CLI, local server) have
/// direct table access anyway.
pub async fn issue_key(
    store: &dyn KeyWriter,
    prefix: &KeyPrefix,
    new: NewKey,
    created_by: Option<&str>,
    now: Millis,
) -> Result<ApiKeyView, ApiError> {
    let secret = prefix.generate()?;
    let parsed = prefix
        .parse(secret.expose())
        .map_err(|e| ApiError::Internal(format!("generated key does not parse: {e}")))?;
    let record = ApiKeyRecord {
        key_hash: KeyHash::of(&parsed),
        id: ids::new_key_id()?,
        name: new.name,
        description: new.description,
        subject: new.subject,
        created_by: created_by.map(str::to_owned),
        scopes: new.scopes,
        claims: new.claims,
        created_at: now,
        updated_at: now,
        expiration: new.expiration,
        revoked: false,
        revoked_at: None,
        revocation_reason: None,
        last_used_at: None,
        start: parsed.start().to_owned(),
    };
    store.put_new(&record).await.map_err(|e| match e {
        // 2^-256: a collision means the generator is broken, not a client conflict.
        StoreError::AlreadyExists => ApiError::Internal("generated key hash already exists".into()),
        other => other.into(),
    })?;
    tracing::info!(key_id = %record.id, subject = %record.subject, created_by, "key created");
    let mut view = ApiKeyView::of(&record, now);
    view.secret = Some(secret.into_inner());
    Ok(view)
}

pub async fn list_keys(
    store: &dyn KeyLister,
    caller: &Caller,
    params: ListKeysParams,
    now: Millis,
) -> Result<KeyList, ApiError> {
    caller.require(KEYS_READ)?;
    let subject = params.subject.unwrap_or_else(|| caller.subject.clone());
    validate_subject("subject", &subject)?;
    if !caller.may_act_for(&subject) {
        return Err(ApiError::Forbidden(
            "listing another subject's keys needs the scope keys:admin".to_owned(),
        ));
    }
    let limit = match params.limit.as_deref() {
        None => DEFAULT_PAGE_SIZE,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| {
                ApiError::validation(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                )
            })?,
    };
    let include_invalid = match params
        .include_invalid
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::validation(
                "includeInvalid",
                "must be true or false",
            ));
        }
    };
    let name_contains =
        optional_text("query", params.query, MAX_QUERY_CHARS)?.map(|q| q.to_lowercase());
    let cursor = params
        .cursor
        .filter(|c| !c.is_empty())
        .map(|c| Cursor::decode(&c, &subject))
        .transpose()?;
    let page = store
        .list_by_subject(
            &subject,
            &ListQuery {
                limit,
                cursor,
                filter: ListFilter {
                    name_contains,
                    include_invalid,
                    now,
                },
            },
        )
        .await?;
    Ok(KeyList {
        data: page.items.iter().map(|k| ApiKeyView::of(k, now)).collect(),
        next_cursor: page.next.map(|c| c.encode(&subject)),
    })
}

/// Finds a key the caller may see. Another subject's key is "not found", not "forbidden",
/// so ids cannot be probed.
async fn visible_key(
    store: &dyn KeyReader,
    caller: &Caller,
    id: &str,
) -> Result<ApiKeyRecord, ApiError> {
    if !ids::looks_like_key_id(id) {
        return Err(ApiError::key_not_found());
    }
    store
        .get_by_id(id)
        .await?
        .filter(|k| caller.may_act_for(&k.subject))
        .ok_or_else(ApiError::key_not_found)
}

pub async fn get_key(
    store: &dyn KeyReader,
    caller: &Caller,
    id: &str,
    now: Millis,
) -> Result<ApiKeyView, ApiError> {
    caller.require(KEYS_READ)?;
    Ok(ApiKeyView::of(&visible_key(store, caller, id).await?, now))
}

pub async fn revoke_key(
    store: &dyn RevokeStore,
    caller: &Caller,
    id: &str,
    req: RevokeKeyRequest,
    now: Millis,
) -> Result<ApiKeyView, ApiError> {
    caller.require(KEYS_WRITE)?;
    let reason = optional_text("revocationReason", req.revocation_reason, MAX_REASON_CHARS)?;
    let key = visible_key(store, caller, id).await?;
    let revoked = store.revoke(&key.key_hash, reason.as_deref(), now).await?;
    tracing::info!(key_id = %revoked.id, revoked_by = %caller.key_id, "key revoked");
    Ok(ApiKeyView::of(&revoked, now))
}

/// Always answers with a verdict (the HTTP status is 200); callers must read `valid`.
pub async fn verify_key(
    store: &dyn VerifyStore,
    prefix: &KeyPrefix,
    caller: &Caller,
    req: VerifyKeyRequest,
    now: Millis,
) -> Result<VerifyResult, ApiError> {
    caller.require(KEYS_VERIFY)?;
    let required = validate_scopes("requiredScopes", req.required_scopes.unwrap_or_default())?;
    // Over-long, mistyped or foreign keys are refused by the format check, before any read.
    let verdict = verification::check(store, prefix, &req.key, now).await?;
    let key = verdict.record().map(|k| ApiKeyView::of(k, now));
    let code = match &verdict {
        Verdict::Malformed => VerifyCode::Malformed,
        Verdict::NotFound => VerifyCode::NotFound,
        Verdict::Revoked(_) => VerifyCode::Revoked,
        Verdict::Expired(_) => VerifyCode::Expired,
        Verdict::Valid(k) if !scopes::missing(&k.scopes, &required).is_empty() => {
            VerifyCode::InsufficientScope
        }
        Verdict::Valid(k) => {
            verification::record_use(store, k, now).await;
            VerifyCode::Valid
        }
    };
    Ok(VerifyResult {
        valid: code == VerifyCode::Valid,
        code,
        key,
    })
}

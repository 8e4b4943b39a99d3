//! `POST /keys/verify`: another service asks whether a secret is a usable key.

use super::validate_scopes;
use crate::api::{ApiKeyView, VerifyCode, VerifyKeyRequest, VerifyResult};
use crate::caller::Caller;
use crate::clock::Millis;
use crate::error::ApiError;
use crate::key_format::KeyPrefix;
use crate::scopes::{self, KEYS_VERIFY};
use crate::store::VerifyStore;
use crate::verification::{self, Verdict};

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
    let code = match &verdict {
        Verdict::Valid(k) if !scopes::missing(&k.scopes, &required).is_empty() => {
            VerifyCode::InsufficientScope
        }
        Verdict::Valid(k) => {
            verification::record_use(store, k, now).await;
            VerifyCode::Valid
        }
        refused => refused.code(),
    };
    Ok(VerifyResult {
        valid: code == VerifyCode::Valid,
        code,
        key: verdict.record().map(|k| ApiKeyView::of(k, now)),
    })
}

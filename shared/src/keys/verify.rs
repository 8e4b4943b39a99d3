//! `POST /keys/verify`: another service asks whether a secret is a usable key.

use super::validate_scopes;
use crate::api::{ApiKeyView, VerifyCode, VerifyKeyRequest, VerifyResult};
use crate::caller::Caller;
use crate::clock::Millis;
use crate::error::ApiError;
use crate::key_format::KeyPrefix;
use crate::limits::credits::MAX_CREDITS;
use crate::limits::enforce::{self, Charge, Refusal};
use crate::scopes::{self, KEYS_VERIFY};
use crate::store::VerifyStore;
use crate::verification::{self, Verdict};

/// Always answers with a verdict (the HTTP status is 200); callers must read `valid`. A
/// usable key with every required scope is then charged to its limits: `cost` credits
/// (default 1; 0 only looks) and one request of its rate limit.
pub async fn verify_key(
    store: &dyn VerifyStore,
    prefix: &KeyPrefix,
    caller: &Caller,
    req: VerifyKeyRequest,
    now: Millis,
) -> Result<VerifyResult, ApiError> {
    caller.require(KEYS_VERIFY)?;
    let required = validate_scopes("requiredScopes", req.required_scopes.unwrap_or_default())?;
    let cost = req.cost.unwrap_or(1);
    if cost > MAX_CREDITS {
        return Err(ApiError::validation(
            "cost",
            format!("must be a whole number from 0 to {MAX_CREDITS}"),
        ));
    }
    // Over-long, mistyped or foreign keys are refused by the format check, before any read.
    let verdict = verification::check(store, prefix, &req.key, now).await?;
    let mut charge = Charge::default();
    let code = match &verdict {
        Verdict::Valid(k) if !scopes::missing(&k.scopes, &required).is_empty() => {
            VerifyCode::InsufficientScope
        }
        Verdict::Valid(k) => {
            charge = enforce::charge(store, k, cost, now).await?;
            match charge.refusal {
                Some(Refusal::RateLimited) => VerifyCode::RateLimited,
                Some(Refusal::UsageExceeded) => VerifyCode::UsageExceeded,
                None => {
                    verification::record_use(store, k, now).await;
                    VerifyCode::Valid
                }
            }
        }
        refused => refused.code(),
    };
    let mut key = verdict.record().map(|k| ApiKeyView::of(k, now));
    if let (Some(view), Some(credits)) = (key.as_mut(), charge.credits) {
        // The balance as this check left it.
        if let Some(shown) = view.credits.as_mut() {
            shown.remaining = credits.remaining;
        }
    }
    Ok(VerifyResult {
        valid: code == VerifyCode::Valid,
        code,
        key,
        credits: charge.credits,
        ratelimit: charge.ratelimit,
    })
}

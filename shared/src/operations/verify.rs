//! `POST /keys/verify`: another service asks whether a secret is a usable key.

use super::authenticate::{self, Verdict};
use super::charge::{self, Charge, Refusal};
use crate::domain::caller::Caller;
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::key::ApiKeyRecord;
use crate::domain::key_format::KeyPrefix;
use crate::domain::scopes::{self, KEYS_VERIFY, Scope};
use crate::store::VerifyStore;
use serde::{Deserialize, Serialize};

/// A verify request, parsed by the edge.
pub struct VerifyRequest {
    /// The secret to check, as presented.
    pub key: String,
    /// Scopes the key must hold to be `VALID`.
    pub required_scopes: Vec<Scope>,
    /// Credits this check spends (0 only looks, and counts no request).
    pub cost: u64,
}

/// `Debug` never shows the presented secret.
impl std::fmt::Debug for VerifyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyRequest")
            .field("key", &"<redacted>")
            .field("required_scopes", &self.required_scopes)
            .field("cost", &self.cost)
            .finish()
    }
}

/// The verdict of `POST /keys/verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerifyCode {
    /// Usable, with every required scope.
    Valid,
    /// Not a key of this deployment's format (no read was made).
    Malformed,
    /// Well formed, but no such key.
    NotFound,
    /// Revoked.
    Revoked,
    /// Past its expiration.
    Expired,
    /// Usable, but lacks a required scope.
    InsufficientScope,
    /// Usable, but its rate limit's window is full.
    RateLimited,
    /// Usable, but it has not enough credits left.
    UsageExceeded,
}

impl VerifyCode {
    /// The code for a verdict, scopes and limits aside.
    pub fn of(verdict: &Verdict) -> Self {
        match verdict {
            Verdict::Valid(_) => Self::Valid,
            Verdict::Malformed => Self::Malformed,
            Verdict::NotFound => Self::NotFound,
            Verdict::Revoked(_) => Self::Revoked,
            Verdict::Expired(_) => Self::Expired,
        }
    }

    /// The code as the API spells it, for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "VALID",
            Self::Malformed => "MALFORMED",
            Self::NotFound => "NOT_FOUND",
            Self::Revoked => "REVOKED",
            Self::Expired => "EXPIRED",
            Self::InsufficientScope => "INSUFFICIENT_SCOPE",
            Self::RateLimited => "RATE_LIMITED",
            Self::UsageExceeded => "USAGE_EXCEEDED",
        }
    }
}

/// What a verification found.
#[derive(Debug)]
pub struct Verification {
    /// Why the key may or may not be used.
    pub code: VerifyCode,
    /// The key, when one was found, with the balance this check left.
    pub key: Option<ApiKeyRecord>,
    /// What charging it gave (nothing for a key not charged).
    pub charge: Charge,
}

/// Always a verdict; callers read `code`. A usable key with every required scope is then
/// charged to its limits: `cost` credits and one request of its rate limit.
pub async fn verify_key(
    store: &dyn VerifyStore,
    prefix: &KeyPrefix,
    caller: &Caller,
    request: VerifyRequest,
    now: Millis,
) -> Result<Verification, DomainError> {
    caller.require(KEYS_VERIFY)?;
    // Over-long, mistyped or foreign keys are refused by the format check, before any read.
    let verdict = authenticate::check(store, prefix, &request.key, now).await?;
    let mut charge = Charge::default();
    let code = match &verdict {
        Verdict::Valid(k) if !scopes::missing(&k.scopes, &request.required_scopes).is_empty() => {
            VerifyCode::InsufficientScope
        }
        Verdict::Valid(k) => {
            charge = charge::charge(store, k, request.cost, now).await?;
            match charge.refusal {
                Some(Refusal::RateLimited) => VerifyCode::RateLimited,
                Some(Refusal::UsageExceeded) => VerifyCode::UsageExceeded,
                None => {
                    authenticate::record_use(store, k, now).await;
                    VerifyCode::Valid
                }
            }
        }
        refused => VerifyCode::of(refused),
    };
    let mut key = verdict.into_record();
    if let (Some(key), Some(credits)) = (key.as_mut(), charge.credits) {
        // The balance as this check left it.
        if let Some(shown) = key.credits.as_mut() {
            shown.remaining = credits.remaining;
        }
    }
    Ok(Verification { code, key, charge })
}

//! The answer of `POST /keys/verify`.

use super::ApiKeyView;
use crate::domain::clock::Millis;
use crate::operations::charge::{CreditsState, RateLimitState};
use crate::operations::verify::{Verification, VerifyCode};
use serde::{Deserialize, Serialize};

/// Body of `POST /keys/verify`'s answer (always 200; read `valid`).
#[derive(Debug, Serialize, Deserialize)]
pub struct VerifyResult {
    /// Whether the key may be used.
    pub valid: bool,
    /// Why.
    pub code: VerifyCode,
    /// The key, when one was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<ApiKeyView>,
    /// Credits left, when the key has credits and they were charged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<CreditsState>,
    /// The rate limit's window, when the key has a rate limit and it was charged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratelimit: Option<RateLimitState>,
}

impl VerifyResult {
    /// The answer for a verification made at `now`.
    pub fn of(verification: &Verification, now: Millis) -> Self {
        Self {
            valid: verification.code == VerifyCode::Valid,
            code: verification.code,
            key: verification.key.as_ref().map(|k| ApiKeyView::of(k, now)),
            credits: verification.charge.credits,
            ratelimit: verification.charge.ratelimit,
        }
    }
}

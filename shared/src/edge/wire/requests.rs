//! Request bodies as sent, and their parsing into the operations' inputs: each field checked
//! once here, with the error naming it, so the operations trust what they are given.

use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::key::{
    Claims, MAX_DESCRIPTION_CHARS, MAX_GRACE_PERIOD_MS, MAX_NAME_CHARS, MAX_REASON_CHARS,
    MAX_SECONDS_UNTIL_EXPIRATION, checked_claims,
};
use crate::domain::limits::credits::MAX_CREDITS;
use crate::domain::limits::{Credits, RateLimit};
use crate::domain::product::{MAX_PRODUCT_NAME_CHARS, price_in_cents};
use crate::domain::scopes;
use crate::domain::subject::Subject;
use crate::domain::text::{optional_text, required_text};
use crate::operations::create::NewKey;
use crate::operations::products::NewProduct;
use crate::operations::revoke::Revocation;
use crate::operations::update::KeyChanges;
use crate::operations::verify::VerifyRequest;
use serde::Deserialize;

/// Body of `POST /keys`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateKeyRequest {
    /// Display name, required.
    pub name: String,
    /// Owner of the key; the caller's own subject when omitted.
    #[serde(default, deserialize_with = "crate::domain::json::non_null")]
    pub subject: Option<String>,
    /// Free text.
    #[serde(default, deserialize_with = "crate::domain::json::non_null")]
    pub description: Option<String>,
    /// Scopes granted; each must be held by the caller.
    #[serde(default, deserialize_with = "crate::domain::json::non_null")]
    pub scopes: Option<Vec<String>>,
    /// Claims handed to protected functions (`keys:admin` only).
    #[serde(default, deserialize_with = "crate::domain::json::non_null")]
    pub claims: Option<Claims>,
    /// Lifetime; the key never expires when omitted (unless its creator does).
    pub seconds_until_expiration: Option<i64>,
    /// At most `limit` requests per `durationMs`.
    #[serde(default, deserialize_with = "crate::domain::json::non_null")]
    pub ratelimit: Option<RateLimit>,
    /// A balance each request spends, optionally refilled.
    #[serde(default, deserialize_with = "crate::domain::json::non_null")]
    pub credits: Option<Credits>,
}

/// Body of `POST /keys/{id}/revoke`, optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RevokeKeyRequest {
    /// Why the key was revoked, kept with it.
    #[serde(default, deserialize_with = "crate::domain::json::non_null")]
    pub revocation_reason: Option<String>,
    /// Revoke every key this key created, transitively, too.
    #[serde(default)]
    pub cascade: bool,
}

/// Body of `POST /keys/{id}/reroll`, optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RerollKeyRequest {
    /// How long the old key keeps working, 0 (the default) to 7 days in milliseconds.
    #[serde(default, deserialize_with = "crate::domain::json::non_null")]
    pub grace_period_ms: Option<i64>,
}

/// Body of `PATCH /keys/{id}`: every field optional, an omitted one unchanged; `null`
/// clears `description`, `claims` and `expiration` and is refused for the others.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateKeyRequest {
    /// Display name.
    #[serde(default, deserialize_with = "crate::domain::json::present")]
    pub name: Option<Option<String>>,
    /// Free text.
    #[serde(default, deserialize_with = "crate::domain::json::present")]
    pub description: Option<Option<String>>,
    /// Replaces the scopes; each must be held by the caller (unless `keys:admin`).
    #[serde(default, deserialize_with = "crate::domain::json::present")]
    pub scopes: Option<Option<Vec<String>>>,
    /// Replaces the claims (`keys:admin` only).
    #[serde(default, deserialize_with = "crate::domain::json::present")]
    pub claims: Option<Option<Claims>>,
    /// Epoch milliseconds, or `null` for none.
    #[serde(default, deserialize_with = "crate::domain::json::present")]
    pub expiration: Option<Option<Millis>>,
    /// Replaces the rate limit, or `null` removes it.
    #[serde(default, deserialize_with = "crate::domain::json::present")]
    pub ratelimit: Option<Option<RateLimit>>,
    /// Sets the balance (and refill), or `null` removes credits.
    #[serde(default, deserialize_with = "crate::domain::json::present")]
    pub credits: Option<Option<Credits>>,
}

impl UpdateKeyRequest {
    /// Whether the body names no field at all.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.scopes.is_none()
            && self.claims.is_none()
            && self.expiration.is_none()
            && self.ratelimit.is_none()
            && self.credits.is_none()
    }
}

/// Body of `POST /keys/verify`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerifyKeyRequest {
    /// The secret to check.
    pub key: String,
    /// Scopes the key must hold to be `VALID`.
    #[serde(default, deserialize_with = "crate::domain::json::non_null")]
    pub required_scopes: Option<Vec<String>>,
    /// Credits this check spends: 1 when absent, 0 only looks (and counts no request).
    #[serde(default, deserialize_with = "crate::domain::json::non_null")]
    pub cost: Option<u64>,
}

impl std::fmt::Debug for VerifyKeyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyKeyRequest")
            .field("key", &"<redacted>")
            .field("required_scopes", &self.required_scopes)
            .field("cost", &self.cost)
            .finish()
    }
}

/// Body of `POST /products`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    /// Product name.
    pub name: String,
    /// Price: a JSON number read from its exact text (an f64 would round `1e-8` to a
    /// price and `1000000000.0000001` to the maximum).
    pub price: Box<serde_json::value::RawValue>,
}

impl CreateKeyRequest {
    /// The key to create, every field checked; its lifetime counts from `now`.
    pub fn parse(self, now: Millis) -> Result<NewKey, DomainError> {
        let name = required_text("name", &self.name, MAX_NAME_CHARS)?;
        let subject = self
            .subject
            .map(|s| Subject::parse("subject", s))
            .transpose()?;
        let description = optional_text("description", self.description, MAX_DESCRIPTION_CHARS)?;
        let scopes = scopes::parse_list("scopes", self.scopes.unwrap_or_default())?;
        let claims = self
            .claims
            .map(|c| checked_claims("claims", c))
            .transpose()?;
        let expiration = match self.seconds_until_expiration {
            None => None,
            Some(s) if (1..=MAX_SECONDS_UNTIL_EXPIRATION).contains(&s) => Some(now + s * 1000),
            Some(_) => {
                return Err(DomainError::invalid(
                    "secondsUntilExpiration",
                    format!(
                        "must be a whole number from 1 to {MAX_SECONDS_UNTIL_EXPIRATION}, or null"
                    ),
                ));
            }
        };
        check_limits(self.ratelimit.as_ref(), self.credits.as_ref())?;
        Ok(NewKey {
            name,
            subject,
            description,
            scopes,
            claims,
            expiration,
            ratelimit: self.ratelimit,
            credits: self.credits,
        })
    }
}

fn check_limits(
    ratelimit: Option<&RateLimit>,
    credits: Option<&Credits>,
) -> Result<(), DomainError> {
    if let Some(limit) = ratelimit {
        limit.validate("ratelimit")?;
    }
    if let Some(credits) = credits {
        credits.validate("credits")?;
    }
    Ok(())
}

impl RevokeKeyRequest {
    /// The revocation asked for.
    pub fn parse(self) -> Result<Revocation, DomainError> {
        Ok(Revocation {
            reason: optional_text("revocationReason", self.revocation_reason, MAX_REASON_CHARS)?,
            cascade: self.cascade,
        })
    }
}

impl RerollKeyRequest {
    /// The grace period: 0 (the default) to [`MAX_GRACE_PERIOD_MS`].
    pub fn parse(self) -> Result<Millis, DomainError> {
        let grace = self.grace_period_ms.unwrap_or(0);
        if !(0..=MAX_GRACE_PERIOD_MS).contains(&grace) {
            return Err(DomainError::invalid(
                "gracePeriodMs",
                format!("must be a whole number from 0 to {MAX_GRACE_PERIOD_MS} (7 days)"),
            ));
        }
        Ok(grace)
    }
}

fn not_null(field: &'static str) -> DomainError {
    DomainError::invalid(field, "cannot be null")
}

impl UpdateKeyRequest {
    /// The changes asked for, each checked; a new expiration must be after `now` and within
    /// ten years. A body that names no field is refused.
    pub fn parse(self, now: Millis) -> Result<KeyChanges, DomainError> {
        if self.is_empty() {
            return Err(DomainError::NothingToChange(
                "the body names no field to change: name, description, scopes, claims, expiration, ratelimit, credits"
                    .to_owned(),
            ));
        }
        let name = self
            .name
            .map(|n| required_text("name", &n.ok_or_else(|| not_null("name"))?, MAX_NAME_CHARS))
            .transpose()?;
        let description = self
            .description
            .map(|d| optional_text("description", d, MAX_DESCRIPTION_CHARS))
            .transpose()?;
        let scopes = self
            .scopes
            .map(|s| scopes::parse_list("scopes", s.ok_or_else(|| not_null("scopes"))?))
            .transpose()?;
        let claims = self
            .claims
            .map(|c| checked_claims("claims", c.unwrap_or_default()))
            .transpose()?;
        let latest = now + MAX_SECONDS_UNTIL_EXPIRATION * 1000;
        if let Some(Some(at)) = self.expiration
            && !(now < at && at <= latest)
        {
            return Err(DomainError::invalid(
                "expiration",
                "must be a time in epoch milliseconds after now and within ten years, or null",
            ));
        }
        check_limits(
            self.ratelimit.as_ref().and_then(Option::as_ref),
            self.credits.as_ref().and_then(Option::as_ref),
        )?;
        Ok(KeyChanges {
            name,
            description,
            scopes,
            claims,
            expiration: self.expiration,
            ratelimit: self.ratelimit,
            credits: self.credits,
        })
    }
}

impl VerifyKeyRequest {
    /// The check asked for: required scopes of the right syntax, a cost of 0 to
    /// [`MAX_CREDITS`] (1 when absent).
    pub fn parse(self) -> Result<VerifyRequest, DomainError> {
        let required_scopes =
            scopes::parse_list("requiredScopes", self.required_scopes.unwrap_or_default())?;
        let cost = self.cost.unwrap_or(1);
        if cost > MAX_CREDITS {
            return Err(DomainError::invalid(
                "cost",
                format!("must be a whole number from 0 to {MAX_CREDITS}"),
            ));
        }
        Ok(VerifyRequest {
            key: self.key,
            required_scopes,
            cost,
        })
    }
}

impl CreateProductRequest {
    /// The product to create: a name, and a price taken from its exact JSON text.
    pub fn parse(self) -> Result<NewProduct, DomainError> {
        Ok(NewProduct {
            name: required_text("name", &self.name, MAX_PRODUCT_NAME_CHARS)?,
            price_cents: price_in_cents(self.price.get())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_secret() {
        let request: VerifyKeyRequest =
            serde_json::from_str(r#"{"key":"sk_live_topsecret"}"#).unwrap();
        assert!(!format!("{request:?}").contains("topsecret"));
        let parsed = request.parse().unwrap();
        assert!(!format!("{parsed:?}").contains("topsecret"));
    }
}

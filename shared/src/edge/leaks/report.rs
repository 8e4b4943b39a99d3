//! A leak report's tokens: each judged (our format first, so a malformed token costs no
//! read; then one read by hash), a key of ours revoked with its whole family, and every
//! token labelled for GitHub.

use crate::domain::clock::Millis;
use crate::domain::error::ErrorChain;
use crate::domain::hashing::KeyHash;
use crate::domain::key_format::KeyPrefix;
use crate::edge::errors::ApiError;
use crate::operations::revoke::{revoke_reported, take_family};
use crate::store::CascadeStore;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Most tokens one report may carry (GitHub sends far fewer).
pub const MAX_TOKENS: usize = 1000;
/// Largest report body read, in bytes: 1 000 tokens with long URLs.
pub const MAX_REPORT_BYTES: usize = 1024 * 1024;

/// One token GitHub found.
#[derive(Deserialize)]
pub struct ReportedToken {
    /// The text found: perhaps one of our keys.
    pub token: String,
    /// The token type GitHub matched (our registered type name).
    #[serde(rename = "type")]
    pub kind: String,
    /// Where it was found.
    #[serde(default)]
    pub url: Option<String>,
    /// What kind of place that is (`content`, `commit`, …).
    #[serde(default)]
    pub source: Option<String>,
}

/// `Debug` never shows the token: it may be a live secret.
impl std::fmt::Debug for ReportedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportedToken")
            .field("token", &"<redacted>")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("source", &self.source)
            .finish()
    }
}

/// GitHub's feedback label for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// A key of this deployment (live, now revoked; or revoked or expired already).
    TruePositive,
    /// Not a key of ours: wrong format, or no such key.
    FalsePositive,
}

/// The answer for one token.
#[derive(Debug, Clone, Serialize)]
pub struct TokenLabel {
    /// SHA-256 of the token, hex, as GitHub's protocol asks: the reporter holds the token
    /// itself, so this tells it nothing new.
    pub token_hash: String,
    /// The type GitHub sent.
    pub token_type: String,
    /// Ours or not.
    pub label: Label,
}

/// Judges every token: a key of ours is revoked (`leaked: <url>`) with every key it
/// created and its reroll successors, transitively, even when it is itself revoked or
/// expired already (what it made may not be). Every reported key is revoked first; then
/// the families, sharing `deadline`: what does not fit, or fails, continues asynchronously
/// and does not hold back the answer.
pub async fn judge(
    store: &dyn CascadeStore,
    prefix: &KeyPrefix,
    tokens: Vec<ReportedToken>,
    now: Millis,
    deadline: Instant,
) -> Result<Vec<TokenLabel>, ApiError> {
    let mut labels = Vec::with_capacity(tokens.len());
    let mut families = Vec::new();
    for reported in tokens {
        let mut label = Label::FalsePositive;
        if let Ok(parsed) = prefix.parse(&reported.token)
            && let Some(key) = store.get_by_hash(&KeyHash::of(&parsed)).await?
        {
            label = Label::TruePositive;
            let url = reported.url.as_deref().unwrap_or("(no url)");
            families.push(revoke_reported(store, &key, url, now).await?);
        }
        labels.push(TokenLabel {
            token_hash: KeyHash::of_secret(&reported.token).as_str().to_owned(),
            token_type: reported.kind,
            label,
        });
    }
    for leaked in families {
        let key_id = leaked.key.id.clone();
        if let Err(e) = take_family(store, leaked, now, deadline).await {
            tracing::error!(%key_id, error = %ErrorChain(&e), "leaked key's family handed on after a failure");
        }
    }
    Ok(labels)
}

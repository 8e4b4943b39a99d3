//! `POST /secret-scanning/github`: API Gateway runs no authorizer on it; the signature is
//! checked before anything else is read, and a request without a valid one changes nothing.

use super::report::{self, MAX_REPORT_BYTES, MAX_TOKENS, ReportedToken};
use super::signing_keys::{SignatureError, SigningKeys};
use crate::domain::clock::now_ms;
use crate::domain::error::DomainError;
use crate::edge::config::Config;
use crate::edge::errors::ApiError;
use crate::edge::http::{error_response, json_response};
use crate::store::CascadeStore;
use lambda_http::{Body, Request, Response};
use std::time::Instant;

/// The header naming the key GitHub signed with.
pub const KEY_IDENTIFIER_HEADER: &str = "github-public-key-identifier";
/// The header carrying the signature, base64 DER.
pub const SIGNATURE_HEADER: &str = "github-public-key-signature";

/// Answers a report: 401 without a valid signature, else each token's label.
pub async fn report_leaks(
    store: &dyn CascadeStore,
    config: &Config,
    keys: &SigningKeys,
    req: Request,
) -> Response<Body> {
    let result = async {
        if req.method() != http::Method::POST {
            return Err(ApiError::NoRoute(format!(
                "{} {}",
                req.method(),
                req.uri().path()
            )));
        }
        let body: &[u8] = req.body().as_ref();
        if body.len() > MAX_REPORT_BYTES {
            return Err(ApiError::PayloadTooLarge(MAX_REPORT_BYTES));
        }
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        };
        keys.verify(
            header(KEY_IDENTIFIER_HEADER),
            header(SIGNATURE_HEADER),
            body,
        )
        .await
        .map_err(|e| match e {
            SignatureError::Unavailable(detail) => ApiError::SigningKeysUnavailable(detail),
            refused => {
                tracing::info!(reason = %refused, "leak report refused");
                ApiError::BadSignature
            }
        })?;
        let tokens: Vec<ReportedToken> = serde_json::from_slice(body).map_err(|e| {
            ApiError::BadRequest(format!(
                "the report must be a JSON array of {{token, type, url, source}}: {e}"
            ))
        })?;
        if tokens.len() > MAX_TOKENS {
            return Err(
                DomainError::invalid("tokens", format!("at most {MAX_TOKENS} a report")).into(),
            );
        }
        let deadline = Instant::now() + config.cascade_budget;
        let labels = report::judge(store, &config.key_prefix, tokens, now_ms(), deadline).await?;
        Ok(json_response(200, &labels))
    }
    .await;
    result.unwrap_or_else(|e| error_response(&e))
}

//! Where an error becomes an HTTP answer: every refusal of the API, the domain's and the
//! edge's own, with its status, `error.code` and the message a client may see. The one
//! mapping; `http::error_response` renders it.

use crate::domain::error::DomainError;
use crate::store::error::StoreError;

/// Everything a handler can answer with other than success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// An operation's refusal or failure.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The request cannot be read (bad JSON, wrong shape).
    #[error("{0}")]
    BadRequest(String),
    /// No usable key, or no authorizer context.
    #[error("missing or invalid API key")]
    Unauthorized,
    /// The body is over the limit (in bytes).
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The body is not `application/json`.
    #[error("request body must be application/json")]
    UnsupportedMediaType,
    /// This function serves no such method and path.
    #[error("no route for {0}")]
    NoRoute(String),
    /// A leak report's signature is missing or does not verify (401).
    #[error("the report's signature is missing or does not verify")]
    BadSignature,
    /// GitHub's signing keys could not be fetched, so no report can be checked (503). The
    /// detail is logged.
    #[error("the signing keys are unreachable; retry in a moment")]
    SigningKeysUnavailable(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::Domain(e.into())
    }
}

impl ApiError {
    /// Whether this is our failure rather than the client's (a 5xx, logged as an error).
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::SigningKeysUnavailable(_)
                | Self::Domain(
                    DomainError::Unavailable(_)
                        | DomainError::Store(_)
                        | DomainError::Random(_)
                        | DomainError::Internal(_)
                )
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::Domain(e) => match e {
                DomainError::Invalid { .. }
                | DomainError::NothingToChange(_)
                | DomainError::InvalidCursor => 400,
                DomainError::Forbidden(_) => 403,
                DomainError::NotFound(_) => 404,
                DomainError::Conflict(_) => 409,
                DomainError::Unavailable(_) => 503,
                DomainError::Store(_) | DomainError::Random(_) | DomainError::Internal(_) => 500,
            },
            Self::BadRequest(_) => 400,
            Self::Unauthorized | Self::BadSignature => 401,
            Self::NoRoute(_) => 404,
            Self::PayloadTooLarge(_) => 413,
            Self::UnsupportedMediaType => 415,
            Self::SigningKeysUnavailable(_) => 503,
        }
    }

    /// The `error.code` of the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Domain(e) => match e {
                DomainError::Invalid { .. } => "validation_error",
                DomainError::NothingToChange(_) => "bad_request",
                DomainError::InvalidCursor => "invalid_cursor",
                DomainError::Forbidden(_) => "forbidden",
                DomainError::NotFound(_) => "not_found",
                DomainError::Conflict(_) => "conflict",
                DomainError::Unavailable(_) => "unavailable",
                DomainError::Store(_) | DomainError::Random(_) | DomainError::Internal(_) => {
                    "internal_error"
                }
            },
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized | Self::BadSignature => "unauthorized",
            Self::NoRoute(_) => "not_found",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::SigningKeysUnavailable(_) => "unavailable",
        }
    }

    /// What the client is told: a 503 says to retry; other internal details stay in the logs.
    pub fn public_message(&self) -> String {
        if self.status() == 503 || !self.is_internal() {
            self.to_string()
        } else {
            "internal error".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::{Cause, ErrorChain};

    #[test]
    fn store_failures_keep_their_cause_and_stay_out_of_responses() {
        let cause: Cause = "connection reset by peer".into();
        let err = ApiError::from(StoreError::Backend {
            operation: "GetItem",
            source: cause,
        });
        assert_eq!(err.status(), 500);
        assert_eq!(err.public_message(), "internal error");
        assert_eq!(
            ErrorChain(&err).to_string(),
            "the store failed: GetItem failed: connection reset by peer"
        );
    }
}

//! Typed errors. [`ApiError`] becomes a status and a JSON body in one place,
//! `http::error_response`; store errors keep their cause as a `source` so logs show the chain.

use std::error::Error;
use std::fmt;

/// The cause of a store failure, as the backend reported it.
pub type Cause = Box<dyn Error + Send + Sync + 'static>;

/// Everything a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write would overwrite an existing item.
    #[error("an item with this key already exists")]
    AlreadyExists,
    /// The item to change does not exist.
    #[error("no such item")]
    NotFound,
    /// The item changed (or was revoked) since it was read; nothing was written.
    #[error("the item changed since it was read")]
    Changed,
    /// A listing cursor that does not name a position in this listing.
    #[error("the cursor is not valid for this listing")]
    InvalidCursor,
    /// The table does not exist: a wrong table name, or tables not created yet.
    #[error("table {table} does not exist")]
    TableNotFound {
        /// The table that was named.
        table: String,
        /// The backend's error.
        #[source]
        source: Cause,
    },
    /// The backend is throttling, failing on its side (5xx), unreachable, too slow, or its
    /// answer was cut off: a client may retry after a moment (503). Logged with its cause.
    #[error("{operation} failed for now")]
    Unavailable {
        /// The operation that failed, e.g. `GetItem`.
        operation: &'static str,
        /// The backend's error.
        #[source]
        source: Cause,
    },
    /// The backend failed otherwise. Logged with its cause, never put in a response.
    #[error("{operation} failed")]
    Backend {
        /// The operation that failed, e.g. `GetItem`.
        operation: &'static str,
        /// The backend's error.
        #[source]
        source: Cause,
    },
    /// A stored item does not have the shape of the model.
    #[error("a stored item could not be read")]
    Corrupt(#[source] Cause),
}

/// Everything a handler can answer with other than success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request cannot be read (bad JSON, wrong shape).
    #[error("{0}")]
    BadRequest(String),
    /// A field's value breaks a rule; the message names the field.
    #[error("{field}: {message}")]
    Validation {
        /// The field, by its name in the API.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A listing cursor that is forged, tampered with or for another listing.
    #[error("the cursor is not valid for this listing")]
    InvalidCursor,
    /// No usable key, or no authorizer context.
    #[error("missing or invalid API key")]
    Unauthorized,
    /// The key may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such resource visible to the caller.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with the resource's state.
    #[error("{0}")]
    Conflict(String),
    /// The body is over the limit (in bytes).
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The body is not `application/json`.
    #[error("request body must be application/json")]
    UnsupportedMediaType,
    /// This function serves no such method and path.
    #[error("no route for {0}")]
    NoRoute(String),
    /// The store failed; the response says only "internal error".
    #[error("the store failed")]
    Store(#[source] StoreError),
    /// The store is throttled or unreachable for now: 503 with `Retry-After`.
    #[error("the key store is busy or unreachable; retry in a moment")]
    Unavailable(#[source] StoreError),
    /// A leak report's signature is missing or does not verify (401).
    #[error("the report's signature is missing or does not verify")]
    BadSignature,
    /// GitHub's signing keys could not be fetched, so no report can be checked (503). The
    /// detail is logged.
    #[error("the signing keys are unreachable; retry in a moment")]
    SigningKeysUnavailable(String),
    /// The OS random number generator failed.
    #[error("the OS random number generator failed")]
    Random(#[from] rand::rngs::SysError),
    /// A broken invariant of ours. The detail is logged; the response says "internal error".
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A validation error on `field`.
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Self::Validation {
            field,
            message: message.into(),
        }
    }

    /// The caller's key lacks `scope`.
    pub fn missing_scope(scope: &str) -> Self {
        Self::Forbidden(format!("this key lacks the scope {scope}"))
    }

    /// No key with the id is visible to the caller.
    pub fn key_not_found() -> Self {
        Self::NotFound("no API key with this id".to_owned())
    }

    /// Whether this is our failure rather than the client's (a 500).
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::Store(_)
                | Self::Unavailable(_)
                | Self::SigningKeysUnavailable(_)
                | Self::Random(_)
                | Self::Internal(_)
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) | Self::Validation { .. } | Self::InvalidCursor => 400,
            Self::Unauthorized | Self::BadSignature => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) | Self::NoRoute(_) => 404,
            Self::Conflict(_) => 409,
            Self::PayloadTooLarge(_) => 413,
            Self::UnsupportedMediaType => 415,
            Self::Store(_) | Self::Random(_) | Self::Internal(_) => 500,
            Self::Unavailable(_) | Self::SigningKeysUnavailable(_) => 503,
        }
    }

    /// The `error.code` of the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Validation { .. } => "validation_error",
            Self::InvalidCursor => "invalid_cursor",
            Self::Unauthorized | Self::BadSignature => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) | Self::NoRoute(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Store(_) | Self::Random(_) | Self::Internal(_) => "internal_error",
            Self::Unavailable(_) | Self::SigningKeysUnavailable(_) => "unavailable",
        }
    }

    /// What the client is told. Internal details stay in the logs.
    pub fn public_message(&self) -> String {
        if let Self::Unavailable(_) | Self::SigningKeysUnavailable(_) = self {
            self.to_string()
        } else if self.is_internal() {
            "internal error".to_owned()
        } else {
            self.to_string()
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidCursor => Self::InvalidCursor,
            StoreError::NotFound => Self::key_not_found(),
            StoreError::AlreadyExists => Self::Conflict("the item already exists".to_owned()),
            StoreError::Changed => Self::Conflict(
                "the key was changed, rerolled or revoked by another request; read it and try again"
                    .to_owned(),
            ),
            unavailable @ StoreError::Unavailable { .. } => Self::Unavailable(unavailable),
            other => Self::Store(other),
        }
    }
}

/// Displays an error and each of its causes, `outer: inner: innermost`, for logs.
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

//! Typed errors. [`ApiError`] is mapped to HTTP in one place: `http::error_response`.

use crate::key_format::MalformedKey;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("an item with this key already exists")]
    AlreadyExists,
    #[error("no such item")]
    NotFound,
    #[error("the cursor is not valid for this listing")]
    InvalidCursor,
    /// The backend failed or timed out. The text is for logs, never for responses.
    #[error("store backend failed: {0}")]
    Backend(String),
    #[error("a stored item could not be read: {0}")]
    Corrupt(String),
}

/// Everything a handler can answer with other than success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{field}: {message}")]
    Validation {
        field: &'static str,
        message: String,
    },
    #[error("the cursor is not valid for this listing")]
    InvalidCursor,
    #[error("missing or invalid API key")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("request body must be application/json")]
    UnsupportedMediaType,
    #[error("no route for {0}")]
    NoRoute(String),
    /// The detail is logged; the response says only "internal error".
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Self::Validation {
            field,
            message: message.into(),
        }
    }

    pub fn missing_scope(scope: &str) -> Self {
        Self::Forbidden(format!("this key lacks the scope {scope}"))
    }

    pub fn key_not_found() -> Self {
        Self::NotFound("no API key with this id".to_owned())
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) | Self::Validation { .. } | Self::InvalidCursor => 400,
            Self::Unauthorized => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) | Self::NoRoute(_) => 404,
            Self::Conflict(_) => 409,
            Self::PayloadTooLarge(_) => 413,
            Self::UnsupportedMediaType => 415,
            Self::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Validation { .. } => "validation_error",
            Self::InvalidCursor => "invalid_cursor",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) | Self::NoRoute(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Internal(_) => "internal_error",
        }
    }

    /// What the client is told. Internal details stay in the logs.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidCursor => Self::InvalidCursor,
            StoreError::NotFound => Self::key_not_found(),
            StoreError::AlreadyExists => Self::Conflict("the item already exists".to_owned()),
            StoreError::Backend(_) | StoreError::Corrupt(_) => Self::Internal(e.to_string()),
        }
    }
}

impl From<rand::rngs::SysError> for ApiError {
    fn from(e: rand::rngs::SysError) -> Self {
        Self::Internal(format!("OS random number generator failed: {e}"))
    }
}

impl From<MalformedKey> for ApiError {
    fn from(_: MalformedKey) -> Self {
        Self::Unauthorized
    }
}

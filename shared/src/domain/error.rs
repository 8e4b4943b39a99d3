//! The domain's errors: what an operation can fail with, in the domain's words and with no
//! HTTP in them. The edge maps each to a status and a JSON body in one place
//! (`edge::errors`); `keyctl` and the local server map them their own way.

use std::error::Error;
use std::fmt;

/// The cause of a failure below the domain (a store's error), kept for logs.
pub type Cause = Box<dyn Error + Send + Sync + 'static>;

/// Everything an operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// A field's value breaks a rule; the message names what is wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, by its name in the API.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A change that names nothing to change.
    #[error("{0}")]
    NothingToChange(String),
    /// A listing cursor that is forged, tampered with or for another listing.
    #[error("the cursor is not valid for this listing")]
    InvalidCursor,
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing visible to the caller.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// The store is throttled, unreachable or too slow for now: worth a retry in a moment.
    #[error("the key store is busy or unreachable; retry in a moment")]
    Unavailable(#[source] Cause),
    /// The store failed otherwise. The cause is logged, never shown.
    #[error("the store failed")]
    Store(#[source] Cause),
    /// The OS random number generator failed.
    #[error("the OS random number generator failed")]
    Random(#[from] rand::rngs::SysError),
    /// A broken invariant of ours. The detail is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    /// `field` breaks a rule.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
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

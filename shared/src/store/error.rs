//! What a store operation can fail with, and how that reads in the domain's words.

use crate::domain::error::{Cause, DomainError};

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

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidCursor => Self::InvalidCursor,
            StoreError::NotFound => Self::key_not_found(),
            StoreError::AlreadyExists => Self::Conflict("the item already exists".to_owned()),
            StoreError::Changed => Self::Conflict(
                "the key was changed, rerolled or revoked by another request; read it and try again"
                    .to_owned(),
            ),
            unavailable @ StoreError::Unavailable { .. } => Self::Unavailable(Box::new(unavailable)),
            other => Self::Store(Box::new(other)),
        }
    }
}

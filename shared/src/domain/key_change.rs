//! What happened to a key, as the keys table's stream tells it, and whether a decision an
//! authorizer cached about the key may no longer hold.

use serde::{Deserialize, Serialize};

/// One change of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum KeyChange {
    /// A new key: no decision about it can be cached yet (an unknown key is denied anyway).
    Created,
    /// Only the usage bookkeeping the authorizer itself writes (`lastUsedAt`) changed.
    Used,
    /// Only a cascade's job on its root changed (the root's revoke was a record of its own).
    CascadeJob,
    /// The key was revoked.
    Revoked,
    /// The key was rerolled: it now expires at the end of its grace period.
    Rerolled,
    /// Its name, description, scopes, claims or expiration changed (or a change the
    /// record does not let us tell apart: the flush errs on the side of flushing).
    Updated,
    /// The item was deleted.
    Removed,
}

impl KeyChange {
    /// Whether a cached decision about the key may no longer hold.
    pub fn needs_flush(self) -> bool {
        !matches!(self, Self::Created | Self::Used | Self::CascadeJob)
    }

    /// The change's name in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Used => "used",
            Self::CascadeJob => "cascade job",
            Self::Revoked => "revoked",
            Self::Rerolled => "rerolled",
            Self::Updated => "updated",
            Self::Removed => "removed",
        }
    }
}

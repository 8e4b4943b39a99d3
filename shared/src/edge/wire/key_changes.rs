//! The event the keys table's stream reader publishes on the key-changes bus, one per batch
//! of changes that may make a cached authorizer decision wrong. Every stack whose
//! authorizer caches subscribes to it and flushes its own API's cache. It names keys by
//! their public ids, never by hash or secret.

use crate::domain::key_change::KeyChange;
use serde::{Deserialize, Serialize};

/// The events' `source`; subscribers' rules match on it and on [`DETAIL_TYPE`].
pub const SOURCE: &str = "keyauth";

/// The events' `detail-type`.
pub const DETAIL_TYPE: &str = "Key changes";

/// The event's `detail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyChangesDetail {
    /// The changes, in the stream's order.
    pub changes: Vec<ChangedKey>,
}

/// One key that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangedKey {
    /// The key's public id (absent only from a record without images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// What happened to it.
    pub change: KeyChange,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_detail_names_keys_by_id_and_change() {
        let detail = KeyChangesDetail {
            changes: vec![
                ChangedKey {
                    key_id: Some("key_1".into()),
                    change: KeyChange::Revoked,
                },
                ChangedKey {
                    key_id: None,
                    change: KeyChange::Removed,
                },
            ],
        };
        let wire = serde_json::to_value(&detail).unwrap();
        assert_eq!(
            wire,
            json!({"changes": [{"keyId": "key_1", "change": "revoked"}, {"change": "removed"}]})
        );
        assert_eq!(
            serde_json::from_value::<KeyChangesDetail>(wire).unwrap(),
            detail
        );
    }
}

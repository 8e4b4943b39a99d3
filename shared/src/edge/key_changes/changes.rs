//! What a record of the keys table's stream says happened to a key.

use crate::domain::key_change::KeyChange;
use crate::store::dynamo::{CASCADE_ATTRIBUTES, TOUCH_ATTRIBUTES};
use aws_lambda_events::event::dynamodb::EventRecord;
use serde_dynamo::{AttributeValue, Item};

/// Classifies a record of a `NEW_AND_OLD_IMAGES` stream. An unknown event name or a
/// modification without both images (a stream of another view type) counts as an update:
/// a needless flush costs cache misses, a missed one leaves a revoked key working.
pub fn classify(record: &EventRecord) -> KeyChange {
    let (old, new) = (&record.change.old_image, &record.change.new_image);
    match record.event_name.as_str() {
        "INSERT" => KeyChange::Created,
        "REMOVE" => KeyChange::Removed,
        "MODIFY" if old.is_empty() || new.is_empty() => KeyChange::Updated,
        "MODIFY" if only_changed(old, new, &TOUCH_ATTRIBUTES) => KeyChange::Used,
        "MODIFY" if only_changed(old, new, &CASCADE_ATTRIBUTES) => KeyChange::CascadeJob,
        "MODIFY" if newly_set(old, new, "rerolledTo") => KeyChange::Rerolled,
        "MODIFY" if is_true(new, "revoked") && !is_true(old, "revoked") => KeyChange::Revoked,
        _ => KeyChange::Updated,
    }
}

/// The key's id, for logs: the record's images hold it (its keys hold only the hash,
/// which is never logged).
pub fn key_id(record: &EventRecord) -> Option<&str> {
    [&record.change.new_image, &record.change.old_image]
        .into_iter()
        .find_map(|image| match image.get("id") {
            Some(AttributeValue::S(id)) => Some(id.as_str()),
            _ => None,
        })
}

/// Whether the images differ in nothing but `attributes` (the authorizer's usage write, or
/// a cascade's job).
fn only_changed(old: &Item, new: &Item, attributes: &[&str]) -> bool {
    // keyHash is among them, but as the table's key it never differs within a record.
    let listed = |name: &String| attributes.contains(&name.as_str());
    let differs = |a: &Item, b: &Item| {
        a.iter()
            .any(|(name, value)| !listed(name) && b.get(name) != Some(value))
    };
    !differs(old, new) && !differs(new, old)
}

fn newly_set(old: &Item, new: &Item, name: &str) -> bool {
    new.contains_key(name) && !old.contains_key(name)
}

fn is_true(image: &Item, name: &str) -> bool {
    matches!(image.get(name), Some(AttributeValue::Bool(true)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn record(name: &str, old: Value, new: Value) -> EventRecord {
        let mut change = json!({"Keys": {"keyHash": {"S": "h"}}, "SizeBytes": 1});
        for (field, image) in [("OldImage", old), ("NewImage", new)] {
            if !image.is_null() {
                change[field] = image;
            }
        }
        serde_json::from_value(json!({
            "eventID": "1", "eventName": name, "awsRegion": "us-east-1", "dynamodb": change,
        }))
        .unwrap()
    }

    fn key(extra: Value) -> Value {
        let mut image = json!({
            "keyHash": {"S": "h"}, "id": {"S": "key_1"}, "revoked": {"BOOL": false},
            "updatedAt": {"N": "1"}, "scopes": {"L": [{"S": "keys:read"}]},
        });
        image
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        image
    }

    #[test]
    fn creations_and_usage_writes_keep_the_cache() {
        let created = record("INSERT", Value::Null, key(json!({})));
        assert_eq!(classify(&created), KeyChange::Created);
        let first_use = record(
            "MODIFY",
            key(json!({})),
            key(json!({"lastUsedAt": {"N": "5"}})),
        );
        assert_eq!(classify(&first_use), KeyChange::Used);
        let later_use = record(
            "MODIFY",
            key(json!({"lastUsedAt": {"N": "5"}})),
            key(json!({"lastUsedAt": {"N": "9"}})),
        );
        assert_eq!(classify(&later_use), KeyChange::Used);
        assert!(!KeyChange::Created.needs_flush() && !KeyChange::Used.needs_flush());
        let revoked = json!({"revoked": {"BOOL": true}});
        let job = json!({"revoked": {"BOOL": true}, "cascadeId": {"S": "j"},
            "cascadeState": {"S": "pending"}, "cascadeJob": {"S": "{}"}});
        let handed_on = record("MODIFY", key(revoked), key(job));
        assert_eq!(classify(&handed_on), KeyChange::CascadeJob);
        assert!(!KeyChange::CascadeJob.needs_flush());
    }

    #[test]
    fn revoke_reroll_update_and_delete_flush() {
        let revoked = record(
            "MODIFY",
            key(json!({})),
            key(
                json!({"revoked": {"BOOL": true}, "revokedAt": {"N": "2"}, "updatedAt": {"N": "2"}}),
            ),
        );
        assert_eq!(classify(&revoked), KeyChange::Revoked);
        let rerolled = record(
            "MODIFY",
            key(json!({})),
            key(
                json!({"rerolledTo": {"S": "key_2"}, "expiration": {"N": "9"}, "updatedAt": {"N": "2"}}),
            ),
        );
        assert_eq!(classify(&rerolled), KeyChange::Rerolled);
        // Scopes narrowed, with a usage write folded into the same record.
        let narrowed = record(
            "MODIFY",
            key(json!({})),
            key(json!({"scopes": {"L": []}, "updatedAt": {"N": "2"}, "lastUsedAt": {"N": "2"}})),
        );
        assert_eq!(classify(&narrowed), KeyChange::Updated);
        // An attribute removed (description cleared) is a change too.
        let cleared = record(
            "MODIFY",
            key(json!({"description": {"S": "d"}})),
            key(json!({})),
        );
        assert_eq!(classify(&cleared), KeyChange::Updated);
        let removed = record("REMOVE", key(json!({})), Value::Null);
        assert_eq!(classify(&removed), KeyChange::Removed);
        for change in [revoked, rerolled, narrowed, cleared, removed] {
            assert!(classify(&change).needs_flush());
            assert_eq!(key_id(&change), Some("key_1"));
        }
    }

    #[test]
    fn what_the_record_cannot_tell_is_flushed() {
        // A stream without old images (another view type) and an unknown event name.
        let no_old = record(
            "MODIFY",
            Value::Null,
            key(json!({"lastUsedAt": {"N": "5"}})),
        );
        assert_eq!(classify(&no_old), KeyChange::Updated);
        let unknown = record("TRUNCATE", key(json!({})), key(json!({})));
        assert_eq!(classify(&unknown), KeyChange::Updated);
    }
}

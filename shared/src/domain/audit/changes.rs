//! Which fields of a key a change touched, with their values before and after, in the key
//! object's own JSON form (so claims are objects and times epoch milliseconds).

use super::{Change, Changes, KeyFields};
use crate::domain::key::ApiKeyRecord;
use serde_json::{Map, Value};

/// The fields whose values differ between `before` (none for a new key) and `after`.
pub fn between(before: Option<&ApiKeyRecord>, after: &ApiKeyRecord) -> Changes {
    let old = before.map(fields).unwrap_or_default();
    let new = fields(after);
    let mut changes = Changes::new();
    for (name, new_value) in new {
        let old_value = old.get(&name).cloned().unwrap_or(Value::Null);
        let unchanged = old_value == new_value
            // A new key's empty fields are not news.
            || (before.is_none() && is_empty(&new_value));
        if !unchanged {
            changes.insert(
                name,
                Change {
                    old: old_value,
                    new: new_value,
                },
            );
        }
    }
    changes
}

fn fields(key: &ApiKeyRecord) -> Map<String, Value> {
    let Ok(Value::Object(map)) = serde_json::to_value(KeyFields::of(key)) else {
        unreachable!("a key's fields are a JSON object");
    };
    map
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::hashing::KeyHash;
    use serde_json::json;

    fn key() -> ApiKeyRecord {
        ApiKeyRecord {
            key_hash: KeyHash::of_secret("sk_test_x"),
            id: "key_0000000000000000000001".into(),
            name: "ci".into(),
            description: None,
            subject: "user_1".into(),
            created_by: Some("key_0000000000000000000002".into()),
            scopes: vec!["keys:read".into()],
            claims: Default::default(),
            created_at: 1,
            updated_at: 1,
            expiration: None,
            revoked: false,
            revoked_at: None,
            revocation_reason: None,
            last_used_at: None,
            start: "sk_test_abcd".into(),
            rerolled_from: None,
            rerolled_to: None,
            ratelimit: None,
            credits: None,
            limits_id: None,
            inherited_limits: false,
        }
    }

    #[test]
    fn a_new_key_lists_what_it_was_given() {
        let changes = between(None, &key());
        let names: Vec<&str> = changes.keys().map(String::as_str).collect();
        assert_eq!(names, ["createdBy", "name", "scopes", "subject"]);
        assert_eq!(changes["scopes"].old, Value::Null);
        assert_eq!(changes["scopes"].new, json!(["keys:read"]));
    }

    #[test]
    fn an_update_lists_only_what_differs() {
        let before = key();
        let mut after = before.clone();
        after.name = "ci-2".into();
        after.claims.insert("plan".into(), json!("pro"));
        after.updated_at = 9;
        after.last_used_at = Some(9);
        let changes = between(Some(&before), &after);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(changes["name"].old, json!("ci"));
        assert_eq!(changes["name"].new, json!("ci-2"));
        assert_eq!(changes["claims"].old, json!({}));
        assert_eq!(changes["claims"].new, json!({"plan": "pro"}));
    }
}

//! The stored record and its JSON view: what is shown, what is never shown, and how a
//! record survives the DynamoDB item form.

mod support;

use keyauth::domain::key::{ApiKeyRecord, KeyStatus};
use keyauth::edge::wire::ApiKeyView;
use support::record;

#[test]
fn view_never_contains_the_hash() {
    let record = record("user_1", "ci", 1_000);
    let json = serde_json::to_string(&ApiKeyView::of(&record, 2_000)).unwrap();
    assert!(!json.contains(record.key_hash.as_str()));
    assert!(!json.contains("keyHash"));
    assert!(!json.contains("\"secret\""));
    assert!(json.contains("\"type\":\"api_key\""));
}

#[test]
fn status_follows_revocation_then_expiry() {
    let mut record = record("user_1", "ci", 1_000);
    assert_eq!(record.status(5_000), KeyStatus::Active);
    record.expiration = Some(5_000);
    assert_eq!(record.status(4_999), KeyStatus::Active);
    assert_eq!(record.status(5_000), KeyStatus::Expired);
    assert!(ApiKeyView::of(&record, 5_000).expired);
    record.revoked = true;
    assert_eq!(record.status(5_000), KeyStatus::Revoked);
}

#[test]
fn claims_round_trip_through_the_item_form() {
    let mut record = record("user_1", "ci", 1_000);
    record.claims = serde_json::from_str(r#"{"plan":"pro","n":1.5,"deep":{"a":[1,2]}}"#).unwrap();
    let item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
        serde_dynamo::aws_sdk_dynamodb_1::to_item(&record).unwrap();
    assert!(
        item["claims"].as_s().is_ok(),
        "claims kept as a JSON string"
    );
    assert!(
        !item.contains_key("revokedAt"),
        "absent options are not written"
    );
    let back: ApiKeyRecord = serde_dynamo::aws_sdk_dynamodb_1::from_item(item).unwrap();
    assert_eq!(back, record);
}

//! `POST /keys/verify`.

use super::{ALL, Api};
use keyauth::domain::hashing::KeyHash;
use keyauth::domain::key_format::KeyPrefix;
use keyauth::store::KeyWriter;
use serde_json::{Value, json};

/// WHEN: a service holding `scopes` verifies with this body.
async fn verify(api: &Api, scopes: &str, body: Value) -> (u16, Value) {
    api.send("svc", scopes, "POST", "/keys/verify", Some(body))
        .await
}

#[tokio::test]
async fn verify_answers_every_code_and_malformed_costs_no_read() {
    let api = Api::new();
    let (_, valid) = api
        .key("user_1", json!({"name": "v", "scopes": ["products:write"]}))
        .await;
    let (revoked_id, revoked) = api.key("user_1", json!({"name": "r"})).await;
    api.revoke("user_1", ALL, &revoked_id, None).await;
    // An expired key, stored directly rather than waiting for one to expire.
    let prefix = KeyPrefix::new("sk_live").unwrap();
    let expired = prefix.generate().unwrap().into_inner();
    let mut record = super::support::record("user_1", "e", 1_000);
    record.key_hash = KeyHash::of_secret(&expired);
    record.expiration = Some(2_000);
    api.store
        .inner
        .put_new(&record, &crate::support::created_event(&record))
        .await
        .unwrap();
    let unknown = prefix.generate().unwrap().into_inner();
    let mut malformed = valid.clone();
    malformed.pop();
    malformed.push(if valid.ends_with('A') { 'B' } else { 'A' });

    let body = |key: &str, required: Value| json!({"key": key, "requiredScopes": required});
    let long = "k".repeat(5000);
    // (body, code, valid, key in the answer)
    let cases = [
        (body(&valid, json!(["products:write"])), "VALID", true, true),
        (
            body(&valid, json!(["keys:admin"])),
            "INSUFFICIENT_SCOPE",
            false,
            true,
        ),
        (body(&revoked, json!([])), "REVOKED", false, true),
        (body(&expired, json!([])), "EXPIRED", false, true),
        (body(&unknown, json!([])), "NOT_FOUND", false, false),
        (body(&malformed, json!([])), "MALFORMED", false, false),
        (body("", json!([])), "MALFORMED", false, false),
        (body(&long, json!([])), "MALFORMED", false, false),
    ];
    for (request, expected, valid_flag, has_key) in cases {
        api.store.counts.reset();
        let (status, answer) = verify(&api, "keys:verify", request.clone()).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["code"], expected, "{request}");
        assert_eq!(answer["valid"], valid_flag);
        assert_eq!(answer.get("key").is_some(), has_key, "{answer}");
        assert!(answer.to_string().find("secret").is_none());
        let reads = api.store.counts.reads();
        assert_eq!(
            reads,
            if expected == "MALFORMED" { 0 } else { 1 },
            "{expected}: {reads} reads"
        );
    }
    let (status, _) = verify(&api, "keys:read", json!({"key": valid})).await;
    assert_eq!(status, 403, "verify needs keys:verify");
    let bad_scope = json!({"key": valid, "requiredScopes": ["Bad"]});
    let (status, answer) = verify(&api, "keys:verify", bad_scope).await;
    assert_eq!(status, 400, "{answer}");
}

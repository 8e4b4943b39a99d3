//! `POST /keys/{id}/revoke`.

use super::support::raw_request;
use super::{ADMIN, ALL, Api, code, message};
use serde_json::json;

#[tokio::test]
async fn revoke_is_idempotent_and_keeps_the_first_reason() {
    let api = Api::new();
    let (id, _) = api.key("user_1", json!({"name": "old"})).await;
    let reason = |r: &str| Some(json!({"revocationReason": r}));
    let (status, first) = api.revoke("user_1", ALL, &id, reason("leaked")).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["revoked"], true);
    assert_eq!(first["revocationReason"], "leaked");
    assert!(first["revokedAt"].is_i64());
    let (status, second) = api.revoke("user_1", ALL, &id, reason("again")).await;
    assert_eq!(status, 200);
    assert_eq!(second, first, "a second revoke changes nothing");
    // No body at all is fine too; a too-long reason or unknown field is not.
    let path = format!("/keys/{id}/revoke");
    let empty = raw_request("POST", &path, None, None, Some(("user_1", ALL)));
    assert_eq!(api.call(empty).await.0, 200);
    let (status, answer) = api
        .revoke("user_1", ALL, &id, reason(&"x".repeat(501)))
        .await;
    assert_eq!(status, 400);
    assert!(message(&answer).contains("revocationReason"));
    let (status, _) = api
        .revoke("user_1", "keys:read", &id, Some(json!({})))
        .await;
    assert_eq!(status, 403, "revoke needs keys:write");
}

#[tokio::test]
async fn a_narrow_key_cannot_revoke_a_broader_one() {
    let api = Api::new();
    let broad = json!({"name": "admin", "scopes": ["keys:read", "keys:write", "keys:admin"]});
    let (admin_id, _) = api.key("user_1", broad).await;
    api.store.counts.reset();
    let (status, answer) = api.revoke("user_1", "keys:write", &admin_id, None).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(code(&answer), "forbidden");
    assert!(message(&answer).contains("keys:admin"), "{answer}");
    assert_eq!(
        api.store.counts.writes(),
        0,
        "a refused revoke writes nothing"
    );
    let (_, key) = api.get("user_1", ADMIN, &admin_id).await;
    assert_eq!(key["revoked"], false);

    // Holding every scope of the key is enough; keys:admin is enough for any key.
    let (narrow_id, _) = api
        .key("user_1", json!({"name": "narrow", "scopes": ["keys:read"]}))
        .await;
    let (status, _) = api
        .revoke("user_1", "keys:read keys:write", &narrow_id, None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .revoke("user_1", "keys:write keys:admin", &admin_id, None)
        .await;
    assert_eq!(status, 200);
}

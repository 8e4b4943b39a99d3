//! `POST /keys/{id}/revoke`.

use super::support::raw_request;
use super::{ALL, Api, message};
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

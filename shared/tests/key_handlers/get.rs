//! `GET /keys/{id}`, and who may see which key.

use super::{ADMIN, ALL, Api, code};
use serde_json::json;

#[tokio::test]
async fn other_subjects_keys_are_not_found_unless_admin() {
    let api = Api::new();
    let (theirs, _) = api.key("user_2", json!({"name": "theirs"})).await;
    for answer in [
        api.get("user_1", ALL, &theirs).await,
        api.revoke("user_1", ALL, &theirs, Some(json!({}))).await,
        api.get("user_1", ALL, "key_0000000000000000000000").await,
        api.get("user_1", ALL, "not-an-id").await,
    ] {
        let (status, body) = answer;
        assert_eq!((status, code(&body)), (404, "not_found"), "{body}");
    }
    let (status, body) = api.list("user_1", ALL, "subject=user_2").await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = api.get("root", ADMIN, &theirs).await;
    assert_eq!(status, 200);
    let (status, list) = api.list("root", ADMIN, "subject=user_2").await;
    assert_eq!(status, 200);
    assert_eq!(list["data"][0]["id"], theirs.as_str());
    // The other subject's key is untouched by the refused revoke.
    let (_, key) = api.get("user_2", ALL, &theirs).await;
    assert_eq!(key["revoked"], false);
}

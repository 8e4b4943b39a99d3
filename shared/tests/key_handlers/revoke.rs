//! `POST /keys/{id}/revoke`.

use super::support::{caller_context, raw_request, record, request_with_context};
use super::{ADMIN, ALL, Api, code, message};
use serde_json::{Value, json};

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

/// WHEN: the key `creator_id` (of `subject`, holding `scopes`) creates a key. Returns its id.
async fn create_as(
    api: &Api,
    creator_id: &str,
    subject: &str,
    scopes: &str,
    body: Value,
) -> String {
    let mut context = caller_context(subject, scopes);
    context["keyId"] = json!(creator_id);
    let body = body.to_string();
    let request = request_with_context(
        "POST",
        "/keys",
        Some(&body),
        Some("application/json"),
        Some(context),
    );
    let (status, key) = api.call(request).await;
    assert_eq!(status, 201, "{key}");
    assert_eq!(key["createdBy"], creator_id);
    key["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn cascade_revokes_every_key_below_and_nothing_else() {
    let api = Api::new();
    let (root, _) = api.key("user_1", json!({"name": "root"})).await;
    let child = create_as(&api, &root, "user_1", ALL, json!({"name": "child"})).await;
    let grandchild = create_as(&api, &child, "user_1", ALL, json!({"name": "grandchild"})).await;
    let (bystander, _) = api.key("user_1", json!({"name": "bystander"})).await;
    let revoked = |id: String| {
        let api = &api;
        async move { api.get("user_1", ADMIN, &id).await.1 }
    };

    // Without cascade (the default) the children keep working.
    let (status, _) = api.revoke("user_1", ALL, &child, None).await;
    assert_eq!(status, 200);
    assert_eq!(revoked(grandchild.clone()).await["revoked"], false);

    let body = json!({"cascade": true, "revocationReason": "rotated"});
    let (status, answer) = api.revoke("user_1", ALL, &root, Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["revocationReason"], "rotated");
    let below = revoked(grandchild.clone()).await;
    assert_eq!(
        below["revoked"], true,
        "revoked through an already revoked child"
    );
    assert_eq!(below["revocationReason"], "parent revoked: rotated");
    // The child kept its own first revocation.
    assert_eq!(
        revoked(child.clone()).await["revocationReason"],
        Value::Null
    );
    assert_eq!(revoked(bystander.clone()).await["revoked"], false);

    let (status, answer) = api
        .revoke("user_1", ALL, &bystander, Some(json!({"cascade": "yes"})))
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(message(&answer).contains("cascade"), "{answer}");
    assert_eq!(revoked(bystander).await["revoked"], false);
}

#[tokio::test]
async fn cascade_crosses_subjects_below_an_admin_key() {
    let api = Api::new();
    let (admin, _) = api
        .key(
            "ops",
            json!({"name": "ops admin", "scopes": ADMIN.split(' ').collect::<Vec<_>>()}),
        )
        .await;
    let theirs = create_as(
        &api,
        &admin,
        "ops",
        ADMIN,
        json!({"name": "for 2", "subject": "user_2"}),
    )
    .await;
    let body = json!({"cascade": true});
    let (status, _) = api.revoke("ops", ADMIN, &admin, Some(body)).await;
    assert_eq!(status, 200);
    let (_, key) = api.get("user_2", ALL, &theirs).await;
    assert_eq!(
        (key["revoked"].clone(), key["revocationReason"].clone()),
        (json!(true), json!("parent revoked"))
    );
}

#[tokio::test]
async fn a_cascade_too_large_is_refused_whole() {
    use keyauth::store::KeyWriter;
    let api = Api::new();
    let (root, _) = api.key("user_1", json!({"name": "root"})).await;
    for i in 0..=keyauth::operations::revoke::MAX_CASCADE {
        let mut child = record("user_1", &format!("child {i}"), 1_000 + i as i64);
        child.created_by = Some(root.clone());
        api.store
            .put_new(&child, &crate::support::created_event(&child))
            .await
            .unwrap();
    }
    api.store.counts.reset();
    let (status, answer) = api
        .revoke("user_1", ALL, &root, Some(json!({"cascade": true})))
        .await;
    assert_eq!((status, code(&answer)), (409, "conflict"), "{answer}");
    assert_eq!(api.store.counts.writes(), 0, "nothing revoked");
    // Without cascade the key itself can still be revoked.
    assert_eq!(api.revoke("user_1", ALL, &root, None).await.0, 200);
}

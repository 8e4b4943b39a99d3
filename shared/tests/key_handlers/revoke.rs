//! `POST /keys/{id}/revoke`.

use super::support::{caller_context, raw_request, record, request_with_context};
use super::{ADMIN, ALL, Api, code, message};
use keyauth::domain::hashing::KeyHash;
use keyauth::domain::key::ApiKeyRecord;
use keyauth::edge::config::Config;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

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

/// GIVEN: a key `creator` made, stored directly (as an admin's change could leave it).
async fn child_of(
    api: &Api,
    creator: &str,
    subject: &str,
    edit: impl FnOnce(&mut ApiKeyRecord),
) -> ApiKeyRecord {
    use keyauth::store::KeyWriter;
    let mut child = record(subject, "child", 1_000);
    child.created_by = Some(creator.to_owned());
    edit(&mut child);
    api.store
        .put_new(&child, &crate::support::created_event(&child))
        .await
        .unwrap();
    child
}

/// The revoke answer says what the cascade did; the root's trail ends with a `cascaded`
/// event holding the same outcome.
#[tokio::test]
async fn a_cascade_reports_what_it_revoked() {
    let api = Api::new();
    let (root, _) = api.key("user_1", json!({"name": "root"})).await;
    let child = create_as(&api, &root, "user_1", ALL, json!({"name": "child"})).await;
    create_as(&api, &child, "user_1", ALL, json!({"name": "grandchild"})).await;
    let (status, answer) = api
        .revoke("user_1", ALL, &root, Some(json!({"cascade": true})))
        .await;
    assert_eq!(status, 200, "{answer}");
    let expected = json!({"revoked": 2, "sparedCount": 0, "spared": [], "inProgress": false});
    assert_eq!(answer["cascade"], expected);
    let (_, events) = api
        .send("user_1", ALL, "GET", &format!("/keys/{root}/events"), None)
        .await;
    let newest = &events["data"][0];
    assert_eq!(newest["type"], "cascaded", "{events}");
    assert_eq!(newest["outcome"], expected);
    // Without cascade there is no outcome at all.
    let (lone, _) = api.key("user_1", json!({"name": "lone"})).await;
    let (_, answer) = api.revoke("user_1", ALL, &lone, None).await;
    assert!(answer.get("cascade").is_none(), "{answer}");
}

/// A cascade longer than one request's budget: the root stops at once, the answer says the
/// rest is in progress, and the continuation (what the stream drives) finishes it; a
/// bigger tree is never refused.
#[tokio::test]
async fn a_cascade_past_its_budget_is_handed_on_and_finished() {
    use keyauth::operations::cascade;
    use keyauth::store::{KeyReader, PendingCascades};
    let config = Config::from_lookup(|n| (n == "CASCADE_BUDGET_MS").then(|| "0".into())).unwrap();
    let api = Api::with_config(config);
    let (root, root_secret) = api.key("user_1", json!({"name": "root"})).await;
    let mut children = Vec::new();
    for _ in 0..5 {
        children.push(child_of(&api, &root, "user_1", |_| {}).await);
    }
    let (status, answer) = api
        .revoke("user_1", ALL, &root, Some(json!({"cascade": true})))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["revoked"], true, "the root stops at once");
    assert_eq!(answer["cascade"]["inProgress"], true, "{answer}");
    let root_hash = KeyHash::of_secret(&root_secret);
    assert_eq!(
        api.store.pending_cascades().await.unwrap(),
        std::slice::from_ref(&root_hash)
    );

    let later = Instant::now() + Duration::from_secs(60);
    let outcome = cascade::resume(&api.store, &root_hash, 2_000, later)
        .await
        .unwrap()
        .expect("a cascade waits");
    assert_eq!((outcome.revoked, outcome.in_progress), (5, false));
    for child in &children {
        let stored = api
            .store
            .get_by_hash(&child.key_hash)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.revocation_reason.as_deref(), Some("parent revoked"));
    }
    assert!(api.store.pending_cascades().await.unwrap().is_empty());
    // Nothing waits any more: a second continuation does nothing.
    assert!(
        cascade::resume(&api.store, &root_hash, 3_000, later)
            .await
            .unwrap()
            .is_none()
    );
}

/// A cascade never revokes what its caller could not revoke directly: a descendant an admin
/// broadened, one of another subject and one with other claims are spared (with what they
/// made) and listed; the rest is revoked.
#[tokio::test]
async fn a_narrow_cascade_spares_wider_descendants() {
    use keyauth::store::KeyReader;
    let api = Api::new();
    let narrow = "keys:read keys:write";
    let (root, _) = api
        .key(
            "user_1",
            json!({"name": "root", "scopes": ["keys:read", "keys:write"]}),
        )
        .await;
    let plain = child_of(&api, &root, "user_1", |_| {}).await;
    let broadened = child_of(&api, &root, "user_1", |k| {
        k.scopes.push("products:write".into())
    })
    .await;
    let below_broadened = child_of(&api, &broadened.id, "user_1", |_| {}).await;
    let foreign = child_of(&api, &root, "user_2", |_| {}).await;
    let claimed = child_of(&api, &root, "user_1", |k| {
        k.claims.insert("tier".into(), json!("gold"));
    })
    .await;
    let (status, answer) = api
        .revoke("user_1", narrow, &root, Some(json!({"cascade": true})))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["cascade"]["revoked"], 1, "{answer}");
    assert_eq!(answer["cascade"]["sparedCount"], 3, "{answer}");
    let mut spared: Vec<String> =
        serde_json::from_value(answer["cascade"]["spared"].clone()).unwrap();
    spared.sort();
    let mut expected = vec![broadened.id.clone(), foreign.id.clone(), claimed.id.clone()];
    expected.sort();
    assert_eq!(spared, expected);
    let revoked = |key: &ApiKeyRecord| {
        let hash = key.key_hash.clone();
        let store = &api.store;
        async move { store.get_by_hash(&hash).await.unwrap().unwrap().revoked }
    };
    assert!(revoked(&plain).await);
    for left in [&broadened, &below_broadened, &foreign, &claimed] {
        assert!(!revoked(left).await, "{} is spared", left.id);
    }
    // The same caller cannot revoke them directly either (another subject's is not found).
    let (status, _) = api.revoke("user_1", narrow, &broadened.id, None).await;
    assert_eq!(status, 403);
    let (status, _) = api.revoke("user_1", narrow, &claimed.id, None).await;
    assert_eq!(status, 403);
    let (status, _) = api.revoke("user_1", narrow, &foreign.id, None).await;
    assert_eq!(status, 404);
}

//! `PATCH /keys/{id}`.

use super::support::{caller_context, request_with_context};
use super::{ADMIN, ALL, Api, code, message};
use serde_json::{Value, json};

impl Api {
    /// WHEN: `PATCH /keys/{id}`.
    pub async fn update(&self, subject: &str, scopes: &str, id: &str, body: Value) -> (u16, Value) {
        self.send(subject, scopes, "PATCH", &format!("/keys/{id}"), Some(body))
            .await
    }
}

#[tokio::test]
async fn update_changes_only_the_fields_it_names() {
    let api = Api::new();
    let body =
        json!({"name": "ci", "description": "deploys", "scopes": ["keys:read", "products:write"]});
    let (id, _) = api.key("user_1", body).await;
    let (_, before) = api.get("user_1", ALL, &id).await;
    let (status, after) = api
        .update(
            "user_1",
            ALL,
            &id,
            json!({"name": "ci deploy", "description": null}),
        )
        .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["name"], "ci deploy");
    assert_eq!(
        after.get("description").unwrap_or(&Value::Null),
        &Value::Null
    );
    assert_eq!(after["scopes"], before["scopes"]);
    assert!(after["updatedAt"].as_i64() > before["updatedAt"].as_i64());
    assert!(after.get("secret").is_none());
    let (_, read) = api.get("user_1", ALL, &id).await;
    assert_eq!(read, after);

    // Scopes are replaced, within the caller's; expiration set and cleared.
    let at = keyauth::domain::clock::now_ms() + 3_600_000;
    let (status, after) = api
        .update(
            "user_1",
            ALL,
            &id,
            json!({"scopes": ["keys:read"], "expiration": at}),
        )
        .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["scopes"], json!(["keys:read"]));
    assert_eq!(after["expiration"], at);
    let (status, after) = api
        .update("user_1", ALL, &id, json!({"expiration": null}))
        .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(
        after.get("expiration").unwrap_or(&Value::Null),
        &Value::Null
    );
}

#[tokio::test]
async fn bad_updates_are_refused_and_change_nothing() {
    let api = Api::new();
    let (id, _) = api
        .key("user_1", json!({"name": "ci", "scopes": ["keys:read"]}))
        .await;
    let (_, before) = api.get("user_1", ALL, &id).await;
    let past = keyauth::domain::clock::now_ms() - 1;
    api.store.counts.reset();
    for (body, status, error, field) in [
        (json!({}), 400, "bad_request", "no field"),
        (json!([]), 400, "bad_request", ""),
        (json!({"subject": "user_2"}), 400, "bad_request", "subject"),
        (json!({"name": null}), 400, "validation_error", "name"),
        (json!({"name": " "}), 400, "validation_error", "name"),
        (json!({"scopes": null}), 400, "validation_error", "scopes"),
        (
            json!({"scopes": ["NOT A SCOPE"]}),
            400,
            "validation_error",
            "scopes",
        ),
        (
            json!({"expiration": past}),
            400,
            "validation_error",
            "expiration",
        ),
        (
            json!({"expiration": "soon"}),
            400,
            "bad_request",
            "expiration",
        ),
        (
            json!({"scopes": ["keys:admin"]}),
            403,
            "forbidden",
            "keys:admin",
        ),
        (
            json!({"claims": {"plan": "pro"}}),
            403,
            "forbidden",
            "keys:admin",
        ),
    ] {
        let (got, answer) = api.update("user_1", ALL, &id, body.clone()).await;
        assert_eq!((got, code(&answer)), (status, error), "{body}: {answer}");
        assert!(message(&answer).contains(field), "{body}: {answer}");
    }
    assert_eq!(api.store.counts.writes(), 0, "nothing written");
    let (_, after) = api.get("user_1", ALL, &id).await;
    assert_eq!(after, before);

    // Visibility and scope as for the other routes.
    let (status, _) = api.update("user_2", ALL, &id, json!({"name": "x"})).await;
    assert_eq!(status, 404);
    let (status, _) = api
        .update("user_1", "keys:read", &id, json!({"name": "x"}))
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn who_may_change_what() {
    let api = Api::new();
    let broad = json!({"name": "admin", "scopes": ["keys:read", "keys:write", "keys:admin"]});
    let (admin_id, _) = api.key("user_1", broad).await;
    // A narrow key cannot change a broader one.
    let (status, answer) = api
        .update(
            "user_1",
            "keys:write",
            &admin_id,
            json!({"name": "mine now"}),
        )
        .await;
    assert_eq!((status, code(&answer)), (403, "forbidden"), "{answer}");
    // keys:admin may set claims, and grant what it does not hold itself.
    let (id, _) = api.key("user_1", json!({"name": "svc"})).await;
    let body = json!({"claims": {"plan": "pro"}, "scopes": ["products:write"]});
    let (status, answer) = api
        .update("user_1", "keys:write keys:admin", &id, body)
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["claims"], json!({"plan": "pro"}));
    let (status, answer) = api
        .update("user_1", ADMIN, &id, json!({"claims": null}))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["claims"], json!({}));

    // A caller that expires cannot make a key outlive it, nor remove its expiration.
    let limit = keyauth::domain::clock::now_ms() + 60_000;
    let mut context = caller_context("user_1", ALL);
    context["expiration"] = json!(limit.to_string());
    for body in [
        json!({"expiration": limit + 1}),
        json!({"expiration": null}),
    ] {
        let text = body.to_string();
        let request = request_with_context(
            "PATCH",
            &format!("/keys/{id}"),
            Some(&text),
            Some("application/json"),
            Some(context.clone()),
        );
        let (status, answer) = api.call(request).await;
        assert_eq!(
            (status, code(&answer)),
            (403, "forbidden"),
            "{body}: {answer}"
        );
    }

    // A revoked key is not changed.
    api.revoke("user_1", ALL, &id, None).await;
    let (status, answer) = api
        .update("user_1", ADMIN, &id, json!({"name": "back"}))
        .await;
    assert_eq!((status, code(&answer)), (409, "conflict"), "{answer}");
}

/// GIVEN: a key stored as it is, with its `created` event.
async fn stored(api: &Api, key: &keyauth::domain::key::ApiKeyRecord) {
    use keyauth::store::KeyWriter;
    let event = super::support::created_event(key);
    api.store.put_new(key, &event).await.unwrap();
}

/// A key past its expiration is changed only by an admin: a stolen `keys:write` key cannot
/// revive the expired keys of its subject, nor change them otherwise.
#[tokio::test]
async fn only_an_admin_changes_an_expired_key() {
    use keyauth::domain::clock::now_ms;
    use keyauth::store::KeyReader;
    let api = Api::new();
    let mut expired = super::support::record("user_1", "expired", now_ms() - 10_000);
    expired.expiration = Some(now_ms() - 1_000);
    stored(&api, &expired).await;
    let later = now_ms() + 3_600_000;
    for body in [json!({"expiration": later}), json!({"name": "renamed"})] {
        let (status, answer) = api.update("user_1", ALL, &expired.id, body).await;
        assert_eq!((status, code(&answer)), (403, "forbidden"), "{answer}");
        assert!(message(&answer).contains("expired"), "{answer}");
    }
    let now_stored = api.store.get_by_hash(&expired.key_hash).await.unwrap();
    assert_eq!(now_stored.as_ref(), Some(&expired), "nothing changed");
    let (status, answer) = api
        .update("admin", ADMIN, &expired.id, json!({"expiration": later}))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (answer["expired"].clone(), answer["expiration"].clone()),
        (json!(false), json!(later))
    );
}

/// No key's expiration passes its creator's, whoever changes it: the creator is read as it
/// is at the time of the change, so an expiration it was just given counts.
#[tokio::test]
async fn a_key_never_outlives_its_creator() {
    use keyauth::domain::clock::now_ms;
    let api = Api::new();
    let now = now_ms();
    let mut creator = super::support::record("user_1", "creator", now - 10_000);
    creator.scopes = vec!["keys:read".into(), "keys:write".into()];
    creator.expiration = Some(now + 3_600_000);
    stored(&api, &creator).await;
    let mut child = super::support::record("user_1", "child", now - 5_000);
    child.created_by = Some(creator.id.clone());
    child.expiration = Some(now + 1_800_000);
    stored(&api, &child).await;

    for (body, expected) in [
        (json!({"expiration": now + 7_200_000}), 403),
        (json!({"expiration": null}), 403),
        (json!({"expiration": now + 2_700_000}), 200),
    ] {
        let (status, answer) = api.update("admin", ADMIN, &child.id, body.clone()).await;
        assert_eq!(status, expected, "{body}: {answer}");
        if expected == 403 {
            assert!(message(&answer).contains("key that created it"), "{answer}");
        }
    }
    // The creator is cut short; the child can no longer be moved past its new end.
    let (status, answer) = api
        .update(
            "admin",
            ADMIN,
            &creator.id,
            json!({"expiration": now + 600_000}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = api
        .update(
            "admin",
            ADMIN,
            &child.id,
            json!({"expiration": now + 1_200_000}),
        )
        .await;
    assert_eq!((status, code(&answer)), (403, "forbidden"), "{answer}");
    let (status, answer) = api
        .update(
            "admin",
            ADMIN,
            &child.id,
            json!({"expiration": now + 300_000}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
}

//! `POST /keys`.

use super::support::{self, raw_request};
use super::{ADMIN, ALL, Api, code, message};
use keyauth::domain::hashing::KeyHash;
use keyauth::store::KeyReader;
use serde_json::{Value, json};

/// WHEN: `user_1` sends a raw body with a content type.
fn raw_create(body: &str, content_type: Option<&str>) -> lambda_http::Request {
    raw_request(
        "POST",
        "/keys",
        Some(body),
        content_type,
        Some(("user_1", ALL)),
    )
}

#[tokio::test]
async fn create_returns_the_secret_once_and_stores_only_its_hash() {
    let api = Api::new();
    let body = json!({"name": "  deploy  ", "description": " CI ",
        "scopes": ["products:write", "products:write"], "claims": {"team": "infra"},
        "secondsUntilExpiration": 3600});
    let (status, created) = api.create("user_1", ADMIN, body).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("sk_live_"));
    assert_eq!(created["name"], "deploy");
    assert_eq!(created["description"], "CI");
    assert_eq!(created["subject"], "user_1");
    assert_eq!(created["createdBy"], "key_0TestCallerKey0000000001");
    assert_eq!(created["scopes"], json!(["products:write"]));
    assert_eq!(created["claims"], json!({"team": "infra"}));
    assert_eq!(created["type"], "api_key");
    assert_eq!(created["start"], &secret[..12]);
    assert_eq!(
        created["expiration"].as_i64().unwrap() - created["createdAt"].as_i64().unwrap(),
        3_600_000
    );
    assert_eq!(created["expired"], false);
    assert!(created.get("keyHash").is_none());

    let id = created["id"].as_str().unwrap();
    let (status, fetched) = api.get("user_1", ALL, id).await;
    assert_eq!(status, 200);
    assert!(
        fetched.get("secret").is_none(),
        "the secret is never shown again"
    );
    let stored = api.store.inner.get_by_id(id).await.unwrap().unwrap();
    assert_eq!(stored.key_hash, KeyHash::of_secret(secret));
    assert!(!format!("{stored:?}").contains(secret));
}

#[tokio::test]
async fn every_validation_branch_is_a_400_naming_the_field_and_writes_nothing() {
    let api = Api::new();
    let long = |n: usize| "x".repeat(n);
    let scopes_51: Vec<String> = (0..51).map(|i| format!("s{i}")).collect();
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": long(101)}), "name"),
        (json!({"name": 5}), "name"),
        (
            json!({"name": "ok", "description": long(501)}),
            "description",
        ),
        (json!({"name": "ok", "scopes": scopes_51}), "scopes"),
        (json!({"name": "ok", "scopes": ["Bad Scope"]}), "scopes"),
        (json!({"name": "ok", "scopes": [""]}), "scopes"),
        (json!({"name": "ok", "scopes": "keys:read"}), "scopes"),
        (
            json!({"name": "ok", "claims": {"blob": long(5000)}}),
            "claims",
        ),
        (json!({"name": "ok", "claims": [1, 2]}), "claims"),
        (
            json!({"name": "ok", "secondsUntilExpiration": 0}),
            "secondsUntilExpiration",
        ),
        (
            json!({"name": "ok", "secondsUntilExpiration": -5}),
            "secondsUntilExpiration",
        ),
        (
            json!({"name": "ok", "secondsUntilExpiration": 315_360_001}),
            "secondsUntilExpiration",
        ),
        (
            json!({"name": "ok", "secondsUntilExpiration": 1.5}),
            "secondsUntilExpiration",
        ),
        (json!({"name": "ok", "subject": ""}), "subject"),
        (json!({"name": "ok", "subject": "has space"}), "subject"),
        (json!({"name": "ok", "nmae": "typo"}), "nmae"),
    ];
    for (body, field) in cases {
        let (status, answer) = api.create("user_1", ADMIN, body.clone()).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert!(
            message(&answer).contains(field),
            "{body}: message {answer} does not name {field}"
        );
    }
    assert_eq!(api.store.counts.writes(), 0, "a refused create wrote");

    // Not JSON at all, wrong media type, too large.
    let (status, answer) = api
        .call(raw_create("{\"name\":", Some("application/json")))
        .await;
    assert_eq!((status, code(&answer)), (400, "bad_request"));
    assert_eq!(
        api.call(raw_create("name=x", Some("text/plain"))).await.0,
        415
    );
    assert_eq!(api.call(raw_create("{\"name\":\"x\"}", None)).await.0, 415);
    let huge = json!({"name": "x", "description": long(17_000)}).to_string();
    let (status, answer) = api.call(raw_create(&huge, Some("application/json"))).await;
    assert_eq!((status, code(&answer)), (413, "payload_too_large"));
    let charset = raw_create("{\"name\":\"x\"}", Some("application/json; charset=utf-8"));
    assert_eq!(api.call(charset).await.0, 201);
    assert_eq!(api.store.counts.writes(), 1);
}

#[tokio::test]
async fn scopes_cannot_be_escalated_and_subjects_need_admin() {
    let api = Api::new();
    let narrow = "keys:write products:write";
    let (status, answer) = api
        .create(
            "user_1",
            narrow,
            json!({"name": "x", "scopes": ["keys:admin"]}),
        )
        .await;
    assert_eq!((status, code(&answer)), (403, "forbidden"));
    assert!(message(&answer).contains("keys:admin"));
    let both = json!({"name": "x", "scopes": ["keys:write", "products:write"]});
    let (status, _) = api.create("user_1", "keys:write", both.clone()).await;
    assert_eq!(status, 403);
    let (status, _) = api
        .create("user_1", ALL, json!({"name": "x", "subject": "user_2"}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = api
        .create("user_1", "keys:read", json!({"name": "x"}))
        .await;
    assert_eq!(status, 403, "create needs keys:write");
    // The scope is checked before the body is even read.
    let (status, _) = api
        .create("user_1", "keys:read", json!({"bogus": true}))
        .await;
    assert_eq!(status, 403);
    assert_eq!(api.store.counts.writes(), 0);

    // Exactly the caller's own scopes is fine; an admin may create for another subject.
    let (status, _) = api.create("user_1", narrow, both).await;
    assert_eq!(status, 201);
    let (status, created) = api
        .create("admin", ADMIN, json!({"name": "x", "subject": "user_2"}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(created["subject"], "user_2");

    // A protected API's own scopes: keys:admin grants any valid scope, as on update; a
    // key without it only what it holds.
    let api_scope = json!({"name": "x", "scopes": ["orders:read", "keys:read"]});
    let (status, created) = api.create("admin", ADMIN, api_scope.clone()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["scopes"], json!(["orders:read", "keys:read"]));
    let (status, answer) = api.create("user_1", narrow, api_scope).await;
    assert_eq!((status, code(&answer)), (403, "forbidden"));
    assert!(message(&answer).contains("orders:read"));
    let (status, answer) = api
        .create(
            "admin",
            ADMIN,
            json!({"name": "x", "scopes": ["Orders Read"]}),
        )
        .await;
    assert_eq!(
        (status, code(&answer)),
        (400, "validation_error"),
        "{answer}"
    );
}

#[tokio::test]
async fn new_keys_cannot_outlive_or_out_claim_the_key_that_creates_them() {
    let api = Api::new();
    let parent_expiry = keyauth::domain::clock::now_ms() + 3_600_000;
    let mut context = support::caller_context("user_1", ALL);
    context["claims"] = json!(r#"{"tenant":"t1"}"#);
    context["expiration"] = json!(parent_expiry.to_string());
    let as_parent = |body: Value| {
        let body = body.to_string();
        let json = Some("application/json");
        support::request_with_context("POST", "/keys", Some(&body), json, Some(context.clone()))
    };
    // Inherits the parent's expiry and claims when it asks for neither.
    let (status, child) = api.call(as_parent(json!({"name": "child"}))).await;
    assert_eq!(status, 201, "{child}");
    assert_eq!(child["expiration"], parent_expiry);
    assert_eq!(child["claims"], json!({"tenant": "t1"}));
    // A shorter life is fine; a longer one, or its own claims, is not.
    let short = json!({"name": "short", "secondsUntilExpiration": 60});
    let (status, child) = api.call(as_parent(short)).await;
    assert_eq!(status, 201, "{child}");
    assert!(child["expiration"].as_i64().unwrap() < parent_expiry);
    let writes = api.store.counts.writes();
    let long = json!({"name": "long", "secondsUntilExpiration": 7200});
    let (status, answer) = api.call(as_parent(long)).await;
    assert_eq!(status, 403, "{answer}");
    let rich = json!({"name": "rich", "claims": {"tenant": "t2"}});
    let (status, answer) = api.call(as_parent(rich)).await;
    assert_eq!(status, 403, "{answer}");
    assert!(message(&answer).contains("keys:admin"));
    assert_eq!(
        api.store.counts.writes(),
        writes,
        "refused creates wrote nothing"
    );
    // An admin sets claims freely.
    let tagged = json!({"name": "tagged", "claims": {"tenant": "t2"}});
    let (status, child) = api.create("root", ADMIN, tagged).await;
    assert_eq!(status, 201);
    assert_eq!(child["claims"], json!({"tenant": "t2"}));
}

//! Key management and verify through the real `lambda_http` handlers: each rule of the
//! HTTP contract, and that a refused request changes nothing.

mod support;

use keyauth::config::Config;
use keyauth::handlers;
use keyauth::store::memory::MemoryStore;
use keyauth::store::{KeyReader, KeyWriter};
use serde_json::{Value, json};
use std::collections::HashSet;
use support::counting::Counting;
use support::{parts, raw_request, request};

const ALL: &str = "keys:read keys:write keys:verify products:write";
const ADMIN: &str = "keys:read keys:write keys:verify keys:admin products:write";

struct Api {
    store: Counting<MemoryStore>,
    config: Config,
}

impl Api {
    fn new() -> Self {
        Self {
            store: Counting::new(MemoryStore::new()),
            config: Config::from_lookup(|_| None).unwrap(),
        }
    }

    async fn call(&self, req: lambda_http::Request) -> (u16, Value) {
        let verify = req.uri().path().ends_with("/keys/verify");
        let response = if verify {
            handlers::verify_key(&self.store, &self.config, req).await
        } else {
            handlers::manage_keys(&self.store, &self.config, req).await
        };
        parts(response)
    }

    async fn create(&self, subject: &str, scopes: &str, body: Value) -> (u16, Value) {
        self.call(request("POST", "/keys", Some(&body), subject, scopes))
            .await
    }

    /// Creates a key as `subject` holding every scope; returns (id, secret).
    async fn key(&self, subject: &str, body: Value) -> (String, String) {
        let (status, key) = self.create(subject, ADMIN, body).await;
        assert_eq!(status, 201, "{key}");
        (
            key["id"].as_str().unwrap().to_owned(),
            key["secret"].as_str().unwrap().to_owned(),
        )
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn create_returns_the_secret_once_and_stores_only_its_hash() {
    let api = Api::new();
    let (status, created) = api
        .create(
            "user_1",
            ADMIN,
            json!({"name": "  deploy  ", "description": " CI ", "scopes": ["products:write", "products:write"],
                   "claims": {"team": "infra"}, "secondsUntilExpiration": 3600}),
        )
        .await;
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
    let (status, fetched) = api
        .call(request("GET", &format!("/keys/{id}"), None, "user_1", ALL))
        .await;
    assert_eq!(status, 200);
    assert!(
        fetched.get("secret").is_none(),
        "the secret is never shown again"
    );
    let stored = api.store.inner.get_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        stored.key_hash,
        keyauth::hashing::KeyHash::of_secret(secret)
    );
    assert!(!format!("{stored:?}").contains(secret));
}

#[tokio::test]
async fn every_validation_branch_is_a_400_naming_the_field_and_writes_nothing() {
    let api = Api::new();
    let long = |n: usize| "x".repeat(n);
    let scopes_51: Vec<String> = (0..51).map(|i| format!("s{i}")).collect();
    let big_claims = json!({"blob": long(5000)});
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
        (json!({"name": "ok", "claims": big_claims}), "claims"),
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
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(field),
            "{body}: message {message:?} does not name {field}"
        );
    }
    assert_eq!(api.store.counts.writes(), 0, "a refused create wrote");

    // Not JSON at all, wrong media type, too large.
    let bad = raw_request(
        "POST",
        "/keys",
        Some("{\"name\":"),
        Some("application/json"),
        Some(("user_1", ALL)),
    );
    let (status, answer) = api.call(bad).await;
    assert_eq!((status, code(&answer)), (400, "bad_request"));
    let form = raw_request(
        "POST",
        "/keys",
        Some("name=x"),
        Some("text/plain"),
        Some(("user_1", ALL)),
    );
    assert_eq!(api.call(form).await.0, 415);
    let missing_type = raw_request(
        "POST",
        "/keys",
        Some("{\"name\":\"x\"}"),
        None,
        Some(("user_1", ALL)),
    );
    assert_eq!(api.call(missing_type).await.0, 415);
    let huge = json!({"name": "x", "description": long(17_000)}).to_string();
    let huge = raw_request(
        "POST",
        "/keys",
        Some(&huge),
        Some("application/json"),
        Some(("user_1", ALL)),
    );
    let (status, answer) = api.call(huge).await;
    assert_eq!((status, code(&answer)), (413, "payload_too_large"));
    let charset = raw_request(
        "POST",
        "/keys",
        Some("{\"name\":\"x\"}"),
        Some("application/json; charset=utf-8"),
        Some(("user_1", ALL)),
    );
    assert_eq!(api.call(charset).await.0, 201);
    assert_eq!(api.store.counts.writes(), 1);
}

#[tokio::test]
async fn scopes_cannot_be_escalated_and_subjects_need_admin() {
    let api = Api::new();
    let (status, answer) = api
        .create(
            "user_1",
            "keys:write products:write",
            json!({"name": "x", "scopes": ["keys:admin"]}),
        )
        .await;
    assert_eq!((status, code(&answer)), (403, "forbidden"));
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("keys:admin")
    );
    let (status, _) = api
        .create(
            "user_1",
            "keys:write",
            json!({"name": "x", "scopes": ["keys:write", "products:write"]}),
        )
        .await;
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
    let (status, _) = api
        .create(
            "user_1",
            "keys:write products:write",
            json!({"name": "x", "scopes": ["keys:write", "products:write"]}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, created) = api
        .create("admin", ADMIN, json!({"name": "x", "subject": "user_2"}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(created["subject"], "user_2");
}

#[tokio::test]
async fn other_subjects_keys_are_not_found_unless_admin() {
    let api = Api::new();
    let (theirs, _) = api.key("user_2", json!({"name": "theirs"})).await;
    for req in [
        request("GET", &format!("/keys/{theirs}"), None, "user_1", ALL),
        request(
            "POST",
            &format!("/keys/{theirs}/revoke"),
            Some(&json!({})),
            "user_1",
            ALL,
        ),
        request(
            "GET",
            "/keys/key_0000000000000000000000",
            None,
            "user_1",
            ALL,
        ),
        request("GET", "/keys/not-an-id", None, "user_1", ALL),
    ] {
        let (status, answer) = api.call(req).await;
        assert_eq!((status, code(&answer)), (404, "not_found"), "{answer}");
    }
    let (status, body) = api
        .call(request("GET", "/keys?subject=user_2", None, "user_1", ALL))
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = api
        .call(request(
            "GET",
            &format!("/keys/{theirs}"),
            None,
            "root",
            ADMIN,
        ))
        .await;
    assert_eq!(status, 200);
    let (status, list) = api
        .call(request("GET", "/keys?subject=user_2", None, "root", ADMIN))
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["data"][0]["id"], theirs.as_str());
    // The other subject's key is untouched by the refused revoke.
    let (_, key) = api
        .call(request(
            "GET",
            &format!("/keys/{theirs}"),
            None,
            "user_2",
            ALL,
        ))
        .await;
    assert_eq!(key["revoked"], false);
}

#[tokio::test]
async fn revoke_is_idempotent_and_keeps_the_first_reason() {
    let api = Api::new();
    let (id, _) = api.key("user_1", json!({"name": "old"})).await;
    let path = format!("/keys/{id}/revoke");
    let (status, first) = api
        .call(request(
            "POST",
            &path,
            Some(&json!({"revocationReason": "leaked"})),
            "user_1",
            ALL,
        ))
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["revoked"], true);
    assert_eq!(first["revocationReason"], "leaked");
    assert!(first["revokedAt"].is_i64());
    let (status, second) = api
        .call(request(
            "POST",
            &path,
            Some(&json!({"revocationReason": "again"})),
            "user_1",
            ALL,
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(second, first, "a second revoke changes nothing");
    // No body at all is fine too; a too-long reason or unknown field is not.
    let empty = raw_request("POST", &path, None, None, Some(("user_1", ALL)));
    assert_eq!(api.call(empty).await.0, 200);
    let long = json!({"revocationReason": "x".repeat(501)});
    let (status, answer) = api
        .call(request("POST", &path, Some(&long), "user_1", ALL))
        .await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revocationReason")
    );
    let (status, _) = api
        .call(request(
            "POST",
            &path,
            Some(&json!({})),
            "user_1",
            "keys:read",
        ))
        .await;
    assert_eq!(status, 403, "revoke needs keys:write");
}

#[tokio::test]
async fn listing_pages_through_the_handler() {
    let api = Api::new();
    let mut created = HashSet::new();
    for i in 0..25 {
        created.insert(
            api.key("user_1", json!({"name": format!("key {i}")}))
                .await
                .0,
        );
    }
    api.key("user_2", json!({"name": "not mine"})).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/keys?limit=10&cursor={c}"),
            None => "/keys?limit=10".to_owned(),
        };
        let (status, page) = api.call(request("GET", &path, None, "user_1", ALL)).await;
        assert_eq!(status, 200, "{page}");
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 10);
        for key in data {
            assert!(key.get("secret").is_none() && key.get("keyHash").is_none());
            seen.push(key["id"].as_str().unwrap().to_owned());
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), created);

    let (_, page) = api
        .call(request(
            "GET",
            "/keys?query=KEY 1&limit=100",
            None,
            "user_1",
            ALL,
        ))
        .await;
    let names: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert!(
        !names.is_empty() && names.iter().all(|n| n.contains("key 1")),
        "{names:?}"
    );
    let (_, page) = api.call(request("GET", "/keys", None, "user_1", ALL)).await;
    assert_eq!(
        page["data"].as_array().unwrap().len(),
        20,
        "default page size"
    );
}

#[tokio::test]
async fn list_parameters_are_validated() {
    let api = Api::new();
    api.key("user_1", json!({"name": "one"})).await;
    api.key("user_1", json!({"name": "two"})).await;
    let (_, page) = api
        .call(request("GET", "/keys?limit=1", None, "user_1", ALL))
        .await;
    let cursor = page["nextCursor"].as_str().unwrap().to_owned();
    let mut tampered = cursor.clone();
    tampered.replace_range(5..6, if &cursor[5..6] == "A" { "B" } else { "A" });
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("includeInvalid=yes", "includeInvalid"),
        (&format!("query={}", "q".repeat(101)), "query"),
        (&format!("cursor={tampered}"), "cursor"),
        ("cursor=!!!", "cursor"),
    ] {
        let (status, answer) = api
            .call(request(
                "GET",
                &format!("/keys?{query}"),
                None,
                "user_1",
                ALL,
            ))
            .await;
        assert_eq!(status, 400, "{query}: {answer}");
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(field),
            "{query}: {answer}"
        );
    }
    // A cursor issued for one subject is refused for another, even to an admin.
    let (status, answer) = api
        .call(request(
            "GET",
            &format!("/keys?subject=user_2&cursor={cursor}"),
            None,
            "root",
            ADMIN,
        ))
        .await;
    assert_eq!((status, code(&answer)), (400, "invalid_cursor"));
    let (status, _) = api
        .call(request("GET", "/keys", None, "user_1", "keys:write"))
        .await;
    assert_eq!(status, 403, "list needs keys:read");
}

#[tokio::test]
async fn revoked_and_expired_keys_are_hidden_unless_asked_for() {
    let api = Api::new();
    let (revoked, _) = api.key("user_1", json!({"name": "revoked"})).await;
    let (live, _) = api.key("user_1", json!({"name": "live"})).await;
    api.call(request(
        "POST",
        &format!("/keys/{revoked}/revoke"),
        None,
        "user_1",
        ALL,
    ))
    .await;
    let ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, page) = api.call(request("GET", "/keys", None, "user_1", ALL)).await;
    assert_eq!(ids(&page), vec![live.clone()]);
    let (_, page) = api
        .call(request(
            "GET",
            "/keys?includeInvalid=true",
            None,
            "user_1",
            ALL,
        ))
        .await;
    assert_eq!(ids(&page).len(), 2);
}

#[tokio::test]
async fn verify_answers_every_code_and_malformed_costs_no_read() {
    let api = Api::new();
    let (_, valid) = api
        .key("user_1", json!({"name": "v", "scopes": ["products:write"]}))
        .await;
    let (revoked_id, revoked) = api.key("user_1", json!({"name": "r"})).await;
    api.call(request(
        "POST",
        &format!("/keys/{revoked_id}/revoke"),
        None,
        "user_1",
        ALL,
    ))
    .await;
    // An expired key, stored directly rather than waiting for one to expire.
    let prefix = keyauth::key_format::KeyPrefix::new("sk_live").unwrap();
    let expired = prefix.generate().unwrap().into_inner();
    let mut record = support::record("user_1", "e", 1_000);
    record.key_hash = keyauth::hashing::KeyHash::of_secret(&expired);
    record.expiration = Some(2_000);
    api.store.inner.put_new(&record).await.unwrap();
    let unknown = keyauth::key_format::KeyPrefix::new("sk_live")
        .unwrap()
        .generate()
        .unwrap()
        .into_inner();
    let mut malformed = valid.clone();
    malformed.pop();
    malformed.push(if valid.ends_with('A') { 'B' } else { 'A' });

    let verify = |key: &str, required: Value| json!({"key": key, "requiredScopes": required});
    let cases = [
        (
            verify(&valid, json!(["products:write"])),
            "VALID",
            true,
            true,
        ),
        (
            verify(&valid, json!(["keys:admin"])),
            "INSUFFICIENT_SCOPE",
            false,
            true,
        ),
        (verify(&revoked, json!([])), "REVOKED", false, true),
        (verify(&expired, json!([])), "EXPIRED", false, true),
        (verify(&unknown, json!([])), "NOT_FOUND", false, false),
        (verify(&malformed, json!([])), "MALFORMED", false, false),
        (verify("", json!([])), "MALFORMED", false, false),
        (
            verify(&"k".repeat(5000), json!([])),
            "MALFORMED",
            false,
            false,
        ),
    ];
    for (body, expected, valid_flag, has_key) in cases {
        api.store.counts.reset();
        let (status, answer) = api
            .call(request(
                "POST",
                "/keys/verify",
                Some(&body),
                "svc",
                "keys:verify",
            ))
            .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["code"], expected, "{body}");
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
    let (status, _) = api
        .call(request(
            "POST",
            "/keys/verify",
            Some(&json!({"key": valid})),
            "svc",
            "keys:read",
        ))
        .await;
    assert_eq!(status, 403, "verify needs keys:verify");
    let (status, answer) = api
        .call(request(
            "POST",
            "/keys/verify",
            Some(&json!({"key": valid, "requiredScopes": ["Bad"]})),
            "svc",
            "keys:verify",
        ))
        .await;
    assert_eq!(status, 400, "{answer}");
}

#[tokio::test]
async fn missing_authorizer_context_is_401_not_a_panic() {
    let api = Api::new();
    let req = raw_request("GET", "/keys", None, None, None);
    let (status, answer) = api.call(req).await;
    assert_eq!((status, code(&answer)), (401, "unauthorized"));
    let req = raw_request("GET", "/products", None, None, Some(("user_1", ALL)));
    let (status, _) = api.call(req).await;
    assert_eq!(
        status, 404,
        "a route of another function is not served here"
    );
}

#[tokio::test]
async fn new_keys_cannot_outlive_or_out_claim_the_key_that_creates_them() {
    let api = Api::new();
    let parent_expiry = keyauth::clock::now_ms() + 3_600_000;
    let mut context = support::caller_context("user_1", ALL);
    context["claims"] = json!(r#"{"tenant":"t1"}"#);
    context["expiration"] = json!(parent_expiry.to_string());
    let as_parent = |body: Value| {
        support::request_with_context(
            "POST",
            "/keys",
            Some(&body.to_string()),
            Some("application/json"),
            Some(context.clone()),
        )
    };
    // Inherits the parent's expiry and claims when it asks for neither.
    let (status, child) = api.call(as_parent(json!({"name": "child"}))).await;
    assert_eq!(status, 201, "{child}");
    assert_eq!(child["expiration"], parent_expiry);
    assert_eq!(child["claims"], json!({"tenant": "t1"}));
    // A shorter life is fine; a longer one, or its own claims, is not.
    let (status, child) = api
        .call(as_parent(
            json!({"name": "short", "secondsUntilExpiration": 60}),
        ))
        .await;
    assert_eq!(status, 201, "{child}");
    assert!(child["expiration"].as_i64().unwrap() < parent_expiry);
    let writes = api.store.counts.writes();
    let (status, answer) = api
        .call(as_parent(
            json!({"name": "long", "secondsUntilExpiration": 7200}),
        ))
        .await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = api
        .call(as_parent(
            json!({"name": "rich", "claims": {"tenant": "t2"}}),
        ))
        .await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("keys:admin")
    );
    assert_eq!(
        api.store.counts.writes(),
        writes,
        "refused creates wrote nothing"
    );
    // An admin sets claims freely.
    let (status, child) = api
        .create(
            "root",
            ADMIN,
            json!({"name": "tagged", "claims": {"tenant": "t2"}}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(child["claims"], json!({"tenant": "t2"}));
}

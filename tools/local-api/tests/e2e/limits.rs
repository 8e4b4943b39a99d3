//! Usage limits through API Gateway's emulation: the authorizer charges each request, and
//! a refusal is API Gateway's 403 with the reason as `error.code`.

use super::{Server, code};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

fn product() -> serde_json::Value {
    json!({"name": "Widget", "price": 1.5})
}

/// A key with 3 credits passes 3 times, is refused the 4th with `usage_exceeded`, and
/// verify then says `USAGE_EXCEEDED`.
pub async fn credits_run_out(server: Server) {
    let (id, secret) = server
        .key(
            "user_1",
            &["products:write"],
            json!({"credits": {"remaining": 3}}),
        )
        .await;
    for _ in 0..3 {
        let (status, body) = server
            .send("POST", "/products", Some(&secret), Some(&product()))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = server
        .send("POST", "/products", Some(&secret), Some(&product()))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "usage_exceeded"),
        "{body}"
    );
    let (_, verdict) = server
        .send(
            "POST",
            "/keys/verify",
            Some(&server.admin),
            Some(&json!({"key": secret})),
        )
        .await;
    assert_eq!(verdict["code"], "USAGE_EXCEEDED", "{verdict}");
    let (_, key) = server
        .send("GET", &format!("/keys/{id}"), Some(&server.admin), None)
        .await;
    assert_eq!(key["credits"]["remaining"], 0);
}

/// A key limited to 2 requests per 10 s is refused the 3rd time with `rate_limited`.
pub async fn rate_limited(server: Server) {
    // The windows are aligned to the epoch: a run that straddles one is tried again.
    for _ in 0..3 {
        let (_, secret) = server
            .key(
                "user_1",
                &["products:write"],
                json!({"ratelimit": {"limit": 2, "durationMs": 10_000}}),
            )
            .await;
        let window = || keyauth::domain::clock::now_ms() / 10_000;
        let started = window();
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let (status, body) = server
                .send("POST", "/products", Some(&secret), Some(&product()))
                .await;
            statuses.push((status, code(&body).to_owned()));
        }
        if window() != started {
            continue;
        }
        assert_eq!(statuses[0].0, StatusCode::CREATED);
        assert_eq!(statuses[1].0, StatusCode::CREATED);
        assert_eq!(
            statuses[2],
            (StatusCode::FORBIDDEN, "rate_limited".to_owned())
        );
        return;
    }
    panic!("three runs straddled a window");
}

/// 50 requests at once on a key with 20 credits: exactly 20 pass.
pub async fn concurrent_credits_are_exact(server: Server) {
    let (id, secret) = server
        .key(
            "user_1",
            &["products:write"],
            json!({"credits": {"remaining": 20}}),
        )
        .await;
    let body = product();
    let answers =
        join_all((0..50).map(|_| server.send("POST", "/products", Some(&secret), Some(&body))))
            .await;
    let passed = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == StatusCode::FORBIDDEN && code(b) == "usage_exceeded")
        .count();
    assert_eq!((passed, refused), (20, 30));
    let (_, key) = server
        .send("GET", &format!("/keys/{id}"), Some(&server.admin), None)
        .await;
    assert_eq!(key["credits"]["remaining"], 0);
}

/// With the authorizer cache on, limits cannot hold: setting them is refused.
pub async fn refused_with_the_cache_on(server: Server) {
    let body = json!({"name": "m", "credits": {"remaining": 3}});
    let (status, answer) = server
        .send("POST", "/keys", Some(&server.admin), Some(&body))
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::BAD_REQUEST, "validation_error")
    );
}

/// A key with credits made while the authorizer cache was off, then used behind a server
/// whose cache is on: API Gateway's 403 with `limits_not_enforceable`, and not one credit
/// spent; the cache-off server still serves it.
pub async fn refused_behind_a_raised_cache(before: Server, after: Server) {
    let (id, secret) = before
        .key(
            "user_1",
            &["products:write", "keys:read"],
            json!({"credits": {"remaining": 3}}),
        )
        .await;
    let (status, answer) = after
        .send("POST", "/products", Some(&secret), Some(&product()))
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::FORBIDDEN, "limits_not_enforceable"),
        "{answer}"
    );
    let path = format!("/keys/{id}");
    let (status, key) = before.send("GET", &path, Some(&before.admin), None).await;
    assert_eq!(status, StatusCode::OK, "{key}");
    assert_eq!(key["credits"]["remaining"], 3, "nothing spent");
    let (status, _) = before
        .send("POST", "/products", Some(&secret), Some(&product()))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

/// A stolen key with 4 credits and `keys:write` mints a child (that request spends one): the
/// child spends the parent's credits, so the two together pass 3 more requests, not more;
/// then both get `usage_exceeded`.
pub async fn children_spend_their_parents_credits(server: Server) {
    let (_, parent) = server
        .key(
            "user_1",
            &["products:write", "keys:write"],
            json!({"credits": {"remaining": 4}}),
        )
        .await;
    let body = json!({"name": "minted", "scopes": ["products:write"]});
    let (status, child) = server
        .send("POST", "/keys", Some(&parent), Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    assert_eq!(child["credits"]["remaining"], 3, "{child}");
    let child = child["secret"].as_str().unwrap().to_owned();
    let mut passed = 0;
    for secret in [&child, &parent, &child, &child, &parent] {
        let (status, answer) = server
            .send("POST", "/products", Some(secret), Some(&product()))
            .await;
        if status == StatusCode::CREATED {
            passed += 1;
        } else {
            assert_eq!(
                (status, code(&answer)),
                (StatusCode::FORBIDDEN, "usage_exceeded"),
                "{answer}"
            );
        }
    }
    assert_eq!(passed, 3, "the parent's credits, for both keys");
}

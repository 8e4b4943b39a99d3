//! The authorizer charges every request it lets through to the key's limits: past them it
//! answers an explicit Deny whose context names the reason (API Gateway's ACCESS_DENIED
//! answer shows it as `error.code`); a request its scopes refuse anyway costs nothing.

mod support;

use keyauth::domain::clock::{Millis, now_ms};
use keyauth::domain::limits::{Credits, RateLimit};
use keyauth::edge::authorizer;
use keyauth::edge::wire::CreateKeyRequest;
use keyauth::emulation::events::GatewayRequest;
use keyauth::emulation::policy_evaluation::{Decision, evaluate, statements_of};
use keyauth::operations;
use keyauth::store::memory::MemoryStore;
use keyauth::store::{KeyStore, UsageLimiter};
use serde_json::{Value, json};

use support::{admin_caller as admin, live_prefix as prefix};

/// A `products:write` key with these limits; returns (limits id, secret).
async fn key(
    store: &dyn KeyStore,
    ratelimit: Option<RateLimit>,
    credits: Option<u64>,
) -> (String, String) {
    let req = CreateKeyRequest {
        name: "metered".into(),
        subject: Some("user_1".into()),
        scopes: Some(vec!["products:write".into()]),
        ratelimit,
        credits: credits.map(|remaining| Credits {
            remaining,
            refill: None,
        }),
        ..Default::default()
    };
    let new = req.parse(now_ms()).unwrap();
    let issued = operations::create::create_key(store, &prefix(), &admin(), new, now_ms())
        .await
        .unwrap();
    (issued.key.id, issued.secret.into_inner())
}

/// API Gateway's decision for `method path` with this key: the authorizer's answer, and
/// how its policy judges the call.
async fn call(
    store: &MemoryStore,
    method: &str,
    path: &str,
    secret: &str,
    now: Millis,
) -> (Value, Decision) {
    let request = GatewayRequest::new(method, path).header("x-api-key", secret);
    let answer = authorizer::handle(store, &prefix(), request.authorizer_event(), now)
        .await
        .unwrap();
    let authorizer::AuthorizerResponse::Rest(rest) = answer else {
        panic!("a REST answer");
    };
    let decision = evaluate(&statements_of(&rest.policy_document), &request.method_arn());
    (serde_json::to_value(&rest).unwrap(), decision)
}

#[tokio::test]
async fn credits_run_out_into_an_explicit_deny_named_usage_exceeded() {
    let store = MemoryStore::new();
    let (id, secret) = key(&store, None, Some(2)).await;
    let now = now_ms();
    for _ in 0..2 {
        let (answer, decision) = call(&store, "POST", "/products", &secret, now).await;
        assert_eq!(decision, Decision::Allow, "{answer}");
        assert_eq!(answer["context"]["denyCode"], "forbidden");
    }
    let (answer, decision) = call(&store, "POST", "/products", &secret, now).await;
    assert_eq!(decision, Decision::ExplicitDeny, "{answer}");
    assert_eq!(answer["context"]["denyCode"], "usage_exceeded");
    assert_eq!(store.credits(&id).await.unwrap().unwrap().remaining, 0);
}

#[tokio::test]
async fn a_route_the_scopes_refuse_costs_no_credit() {
    let store = MemoryStore::new();
    let (id, secret) = key(&store, None, Some(1)).await;
    let (answer, decision) = call(&store, "GET", "/keys", &secret, now_ms()).await;
    assert_eq!(decision, Decision::ImplicitDeny, "{answer}");
    assert_eq!(answer["context"]["denyCode"], "forbidden");
    assert_eq!(store.credits(&id).await.unwrap().unwrap().remaining, 1);
}

#[tokio::test]
async fn the_rate_limit_denies_the_third_request_in_its_window() {
    let store = MemoryStore::new();
    let limit = RateLimit {
        limit: 2,
        duration_ms: 10_000,
    };
    let (_, secret) = key(&store, Some(limit), None).await;
    let start = 1_800_000_000_000;
    for _ in 0..2 {
        let (_, decision) = call(&store, "POST", "/products", &secret, start).await;
        assert_eq!(decision, Decision::Allow);
    }
    let (answer, decision) = call(&store, "POST", "/products", &secret, start + 9_999).await;
    assert_eq!(decision, Decision::ExplicitDeny);
    assert_eq!(answer["context"]["denyCode"], "rate_limited");
    // The next window lets it through again.
    let (_, decision) = call(&store, "POST", "/products", &secret, start + 10_000).await;
    assert_eq!(decision, Decision::Allow);
}

#[tokio::test]
async fn http_apis_refuse_past_the_limits() {
    let store = MemoryStore::new();
    let (_, secret) = key(&store, None, Some(1)).await;
    let event = json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:api123/$default/POST/products",
        "identitySource": [secret], "routeKey": "POST /products", "rawPath": "/products",
        "rawQueryString": "", "headers": {"x-api-key": secret},
        "requestContext": {"http": {"method": "POST", "path": "/products"}},
    });
    let answer = |event: Value| async {
        let a = authorizer::handle(&store, &prefix(), event, now_ms())
            .await
            .unwrap();
        serde_json::to_value(a).unwrap()
    };
    assert_eq!(answer(event.clone()).await["isAuthorized"], true);
    assert_eq!(answer(event).await["isAuthorized"], false);
}

//! The authorizer charges every request it lets through to the key's limits: past them it
//! answers an explicit Deny whose context names the reason (API Gateway's ACCESS_DENIED
//! answer shows it as `error.code`); a request its scopes refuse anyway costs nothing.

mod support;

use keyauth::domain::clock::{Millis, now_ms};
use keyauth::domain::limits::{Credits, RateLimit};
use keyauth::edge::authorizer;
use keyauth::edge::authorizer::AuthorizerSettings;
use keyauth::edge::wire::CreateKeyRequest;
use keyauth::emulation::events::GatewayRequest;
use keyauth::emulation::policy_evaluation::{Decision, evaluate, statements_of};
use keyauth::operations;
use keyauth::store::memory::MemoryStore;
use keyauth::store::{KeyStore, UsageLimiter};
use serde_json::{Value, json};

use support::{admin_caller as admin, live_prefix as prefix};

/// An HTTP API payload 2.0 authorizer event for `POST /products` with this key.
fn http_event(secret: &str) -> Value {
    json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:api123/$default/POST/products",
        "identitySource": [secret], "routeKey": "POST /products", "rawPath": "/products",
        "rawQueryString": "", "headers": {"x-api-key": secret},
        "requestContext": {"http": {"method": "POST", "path": "/products"}},
    })
}

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
    let settings = AuthorizerSettings::uncached(prefix());
    call_with(store, &settings, method, path, secret, now).await
}

/// The same, behind an authorizer with these settings.
async fn call_with(
    store: &MemoryStore,
    settings: &AuthorizerSettings,
    method: &str,
    path: &str,
    secret: &str,
    now: Millis,
) -> (Value, Decision) {
    let request = GatewayRequest::new(method, path).header("x-api-key", secret);
    let answer = authorizer::handle(store, settings, request.authorizer_event(), now)
        .await
        .unwrap();
    let authorizer::AuthorizerResponse::Rest(rest) = answer else {
        panic!("a REST answer");
    };
    let decision = evaluate(&statements_of(&rest.policy()), &request.method_arn());
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
    // With the cache off the answer denies the called route itself.
    assert_eq!(decision, Decision::ExplicitDeny, "{answer}");
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
    let event = http_event(&secret);
    let answer = |event: Value| async {
        let a = authorizer::handle(
            &store,
            &AuthorizerSettings::uncached(prefix()),
            event,
            now_ms(),
        )
        .await
        .unwrap();
        serde_json::to_value(a).unwrap()
    };
    assert_eq!(answer(event.clone()).await["isAuthorized"], true);
    assert_eq!(answer(event).await["isAuthorized"], false);
}

/// Behind a cached authorizer (`AuthorizerCacheTtl` raised after the key got its limits),
/// API Gateway would reuse an Allow without counting: a key with limits is refused with its
/// own code, on REST and HTTP APIs alike, and nothing is charged. A key without limits
/// passes as before.
#[tokio::test]
async fn a_cached_authorizer_refuses_keys_with_limits() {
    let store = MemoryStore::new();
    let (id, secret) = key(&store, None, Some(5)).await;
    let cached = AuthorizerSettings::cached(prefix());
    let (answer, decision) =
        call_with(&store, &cached, "POST", "/products", &secret, now_ms()).await;
    assert_eq!(decision, Decision::ExplicitDeny);
    assert_eq!(
        answer["context"]["denyCode"],
        authorizer::LIMITS_NOT_ENFORCEABLE
    );

    let http = http_event(&secret);
    let answer = authorizer::handle(&store, &cached, http, now_ms())
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(answer).unwrap()["isAuthorized"], false);
    assert_eq!(
        store.credits(&id).await.unwrap().unwrap().remaining,
        5,
        "nothing charged"
    );

    let (_, plain) = key(&store, None, None).await;
    let (_, decision) = call_with(&store, &cached, "POST", "/products", &plain, now_ms()).await;
    assert_eq!(decision, Decision::Allow);
}

/// A key with limits that holds `keys:write` mints a key: the child carries the parent's
/// limits and spends the parent's counters, so the two together pass no more requests than
/// the parent's credits; the child cannot be given limits of its own.
#[tokio::test]
async fn a_limited_keys_children_spend_its_credits() {
    use keyauth::domain::caller::Caller;
    let store = MemoryStore::new();
    let req = CreateKeyRequest {
        name: "parent".into(),
        subject: Some("user_1".into()),
        scopes: Some(vec!["products:write".into(), "keys:write".into()]),
        credits: Some(Credits {
            remaining: 3,
            refill: None,
        }),
        ..Default::default()
    };
    let new = req.parse(now_ms()).unwrap();
    let parent = operations::create::create_key(&store, &prefix(), &admin(), new, now_ms())
        .await
        .unwrap();
    let as_parent = Caller {
        key_id: parent.key.id.clone(),
        subject: "user_1".into(),
        scopes: parent.key.scopes.clone(),
        claims: Default::default(),
        expiration: None,
    };
    let child_request = || CreateKeyRequest {
        name: "child".into(),
        scopes: Some(vec!["products:write".into()]),
        ..Default::default()
    };
    let new = child_request().parse(now_ms()).unwrap();
    let child = operations::create::create_key(&store, &prefix(), &as_parent, new, now_ms())
        .await
        .unwrap();
    assert_eq!(child.key.credits.map(|c| c.remaining), Some(3));
    let (parent_secret, child_secret) = (parent.secret.into_inner(), child.secret.into_inner());

    let now = now_ms();
    let mut allowed = 0;
    for secret in [
        &child_secret,
        &child_secret,
        &parent_secret,
        &child_secret,
        &parent_secret,
    ] {
        let (answer, decision) = call(&store, "POST", "/products", secret, now).await;
        if decision == Decision::Allow {
            allowed += 1;
        } else {
            assert_eq!(answer["context"]["denyCode"], "usage_exceeded", "{answer}");
        }
    }
    assert_eq!(allowed, 3, "the parent's 3 credits, for both keys");
    assert_eq!(
        store
            .credits(&parent.key.id)
            .await
            .unwrap()
            .unwrap()
            .remaining,
        0
    );

    // Nor can a limited admin key hand out limits of a child's own.
    let mut limited_admin = as_parent.clone();
    limited_admin.scopes = keyauth::domain::scopes::ALL.map(String::from).to_vec();
    let mut own = child_request();
    own.credits = Some(Credits {
        remaining: 100,
        refill: None,
    });
    let err = operations::create::create_key(
        &store,
        &prefix(),
        &limited_admin,
        own.parse(now_ms()).unwrap(),
        now_ms(),
    )
    .await
    .err()
    .expect("refused");
    assert!(err.to_string().contains("cannot have its own"), "{err}");
}

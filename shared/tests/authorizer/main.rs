//! The authorizer's guarantees: fail closed, one read per decision, no write within the
//! minute, revocation seen on the very next request, policies right on every route.

mod protected_api;
mod routes_object;
#[path = "../support/mod.rs"]
mod support;
mod usage_writes;

use async_trait::async_trait;
use keyauth::domain::clock::{Millis, now_ms};
use keyauth::domain::hashing::KeyHash;
use keyauth::domain::ids::KeyId;
use keyauth::domain::key::ApiKeyRecord;
use keyauth::domain::key_format::KeyPrefix;
use keyauth::domain::limits::{Balance, CreditsSpend, RateLimit, RateTake, Refill, Window};
use keyauth::domain::routes::ROUTES;
use keyauth::edge::authorizer::AuthorizerSettings;
use keyauth::edge::authorizer::{self, AuthorizerError};
use keyauth::edge::wire::CreateKeyRequest;
use keyauth::emulation::events::GatewayRequest;
use keyauth::emulation::policy_evaluation::{self as policy, statements_of};
use keyauth::operations;
use keyauth::store::error::StoreError;
use keyauth::store::memory::MemoryStore;
use keyauth::store::{KeyReader, KeyStore, StoreResult, UsageLimiter, UsageRecorder, VerifyStore};
use serde_json::{Value, json};
use support::counting::Counting;

const ARN_BASE: &str = "arn:aws:execute-api:eu-west-1:123456789012";

use support::{admin_caller as admin, live_prefix as prefix};

/// Creates a key through the real create rule; returns (id, secret).
async fn create(store: &dyn KeyStore, subject: &str, scopes: &[&str]) -> (String, String) {
    let req = CreateKeyRequest {
        name: "test".into(),
        subject: Some(subject.into()),
        scopes: Some(scopes.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    };
    let new = req.parse(now_ms()).unwrap();
    let issued = operations::create::create_key(store, &prefix(), &admin(), new, now_ms())
        .await
        .unwrap();
    (issued.key.id, issued.secret.into_inner())
}

/// The REST authorizer event API Gateway sends for `method path`, with the key if any.
fn rest_event(method: &str, path: &str, key: Option<&str>) -> Value {
    let request = GatewayRequest::new(method, path);
    match key {
        Some(key) => request.header("x-api-key", key),
        None => request,
    }
    .authorizer_event()
}

async fn authorize(
    store: &dyn VerifyStore,
    event: Value,
    now: Millis,
) -> Result<Value, AuthorizerError> {
    let answer =
        authorizer::handle(store, &AuthorizerSettings::uncached(prefix()), event, now).await?;
    Ok(serde_json::to_value(answer).unwrap())
}

fn method_arn(method: &str, path: &str) -> String {
    GatewayRequest::new(method, path).method_arn()
}

fn statements(answer: &Value) -> Vec<keyauth::domain::policy::Statement> {
    let response: aws_lambda_events::apigw::ApiGatewayCustomAuthorizerResponse =
        serde_json::from_value(answer.clone()).unwrap();
    statements_of(&response.policy_document)
}

#[tokio::test]
async fn one_read_per_decision_and_no_write_within_the_minute() {
    let store = Counting::new(MemoryStore::new());
    let (_, secret) = create(&store, "user_1", &["products:write"]).await;
    let t0 = now_ms();
    store.counts.reset();
    authorize(&store, rest_event("POST", "/products", Some(&secret)), t0)
        .await
        .unwrap();
    assert_eq!(
        (store.counts.reads(), store.counts.writes()),
        (1, 1),
        "first use records lastUsedAt"
    );
    for dt in [1, 1_000, 59_999] {
        store.counts.reset();
        authorize(
            &store,
            rest_event("POST", "/products", Some(&secret)),
            t0 + dt,
        )
        .await
        .unwrap();
        assert_eq!(
            (store.counts.reads(), store.counts.writes()),
            (1, 0),
            "at +{dt} ms"
        );
    }
    store.counts.reset();
    authorize(
        &store,
        rest_event("POST", "/products", Some(&secret)),
        t0 + 60_000,
    )
    .await
    .unwrap();
    assert_eq!(
        (store.counts.reads(), store.counts.writes()),
        (1, 1),
        "a minute later it writes again"
    );
}

#[tokio::test]
async fn refused_before_any_read_when_the_key_or_event_is_malformed() {
    let store = Counting::new(MemoryStore::new());
    let (_, secret) = create(&store, "user_1", &["products:write"]).await;
    let mut typo = secret.clone();
    typo.replace_range(10..11, if &secret[10..11] == "a" { "b" } else { "a" });
    let test_prefix = KeyPrefix::new("sk_test")
        .unwrap()
        .generate()
        .unwrap()
        .into_inner();
    store.counts.reset();
    for key in [
        None,
        Some(""),
        Some("   "),
        Some(typo.as_str()),
        Some(test_prefix.as_str()),
        Some("Bearer x"),
    ] {
        let result = authorize(&store, rest_event("POST", "/products", key), now_ms()).await;
        assert!(
            matches!(result, Err(AuthorizerError::Unauthorized)),
            "{key:?}: {result:?}"
        );
    }
    let mut bad_arn = rest_event("POST", "/products", Some(&secret));
    bad_arn["methodArn"] = json!("arn:aws:lambda:eu-west-1:1:function:x");
    let result = authorize(&store, bad_arn, now_ms()).await;
    assert!(
        matches!(result, Err(AuthorizerError::UnsupportedEvent(_))),
        "{result:?}"
    );
    assert_eq!(
        store.counts.reads() + store.counts.writes(),
        0,
        "no store call at all"
    );
}

#[tokio::test]
async fn unknown_event_shapes_are_errors_never_allow() {
    let store = MemoryStore::new();
    let (_, secret) = create(&store, "user_1", &["products:write"]).await;
    let token = json!({"type": "TOKEN", "authorizationToken": secret, "methodArn": method_arn("POST", "/products")});
    let mut no_arn = rest_event("POST", "/products", Some(&secret));
    no_arn.as_object_mut().unwrap().remove("methodArn");
    for event in [
        token,
        no_arn,
        json!({}),
        json!([]),
        json!({"version": "1.0", "type": "REQUEST"}),
    ] {
        let result = authorize(&store, event.clone(), now_ms()).await;
        assert!(
            matches!(result, Err(AuthorizerError::UnsupportedEvent(_))),
            "{event}: {result:?}"
        );
        let diagnostic: lambda_runtime::Diagnostic = result.unwrap_err().into();
        assert_ne!(
            diagnostic.error_message, "Unauthorized",
            "a bad event is a 500, not a 401"
        );
    }
    let diagnostic: lambda_runtime::Diagnostic = AuthorizerError::Unauthorized.into();
    assert_eq!(diagnostic.error_message, "Unauthorized");
}

#[tokio::test]
async fn allow_carries_a_flat_context_and_a_policy_for_every_scoped_route() {
    let store = MemoryStore::new();
    let (id, secret) = create(&store, "user_1", &["keys:read", "products:write"]).await;
    // Behind the cache: authorize on one route, then reuse the answer as API Gateway would.
    let cached = AuthorizerSettings::cached(prefix());
    let event = rest_event("GET", "/keys/key_abc", Some(&secret));
    let answer = authorizer::handle(&store, &cached, event, now_ms()).await;
    let answer = serde_json::to_value(answer.unwrap()).unwrap();
    assert_eq!(answer["principalId"], "user_1");
    let context = answer["context"].as_object().unwrap();
    assert!(
        context.values().all(Value::is_string),
        "context is flat strings: {context:?}"
    );
    assert_eq!(context["keyId"], id.as_str());
    assert_eq!(context["scopes"], "keys:read products:write");
    assert_eq!(context["tokenType"], "api_key");
    let policy = statements(&answer);
    for route in &ROUTES {
        let path = route.path.replace("{id}", "key_0000000000000000000009");
        let allowed = policy::allows(&policy, &method_arn(route.method, &path));
        let expected = ["keys:read", "products:write"].contains(&route.scope);
        assert_eq!(allowed, expected, "{} {}", route.method, route.path);
    }
    // The context is what a handler reads back as the caller.
    let fields = serde_json::from_value(answer["context"].clone()).unwrap();
    let caller = keyauth::edge::context::caller_from_context(&fields).unwrap();
    assert_eq!(caller.subject, "user_1");
    // With the cache off each answer serves its own request only: it allows exactly the
    // method ARN called, with the same context.
    let uncached = authorize(
        &store,
        rest_event("GET", "/keys/key_abc", Some(&secret)),
        now_ms(),
    );
    let uncached = uncached.await.unwrap();
    assert_eq!(uncached["context"], answer["context"]);
    let policy = statements(&uncached);
    assert!(policy::allows(&policy, &method_arn("GET", "/keys/key_abc")));
    assert!(!policy::allows(&policy, &method_arn("GET", "/keys")));
    assert!(!policy::allows(
        &policy,
        &method_arn("GET", "/keys/key_other")
    ));
}

#[tokio::test]
async fn a_key_without_scopes_gets_an_explicit_deny() {
    let store = MemoryStore::new();
    let (_, secret) = create(&store, "user_1", &[]).await;
    let answer = authorize(
        &store,
        rest_event("POST", "/products", Some(&secret)),
        now_ms(),
    )
    .await
    .unwrap();
    let policy = statements(&answer);
    assert!(
        ROUTES
            .iter()
            .all(|r| !policy::allows(&policy, &method_arn(r.method, r.path)))
    );
    assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Deny");
}

async fn revocation_is_seen_on_the_next_request(store: &dyn KeyStore) {
    let (id, secret) = create(store, "user_1", &["products:write"]).await;
    let event = || rest_event("POST", "/products", Some(&secret));
    authorize(store, event(), now_ms())
        .await
        .expect("allowed before revoke");
    let id = KeyId::parse(&id).unwrap();
    operations::revoke::revoke_key(
        store,
        &admin(),
        &id,
        Default::default(),
        now_ms(),
        std::time::Instant::now() + std::time::Duration::from_secs(60),
    )
    .await
    .unwrap();
    let result = authorize(store, event(), now_ms()).await;
    assert!(
        matches!(result, Err(AuthorizerError::Unauthorized)),
        "{result:?}"
    );
}

#[tokio::test]
async fn revocation_in_memory() {
    revocation_is_seen_on_the_next_request(&MemoryStore::new()).await;
}

#[tokio::test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
async fn revocation_on_dynamodb() {
    let store = support::dynamo_store().await;
    revocation_is_seen_on_the_next_request(&store).await;
    // Expiry, too, is judged on every read of the stored key.
    let req = CreateKeyRequest {
        name: "expiring".into(),
        subject: Some("user_1".into()),
        scopes: Some(vec!["products:write".into()]),
        seconds_until_expiration: Some(60),
        ..Default::default()
    };
    let new = req.parse(now_ms()).unwrap();
    let created = operations::create::create_key(&store, &prefix(), &admin(), new, now_ms())
        .await
        .unwrap();
    let secret = created.secret.into_inner();
    let event = || rest_event("POST", "/products", Some(&secret));
    let expires = created.key.expiration.unwrap();
    assert!(authorize(&store, event(), expires - 1).await.is_ok());
    let result = authorize(&store, event(), expires).await;
    assert!(
        matches!(result, Err(AuthorizerError::Unauthorized)),
        "{result:?}"
    );
}

#[tokio::test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
async fn store_down_is_an_error_never_allow() {
    let store = support::dead_dynamo_store().await;
    let secret = prefix().generate().unwrap().into_inner();
    let result = authorize(
        &store,
        rest_event("POST", "/products", Some(&secret)),
        now_ms(),
    )
    .await;
    assert!(
        matches!(result, Err(AuthorizerError::Store(_))),
        "{result:?}"
    );
    let diagnostic: lambda_runtime::Diagnostic = result.unwrap_err().into();
    assert_ne!(diagnostic.error_message, "Unauthorized");
    assert!(!diagnostic.error_message.contains(&secret));
    assert!(
        !diagnostic
            .error_message
            .contains(KeyHash::of_secret(&secret).as_str())
    );
}

#[tokio::test]
async fn http_api_answers_per_route() {
    let store = MemoryStore::new();
    let (_, secret) = create(&store, "user_1", &["products:write"]).await;
    let event = |route_key: &str, key: &str| {
        json!({
            "version": "2.0", "type": "REQUEST", "routeArn": format!("{ARN_BASE}:api123/$default/POST/products"),
            "identitySource": [key], "routeKey": route_key, "rawPath": "/products", "rawQueryString": "",
            "headers": {"x-api-key": key}, "requestContext": {"http": {"method": "POST", "path": "/products"}},
        })
    };
    let yes = authorize(&store, event("POST /products", &secret), now_ms())
        .await
        .unwrap();
    assert_eq!(yes["isAuthorized"], true);
    assert_eq!(yes["context"]["subject"], "user_1");
    let no = authorize(&store, event("POST /keys", &secret), now_ms())
        .await
        .unwrap();
    assert_eq!(no["isAuthorized"], false);
    assert_eq!(no["context"], json!({}));
    let unknown_route = authorize(&store, event("GET /elsewhere", &secret), now_ms())
        .await
        .unwrap();
    assert_eq!(unknown_route["isAuthorized"], false);
    // HTTP APIs refuse with `isAuthorized: false`; an error there would be a 500.
    let bad_key = authorize(&store, event("POST /products", "sk_live_nope"), now_ms())
        .await
        .unwrap();
    assert_eq!(bad_key["isAuthorized"], false);
    assert_eq!(bad_key["context"], json!({}));
}

//! The authorizer in front of another API, given its routes document: REST policies and
//! HTTP API decisions follow the document, the identity reaches the handler under the same
//! names on both, and a document it cannot use fails its start.

use super::{ARN_BASE, create, method_arn, rest_event, statements};
use keyauth::domain::clock::now_ms;
use keyauth::edge::authorizer::{self, AuthorizerSettings, ProtectedRoutes, RoutesError};
use keyauth::edge::config::Config;
use keyauth::emulation::policy_evaluation as policy;
use keyauth::store::memory::MemoryStore;
use serde_json::{Value, json};

const ORDERS: &str = include_str!("../../../examples/python-orders/routes.yaml");

fn settings(document: &str, ttl: &str) -> Result<AuthorizerSettings, RoutesError> {
    let config = Config::from_lookup(|name| match name {
        "ROUTES_DOCUMENT" => Some(document.to_owned()),
        "AUTHORIZER_CACHE_TTL" => Some(ttl.to_owned()),
        _ => None,
    })
    .unwrap();
    AuthorizerSettings::of(&config)
}

async fn answer(store: &MemoryStore, settings: &AuthorizerSettings, event: Value) -> Value {
    let answer = authorizer::handle(store, settings, event, now_ms())
        .await
        .unwrap();
    serde_json::to_value(answer).unwrap()
}

#[tokio::test]
async fn a_rest_policy_follows_the_document_and_carries_the_identity() {
    let store = MemoryStore::new();
    let settings = settings(ORDERS, "300").unwrap();
    let (id, reader) = create(&store, "team_a", &["orders:read"]).await;
    let allowed = answer(
        &store,
        &settings,
        rest_event("GET", "/orders/7", Some(&reader)),
    )
    .await;
    let policy = statements(&allowed);
    assert!(policy::allows(&policy, &method_arn("GET", "/orders/7")));
    assert!(policy::allows(&policy, &method_arn("GET", "/orders")));
    // `GET/orders/*` would match the refunds too: the policy denies them explicitly.
    assert!(!policy::allows(
        &policy,
        &method_arn("GET", "/orders/7/refunds")
    ));
    assert!(!policy::allows(&policy, &method_arn("POST", "/orders")));
    assert!(!policy::allows(&policy, &method_arn("GET", "/admin/x")));
    // This API's own routes are not the protected API's.
    assert!(!policy::allows(&policy, &method_arn("GET", "/keys")));
    assert_eq!(allowed["principalId"], "team_a");
    let context = &allowed["context"];
    assert_eq!(context["keyId"], id.as_str());
    assert_eq!(context["subject"], "team_a");
    assert_eq!(context["scopes"], "orders:read");
    assert_eq!(context["claims"], "{}");
    // A key holding none of the document's scopes gets an explicit Deny everywhere.
    let (_, other) = create(&store, "team_b", &["keys:read"]).await;
    let denied = answer(
        &store,
        &settings,
        rest_event("GET", "/orders", Some(&other)),
    )
    .await;
    let policy = statements(&denied);
    assert!(!policy::allows(&policy, &method_arn("GET", "/orders")));
    assert_eq!(
        policy::evaluate(&policy, &method_arn("GET", "/orders")),
        policy::Decision::ExplicitDeny
    );
}

fn http_event(route_key: &str, method: &str, raw_path: &str, key: &str) -> Value {
    json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": format!("{ARN_BASE}:api123/prod/{method}{raw_path}"),
        "identitySource": [key], "routeKey": route_key, "rawPath": raw_path, "rawQueryString": "",
        "headers": {"x-api-key": key},
        "requestContext": {"stage": "prod", "http": {"method": method, "path": raw_path}},
    })
}

#[tokio::test]
async fn an_http_api_is_decided_per_route_key_and_default_by_path() {
    let store = MemoryStore::new();
    let settings = settings(ORDERS, "0").unwrap();
    let (id, reader) = create(&store, "team_a", &["orders:read"]).await;
    let (_, admin) = create(&store, "team_a", &["orders:admin"]).await;
    let decide =
        |route_key: &'static str, method: &'static str, path: &'static str, key: String| {
            let (store, settings) = (&store, &settings);
            async move { answer(store, settings, http_event(route_key, method, path, &key)).await }
        };
    let yes = decide("GET /orders/{id}", "GET", "/prod/orders/7", reader.clone()).await;
    assert_eq!(yes["isAuthorized"], true);
    assert_eq!(yes["context"]["keyId"], id.as_str());
    assert_eq!(yes["context"]["scopes"], "orders:read");
    let refunds = "GET /orders/{id}/refunds";
    let no = decide(refunds, "GET", "/prod/orders/7/refunds", reader.clone()).await;
    assert_eq!(
        (no["isAuthorized"].clone(), no["context"].clone()),
        (json!(false), json!({}))
    );
    let any = decide(
        "ANY /admin/{proxy+}",
        "DELETE",
        "/prod/admin/a/b",
        admin.clone(),
    )
    .await;
    assert_eq!(any["isAuthorized"], true);
    let unknown = decide("GET /elsewhere", "GET", "/prod/elsewhere", admin.clone()).await;
    assert_eq!(unknown["isAuthorized"], false);
    // `$default`: the request's own method and path (the stage taken off) decide.
    let by_path = decide("$default", "GET", "/prod/orders/7", reader.clone()).await;
    assert_eq!(by_path["isAuthorized"], true);
    let deeper = decide("$default", "GET", "/prod/orders/7/refunds", reader.clone()).await;
    assert_eq!(deeper["isAuthorized"], false);
    let admin_tail = decide("$default", "PUT", "/prod/admin/x", admin.clone()).await;
    assert_eq!(admin_tail["isAuthorized"], true);
    let outside = decide("$default", "GET", "/prod/nowhere", admin).await;
    assert_eq!(outside["isAuthorized"], false);
}

#[test]
fn a_document_it_cannot_use_fails_the_start() {
    let unreadable = settings("routes: [{method: GET}]", "0").unwrap_err();
    assert!(
        unreadable.to_string().contains("missing field `path`"),
        "{unreadable}"
    );
    let bad_scope = settings("routes:\n  - {method: GET, path: /a, scope: A B}\n", "0");
    assert!(
        bad_scope
            .unwrap_err()
            .to_string()
            .contains("route 1 (GET /a)")
    );
    // Routes no cached policy separates: refused behind the cache, answered per request
    // without it.
    let conflicting = "routes:
  - {method: ANY, path: '/{proxy+}',            scope: app}
  - {method: GET, path: '/orders/{id}',         scope: orders}
  - {method: GET, path: '/orders/{id}/refunds', scope: app}
";
    let cached = settings(conflicting, "300").unwrap_err();
    assert!(matches!(cached, RoutesError::CachedConflict(_)));
    assert!(
        cached.to_string().contains("AUTHORIZER_CACHE_TTL=0"),
        "{cached}"
    );
    assert!(settings(conflicting, "0").is_ok());
    // Unset, the authorizer enforces this API's own routes.
    let own = settings("", "0").unwrap();
    assert_eq!(
        own.routes.table().routes().len(),
        ProtectedRoutes::own_api(false).table().routes().len()
    );
}

#[tokio::test]
async fn a_conflicting_document_without_the_cache_answers_each_request_alone() {
    let store = MemoryStore::new();
    let settings = settings(
        "routes:
  - {method: ANY, path: '/{proxy+}',            scope: app}
  - {method: GET, path: '/orders/{id}',         scope: orders}
  - {method: GET, path: '/orders/{id}/refunds', scope: app}
",
        "0",
    )
    .unwrap();
    let (_, key) = create(&store, "team_a", &["app"]).await;
    for (path, allowed) in [
        ("/orders/7/refunds", true),
        ("/orders/7", false),
        ("/x/y", true),
    ] {
        let answer = answer(&store, &settings, rest_event("GET", path, Some(&key))).await;
        let policy = statements(&answer);
        assert_eq!(
            policy::allows(&policy, &method_arn("GET", path)),
            allowed,
            "{path}"
        );
    }
}

//! The REST policy means exactly the routes document: over generated documents, keys and
//! concrete requests, the policy the authorizer renders, evaluated as API Gateway does
//! (`*` spans `/`, an explicit Deny wins), allows a request exactly when the document's
//! router gives it to a route the key's scopes grant.

use keyauth::domain::policy::MethodArn;
use keyauth::domain::routes::table::RouteTable;
use keyauth::edge::authorizer::ProtectedRoutes;
use keyauth::emulation::policy_evaluation::{allows, statements_of};
use proptest::prelude::*;
use serde_json::json;

const STAGE: &str = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod";
const SCOPES: [&str; 3] = ["s1", "s2", "s3"];
const LITERALS: [&str; 3] = ["a", "b", "c"];

/// A path of up to four segments over a small vocabulary, so routes overlap often. A
/// parameter is named by its depth, as siblings must share a name.
fn path() -> impl Strategy<Value = String> {
    (prop::collection::vec(0..5usize, 0..4), any::<bool>()).prop_map(|(kinds, greedy_tail)| {
        let mut path = String::new();
        for (depth, kind) in kinds.iter().enumerate() {
            path.push('/');
            match kind {
                0..=2 => path.push_str(LITERALS[*kind]),
                _ if greedy_tail && depth + 1 == kinds.len() => {
                    path.push_str(&format!("{{g{depth}+}}"))
                }
                _ => path.push_str(&format!("{{p{depth}}}")),
            }
        }
        if path.is_empty() {
            "/".to_owned()
        } else {
            path
        }
    })
}

fn route() -> impl Strategy<Value = serde_json::Value> {
    (
        prop::sample::select(vec!["GET", "POST", "ANY"]),
        path(),
        prop::sample::select(SCOPES.to_vec()),
    )
        .prop_map(|(method, path, scope)| json!({"method": method, "path": path, "scope": scope}))
}

/// A document the loader takes (duplicates and paths API Gateway cannot tell apart are
/// refused, and skipped here).
fn table() -> impl Strategy<Value = RouteTable> {
    prop::collection::vec(route(), 1..9).prop_filter_map("a valid document", |routes| {
        RouteTable::parse(&json!({ "routes": routes }).to_string()).ok()
    })
}

/// Concrete requests: segments from the vocabulary, a value no literal equals, and one
/// with characters a pattern could mistake for its own.
fn request() -> impl Strategy<Value = (&'static str, String)> {
    let segment = prop::sample::select(vec!["a", "b", "c", "x1", "a*b", "ab"]);
    (
        prop::sample::select(vec!["GET", "POST", "PUT"]),
        prop::collection::vec(segment, 0..6),
    )
        .prop_map(|(method, segments)| (method, format!("/{}", segments.join("/"))))
}

fn held() -> impl Strategy<Value = Vec<String>> {
    prop::sample::subsequence(SCOPES.to_vec(), 0..=3)
        .prop_map(|s| s.into_iter().map(str::to_owned).collect())
}

fn method_arn(method: &str, path: &str) -> String {
    format!("{STAGE}/{method}/{}", path.trim_start_matches('/'))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Cached (one policy per grant, reused on every route) where the document allows it;
    /// answered per request where it does not; either way the policy decides as the router.
    #[test]
    fn the_policy_decides_every_routed_request_as_the_router(
        table in table(),
        held in held(),
        first in request(),
        requests in prop::collection::vec(request(), 1..40),
    ) {
        let per_grant = ProtectedRoutes::new(table.clone(), true);
        let routes = match per_grant {
            Ok(routes) => routes,
            // A conflicting document is only taken uncached, answered per request.
            Err(_) => ProtectedRoutes::new(table.clone(), false).unwrap(),
        };
        let cached = ProtectedRoutes::new(table.clone(), true).is_ok();
        // Behind the cache, the policy made for the first request decides all the others.
        let first_arn = method_arn(first.0, &first.1);
        let cached_policy = statements_of(&serde_json::from_str(
            routes.policy(&held, &MethodArn::parse(&first_arn).unwrap()).get(),
        ).unwrap());
        for (method, path) in requests.iter().chain([&first]) {
            // A path no route takes never reaches the authorizer: API Gateway has no
            // resource for it.
            let Some(route) = table.find(method, path) else { continue };
            let expected = held.iter().any(|s| s == table.route(route).scope.as_str());
            let arn = method_arn(method, path);
            let policy = if cached {
                cached_policy.clone()
            } else {
                let own = routes.policy(&held, &MethodArn::parse(&arn).unwrap());
                statements_of(&serde_json::from_str(own.get()).unwrap())
            };
            prop_assert_eq!(
                allows(&policy, &arn), expected,
                "{} {} on route {} for {:?}; policy {:?}",
                method, path, table.route(route), held, policy
            );
        }
    }
}

/// The issue's own example: a reader's cached policy, made on `GET /orders`, still keeps
/// it off the refunds and the admin tail; an admin's still keeps it off the orders.
#[test]
fn the_example_document_under_the_cache() {
    let table =
        RouteTable::parse(include_str!("../../examples/python-orders/routes.yaml")).unwrap();
    let routes = ProtectedRoutes::new(table, true).unwrap();
    let policy = |held: &[&str]| {
        let held: Vec<String> = held.iter().map(|s| s.to_string()).collect();
        let arn = method_arn("GET", "/orders");
        let rendered = routes.policy(&held, &MethodArn::parse(&arn).unwrap());
        statements_of(&serde_json::from_str(rendered.get()).unwrap())
    };
    let reader = policy(&["orders:read"]);
    assert!(allows(&reader, &method_arn("GET", "/orders/1")));
    assert!(!allows(&reader, &method_arn("GET", "/orders/1/refunds")));
    assert!(!allows(&reader, &method_arn("POST", "/orders")));
    assert!(!allows(&reader, &method_arn("GET", "/admin/x")));
    let admin = policy(&["orders:admin"]);
    assert!(allows(&admin, &method_arn("GET", "/orders/1/refunds")));
    assert!(allows(&admin, &method_arn("DELETE", "/admin/users/7")));
    assert!(!allows(&admin, &method_arn("GET", "/orders/1")));
    assert!(!allows(&admin, &method_arn("GET", "/orders")));
}

/// 300 routes (API Gateway's default quota of resources per REST API), `GET`, `POST` and
/// a parameter route on 100 resources: the policy of a key allowed every route, and of a
/// key allowed one service, as API Gateway receives them.
#[test]
fn policy_size_for_300_routes() {
    let routes: Vec<_> = (0..100)
        .flat_map(|i| {
            let scope = format!("svc{}:use", i % 10);
            [
                json!({"method": "GET", "path": format!("/svc{i}/items"), "scope": scope}),
                json!({"method": "POST", "path": format!("/svc{i}/items"), "scope": scope}),
                json!({"method": "GET", "path": format!("/svc{i}/items/{{id}}"), "scope": scope}),
            ]
        })
        .collect();
    let table = RouteTable::parse(&json!({ "routes": routes }).to_string()).unwrap();
    let routes = ProtectedRoutes::new(table, true).unwrap();
    let arn = format!("{STAGE}/GET/svc1/items");
    let arn = MethodArn::parse(&arn).unwrap();
    let everything: Vec<String> = (0..10).map(|i| format!("svc{i}:use")).collect();
    let all = routes.policy(&everything, &arn).get().len();
    let one = routes.policy(&everything[..1], &arn).get().len();
    println!("policy for 300 routes: {all} bytes allowed all, {one} bytes allowed one tenth");
    // One ARN (about 70 bytes with its quotes) per route, and nothing per request.
    assert!(all < 300 * 90, "{all} bytes");
    assert!(one < all / 8, "{one} of {all} bytes");
}

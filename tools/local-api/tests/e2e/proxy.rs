//! The local server in front of a user's own service (`--routes`, `--upstream`), as API
//! Gateway's HTTP proxy integration with the authorizer: a stand-in service records what
//! reaches it, so a refused request is seen never to arrive.

use crate::{Server, code};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use keyauth::edge::authorizer::ProtectedRoutes;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The service the server forwards to.
pub struct Upstream {
    pub routes: ProtectedRoutes,
    pub url: String,
    pub timeout: Duration,
}

/// The example orders API, with a slow route and one that redirects.
const ROUTES: &str = concat!(
    include_str!("../../../../examples/python-orders/routes.yaml"),
    "  - {method: GET, path: '/slow/{id}', scope: orders:read}\n",
    "  - {method: GET, path: /moved,      scope: orders:read}\n",
);

/// A service that answers 201 with what it received, counting every request.
async fn stand_in() -> (String, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let app = axum::Router::new().fallback(move |request: Request| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            let (parts, body) = request.into_parts();
            if parts.uri.path().starts_with("/slow/") {
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            if parts.uri.path() == "/moved" {
                return (StatusCode::FOUND, [("location", "/orders")], String::new())
                    .into_response();
            }
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            // Every value of a header, so a header sent twice shows twice.
            let headers: serde_json::Map<String, Value> = parts
                .headers
                .keys()
                .map(|k| {
                    let values: Vec<&str> = parts
                        .headers
                        .get_all(k)
                        .iter()
                        .map(|v| v.to_str().unwrap())
                        .collect();
                    (k.to_string(), json!(values.join(", ")))
                })
                .collect();
            let seen = json!({
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "query": parts.uri.query(),
                "headers": headers,
                "body": String::from_utf8_lossy(&body),
            });
            let mut answer_headers = HeaderMap::new();
            answer_headers.insert("x-upstream", "orders-service".parse().unwrap());
            (StatusCode::CREATED, answer_headers, seen.to_string()).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

pub fn upstream(url: &str) -> Upstream {
    Upstream {
        routes: ProtectedRoutes::load(ROUTES, false).unwrap(),
        url: url.to_owned(),
        timeout: Duration::from_secs(1),
    }
}

/// What the service saw of a request, as it answered it.
async fn through(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Value) {
    let mut request = server
        .client
        .request(method.parse().unwrap(), format!("{}{path}", server.url))
        .body("the body, unchanged");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = request.send().await.unwrap();
    let (status, headers) = (answer.status(), answer.headers().clone());
    let body = answer.text().await.unwrap();
    let json = serde_json::from_str(&body).unwrap_or(Value::Null);
    (status, headers, json)
}

pub async fn the_service_sees_only_allowed_requests_with_the_identity(
    start: impl AsyncFnOnce(Upstream) -> Server,
) {
    let (url, seen) = stand_in().await;
    let server = start(upstream(&url)).await;
    // The start-up admin key holds the document's scopes: it mints a reader at once.
    let (id, reader) = server.key("team_a", &["orders:read"], json!({})).await;
    let forged = [
        ("x-api-key", reader.as_str()),
        ("x-keyauth-subject", "admin"),
        ("x-custom", "1"),
    ];
    let (status, headers, what) = through(&server, "GET", "/orders/7?a=1&b=x%20y", &forged).await;
    assert_eq!(status, 201, "{what}");
    assert_eq!(headers["x-upstream"], "orders-service");
    assert_eq!(what["method"], "GET");
    assert_eq!(what["path"], "/orders/7");
    assert_eq!(what["query"], "a=1&b=x%20y");
    assert_eq!(what["body"], "the body, unchanged");
    let got = &what["headers"];
    assert_eq!(got["x-keyauth-key-id"], id.as_str());
    assert_eq!(
        got["x-keyauth-subject"], "team_a",
        "the client's own is replaced"
    );
    assert_eq!(got["x-keyauth-scopes"], "orders:read");
    assert_eq!(got["x-keyauth-claims"], "{}");
    assert_eq!(got["x-custom"], "1");
    assert!(
        got.get("x-api-key").is_none(),
        "the secret is not forwarded: {got}"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 1);

    // Refusals never reach the service, with API Gateway's statuses and our codes.
    let key = |k: &'static str| [("x-api-key", k)];
    let unknown = "sk_live_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa000000";
    for (method, path, headers, status, error) in [
        ("POST", "/orders", &key_ref(&reader)[..], 403, "forbidden"),
        (
            "GET",
            "/orders/7/refunds",
            &key_ref(&reader)[..],
            403,
            "forbidden",
        ),
        ("GET", "/admin/x", &key_ref(&reader)[..], 403, "forbidden"),
        ("GET", "/orders", &[][..], 401, "unauthorized"),
        ("GET", "/orders", &key(unknown)[..], 401, "unauthorized"),
        ("GET", "/orders", &key("not a key")[..], 401, "unauthorized"),
        ("GET", "/elsewhere", &key_ref(&reader)[..], 404, "not_found"),
    ] {
        let (got, _, body) = through(&server, method, path, headers).await;
        assert_eq!(
            (got.as_u16(), code(&body)),
            (status, error),
            "{method} {path}"
        );
    }
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "no refused request reached the service"
    );

    // The server's own routes keep working beside the document's.
    let (status, _) = server.send("GET", "/keys", Some(&server.admin), None).await;
    assert_eq!(status, 200);

    // A redirect is handed back, not followed.
    let not_following = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let moved = not_following
        .get(format!("{}/moved", server.url))
        .header("x-api-key", &reader)
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 302);
    assert_eq!(moved.headers()["location"], "/orders");
    assert_eq!(seen.load(Ordering::SeqCst), 2);

    // A slow service is a 504; a revoked key is refused at once.
    let (status, _, body) = through(&server, "GET", "/slow/1", &key_ref(&reader)).await;
    assert_eq!((status.as_u16(), code(&body)), (504, "gateway_timeout"));
    let (status, _) = server
        .send(
            "POST",
            &format!("/keys/{id}/revoke"),
            Some(&server.admin),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _, _) = through(&server, "GET", "/orders/7", &key_ref(&reader)).await;
    assert_eq!(status, 401);
}

fn key_ref(secret: &str) -> [(&'static str, &str); 1] {
    [("x-api-key", secret)]
}

/// A key's credits count the service's requests too: the third of two is refused.
pub async fn limits_hold_in_front_of_the_service(start: impl AsyncFnOnce(Upstream) -> Server) {
    let (url, seen) = stand_in().await;
    let server = start(upstream(&url)).await;
    let (_, limited) = server
        .key(
            "team_a",
            &["orders:read"],
            json!({"credits": {"remaining": 2}}),
        )
        .await;
    for expected in [201, 201, 403] {
        let (status, _, body) = through(&server, "GET", "/orders", &key_ref(&limited)).await;
        assert_eq!(status.as_u16(), expected, "{body}");
        if expected == 403 {
            assert_eq!(code(&body), "usage_exceeded");
        }
    }
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

/// A service that cannot be reached is a 502 with a JSON body.
pub async fn an_unreachable_service_is_a_bad_gateway(start: impl AsyncFnOnce(Upstream) -> Server) {
    // A port just freed: nothing listens there.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let server = start(upstream(&url)).await;
    let (_, reader) = server.key("team_a", &["orders:read"], json!({})).await;
    let (status, _, body) = through(&server, "GET", "/orders", &key_ref(&reader)).await;
    assert_eq!((status.as_u16(), code(&body)), (502, "bad_gateway"));
}

/// In front of a service of the user's (`--routes`, `--upstream`), in memory and on moto.
mod runs {
    use super::{self as proxy, Upstream};

    async fn memory(upstream: Upstream) -> crate::Server {
        let memory = std::sync::Arc::new(crate::MemoryStore::new());
        let ttl = std::time::Duration::ZERO;
        crate::start_with(
            crate::Config::from_lookup(|_| None).unwrap(),
            memory.clone(),
            None,
            Some(memory),
            ttl,
            None,
            Some(upstream),
        )
        .await
    }

    async fn dynamodb(upstream: Upstream) -> crate::Server {
        crate::dynamo_server_full(std::time::Duration::ZERO, None, Some(upstream)).await
    }

    #[tokio::test]
    async fn service_in_memory() {
        proxy::the_service_sees_only_allowed_requests_with_the_identity(memory).await;
    }

    #[tokio::test]
    #[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
    async fn service_on_dynamodb() {
        proxy::the_service_sees_only_allowed_requests_with_the_identity(dynamodb).await;
    }

    #[tokio::test]
    async fn limits_in_memory() {
        proxy::limits_hold_in_front_of_the_service(memory).await;
    }

    #[tokio::test]
    #[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
    async fn limits_on_dynamodb() {
        proxy::limits_hold_in_front_of_the_service(dynamodb).await;
    }

    #[tokio::test]
    async fn unreachable_service() {
        proxy::an_unreachable_service_is_a_bad_gateway(memory).await;
    }
}

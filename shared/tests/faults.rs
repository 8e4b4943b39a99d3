//! Store faults: a fault-injecting proxy between the code and moto's DynamoDB, injecting
//! each kind for a stated number of requests. While it injects, the authorizer never
//! allows, handlers answer 503 `unavailable` with `Retry-After` (never 500), nothing is
//! written in part; when it stops, the same calls succeed. Each kind prints its report.

mod support;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use keyauth::domain::audit::EventType;
use keyauth::edge::authorizer;
use keyauth::edge::config::Config;
use keyauth::edge::handlers;
use keyauth::emulation::events::GatewayRequest;
use keyauth::store::dynamo::{DynamoStore, sdk_config};
use keyauth::store::{EventLister, EventQuery, KeyLister, ListFilter, ListQuery};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

/// What the proxy does to the requests it injects into.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// 400 `ProvisionedThroughputExceededException`.
    ProvisionedThroughput,
    /// 400 `ThrottlingException`.
    Throttling,
    /// 500 `InternalServerError`.
    Internal,
    /// The answer comes after the SDK's timeouts.
    Latency,
    /// The request is forwarded, and the answer cut off after half its body.
    Truncated,
    /// The connection is closed with no answer.
    Reset,
}

/// The proxy's state: how many requests still get `fault`, and how many did.
struct Injector {
    fault: Fault,
    remaining: usize,
    injected: usize,
}

struct Proxy {
    url: String,
    state: Arc<Mutex<Injector>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let state = Arc::new(Mutex::new(Injector {
            fault: Fault::Internal,
            remaining: 0,
            injected: 0,
        }));
        let http = reqwest::Client::new();
        let shared = state.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (state, http, upstream) = (shared.clone(), http.clone(), upstream.clone());
                async move {
                    let fault = {
                        let mut s = state.lock().unwrap();
                        if s.remaining > 0 {
                            s.remaining -= 1;
                            s.injected += 1;
                            Some(s.fault)
                        } else {
                            None
                        }
                    };
                    forward_or_fail(fault, &http, &upstream, method, uri, headers, body).await
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, state }
    }

    fn inject(&self, fault: Fault, requests: usize) {
        let mut s = self.state.lock().unwrap();
        (s.fault, s.remaining, s.injected) = (fault, requests, 0);
    }

    fn injected(&self) -> usize {
        self.state.lock().unwrap().injected
    }

    fn stop(&self) {
        self.state.lock().unwrap().remaining = 0;
    }
}

fn dynamodb_error(status: StatusCode, kind: &str) -> axum::response::Response {
    let body = json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"), "message": "injected"});
    axum::response::Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn forward_or_fail(
    fault: Option<Fault>,
    http: &reqwest::Client,
    upstream: &str,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    match fault {
        Some(Fault::ProvisionedThroughput) => {
            return dynamodb_error(
                StatusCode::BAD_REQUEST,
                "ProvisionedThroughputExceededException",
            );
        }
        Some(Fault::Throttling) => {
            return dynamodb_error(StatusCode::BAD_REQUEST, "ThrottlingException");
        }
        Some(Fault::Internal) => {
            return dynamodb_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError");
        }
        // Past the SDK's per-attempt timeout (2 s) and within the proxy's own patience.
        Some(Fault::Latency) => tokio::time::sleep(Duration::from_millis(2_500)).await,
        // A body that fails at once: the server drops the connection without an answer.
        Some(Fault::Reset) => {
            let failing = futures::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("injected reset"))
            });
            return axum::response::Response::builder()
                .header("content-length", "100")
                .body(Body::from_stream(failing))
                .unwrap();
        }
        Some(Fault::Truncated) | None => {}
    }
    let mut request = http.request(method, format!("{upstream}{uri}")).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let answer = request.send().await.unwrap();
    let status = answer.status();
    let content_type = answer.headers().get("content-type").cloned();
    let bytes = answer.bytes().await.unwrap();
    let mut response = axum::response::Response::builder().status(status.as_u16());
    if let Some(content_type) = content_type {
        response = response.header("content-type", content_type);
    }
    if fault == Some(Fault::Truncated) {
        // Declares the whole length, sends half, then fails: the answer is cut off.
        let half = bytes.slice(..bytes.len() / 2);
        let stream =
            futures::stream::iter([Ok(half), Err(std::io::Error::other("injected truncation"))]);
        return response
            .header("content-length", bytes.len().to_string())
            .body(Body::from_stream(stream))
            .unwrap();
    }
    response.body(Body::from(bytes)).unwrap()
}

/// Fresh tables of moto: a store reached through the proxy, and one reaching them directly
/// (to judge what was written).
async fn stores_behind(proxy: &Proxy) -> (DynamoStore, DynamoStore) {
    let direct = support::dynamo_store().await;
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await)
        .endpoint_url(&proxy.url)
        .build();
    let proxied = DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        direct.tables().clone(),
    );
    (proxied, direct)
}

fn caller() -> Value {
    json!({
        "principalId": "user_f", "keyId": "key_0TestCallerKey0000000001", "subject": "user_f",
        "scopes": "keys:read keys:write keys:verify products:write", "claims": "{}",
        "tokenType": "api_key", "expiration": ""
    })
}

async fn create_key(store: &DynamoStore, config: &Config, name: &str) -> (u16, HeaderMap, Value) {
    let req = GatewayRequest::new("POST", "/keys")
        .header("content-type", "application/json")
        .body(json!({"name": name}).to_string())
        .proxy_request(Some(caller()))
        .unwrap();
    let response = handlers::manage_keys(store, config, req).await;
    let (parts, body) = response.into_parts();
    let body: Value = serde_json::from_slice(body.as_ref()).unwrap();
    (parts.status.as_u16(), parts.headers, body)
}

/// Keys named `name`, and how many of them lack their `created` event: a create is one
/// transaction, so that must be none.
async fn written(direct: &DynamoStore, name: &str) -> (usize, usize) {
    let query = ListQuery {
        limit: 100,
        cursor: None,
        filter: ListFilter {
            name_contains: None,
            created_by: None,
            include_invalid: true,
            now: keyauth::domain::clock::now_ms(),
        },
    };
    let page = direct.list_by_subject("user_f", &query).await.unwrap();
    let mut keys = 0;
    let mut partial = 0;
    for key in page.items.iter().filter(|k| k.name == name) {
        keys += 1;
        let events = EventQuery {
            limit: 10,
            cursor: None,
            now: 0,
        };
        let events = direct.list_events(&key.id, &events).await.unwrap().items;
        partial += usize::from(!events.iter().any(|e| e.kind == EventType::Created));
    }
    (keys, partial)
}

/// Every kind, injected into 3 requests (the SDK's three attempts of one call): one create,
/// one authorization while it lasts; then the same once it stops.
#[tokio::test]
#[ignore = "needs moto's DynamoDB server; scripts/test provides it"]
async fn every_fault_kind_fails_closed_and_recovers() {
    let proxy = Proxy::start(support::require_endpoint()).await;
    let (store, direct) = stores_behind(&proxy).await;
    let config = Config::from_lookup(|_| None).unwrap();
    // A live key the authorizer is asked about during the faults.
    let (status, _, live) = create_key(&store, &config, "live").await;
    assert_eq!(status, 201, "{live}");
    let secret = live["secret"].as_str().unwrap().to_owned();
    println!(
        "fault                   injected  allows  handler answers          partial writes  recovered"
    );
    for fault in [
        Fault::ProvisionedThroughput,
        Fault::Throttling,
        Fault::Internal,
        Fault::Latency,
        Fault::Truncated,
        Fault::Reset,
    ] {
        let name = format!("during {fault:?}");
        proxy.inject(fault, 3);
        let (status, headers, body) = create_key(&store, &config, &name).await;
        let mut injected = proxy.injected();
        proxy.inject(fault, 3);
        let event = GatewayRequest::new("POST", "/products")
            .header("x-api-key", &secret)
            .authorizer_event();
        let decision = authorizer::handle(
            &store,
            &keyauth::edge::authorizer::AuthorizerSettings::of(&config).unwrap(),
            event,
            keyauth::domain::clock::now_ms(),
        )
        .await;
        injected += proxy.injected();
        proxy.stop();

        assert!(
            decision.is_err(),
            "{fault:?}: the authorizer allowed: {decision:?}"
        );
        let retry_after = headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if fault == Fault::Latency {
            // A delayed request could still reach DynamoDB after the SDK gave up on it.
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        let (keys, partial) = written(&direct, &name).await;
        if status == 201 {
            assert_eq!(keys, 1, "{fault:?}: a 201 stores its key once");
        }
        // Recovery: the same calls succeed once the proxy forwards again.
        let (after, _, _) = create_key(&store, &config, &format!("after {fault:?}")).await;
        let event = GatewayRequest::new("POST", "/products")
            .header("x-api-key", &secret)
            .authorizer_event();
        let allowed = authorizer::handle(
            &store,
            &keyauth::edge::authorizer::AuthorizerSettings::of(&config).unwrap(),
            event,
            keyauth::domain::clock::now_ms(),
        )
        .await;
        println!(
            "{:<22} {:>9} {:>7}  {:<24} {:>14}  {}  (keys written: {keys})",
            format!("{fault:?}"),
            injected,
            0,
            format!(
                "{status} {} retry-after {retry_after}",
                body["error"]["code"].as_str().unwrap_or("")
            ),
            partial,
            if after == 201 && allowed.is_ok() {
                "yes"
            } else {
                "no"
            }
        );
        match fault {
            // A truncated answer to a write that DynamoDB applied: either the SDK's retry
            // (the transaction's idempotency token) succeeds, or the caller gets a 503.
            Fault::Truncated if status == 201 => {}
            _ => {
                assert_eq!(status, 503, "{fault:?}: {body}");
                assert_eq!(body["error"]["code"], "unavailable", "{fault:?}");
                assert_eq!(retry_after, "1", "{fault:?}");
            }
        }
        assert_eq!(partial, 0, "{fault:?}: a partial write");
        assert_eq!(after, 201, "{fault:?}: no recovery");
        assert!(allowed.is_ok(), "{fault:?}: no recovery: {allowed:?}");
    }
}

//! A stand-in for API Gateway's management endpoint on loopback: it records what it
//! receives and answers with the status a test sets.

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use keyauth::edge::cache_flush::ApiGatewayStage;
use keyauth::store::dynamo::sdk_config;
use serde_json::json;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

/// What the stand-in endpoint received: method, path, and the SigV4 credential scope
/// (region and service).
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub method: Method,
    pub path: String,
    pub scope: Option<String>,
}

/// A stand-in for API Gateway's management endpoint: answers every request with
/// `status` (and the error's name, as API Gateway does) and records it.
#[derive(Clone)]
pub struct Gateway {
    received: Arc<Mutex<Vec<Received>>>,
    pub status: Arc<AtomicU16>,
    url: String,
}

impl Gateway {
    pub async fn start() -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(202));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (log, answer) = (received.clone(), status.clone());
        let app =
            axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
                let (log, answer) = (log.clone(), answer.clone());
                async move {
                    let scope = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.split("Credential=").nth(1))
                        .and_then(|v| v.split(',').next())
                        // key id / date / region / service / aws4_request
                        .map(|credential| {
                            credential.split('/').skip(2).collect::<Vec<_>>().join("/")
                        });
                    log.lock().unwrap().push(Received {
                        method,
                        path: uri.path().to_owned(),
                        scope,
                    });
                    let status = StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap();
                    // API Gateway names its errors in this header; the SDK retries by name.
                    let error_type = match status.as_u16() {
                        404 => "NotFoundException",
                        429 => "TooManyRequestsException",
                        _ => "",
                    };
                    let headers = [("x-amzn-errortype", error_type)];
                    (status, headers, axum::Json(json!({"message": "stand-in"})))
                }
            });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            received,
            status,
            url,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The stage `prod` of REST API `abc123`, through the SDK's client with the tests'
    /// configuration (own credentials and region, so it runs anywhere), at this endpoint.
    pub async fn stage(&self) -> ApiGatewayStage {
        use aws_sdk_apigateway::config::{Builder, Credentials, Region};
        let config = Builder::from(&sdk_config().await)
            .credentials_provider(Credentials::new("local", "local", None, None, "test"))
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .build();
        let client = aws_sdk_apigateway::Client::from_conf(config);
        ApiGatewayStage::rest(client, "abc123".into(), "prod".into())
    }

    /// The stage `prod` of HTTP API `abc123`, the same way.
    pub async fn http_stage(&self) -> ApiGatewayStage {
        use aws_sdk_apigatewayv2::config::{Builder, Credentials, Region};
        let config = Builder::from(&sdk_config().await)
            .credentials_provider(Credentials::new("local", "local", None, None, "test"))
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .build();
        let client = aws_sdk_apigatewayv2::Client::from_conf(config);
        ApiGatewayStage::http(client, "abc123".into(), "prod".into())
    }
}

/// The one call a flush of the REST API's stage makes.
pub fn flush_call() -> (Method, &'static str) {
    (
        Method::DELETE,
        "/restapis/abc123/stages/prod/cache/authorizers",
    )
}

/// The one call a flush of the HTTP API's stage makes (ResetAuthorizersCache).
pub fn reset_call() -> (Method, &'static str) {
    (
        Method::DELETE,
        "/v2/apis/abc123/stages/prod/cache/authorizers",
    )
}

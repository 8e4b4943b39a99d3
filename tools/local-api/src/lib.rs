//! A local stand-in for API Gateway in front of the real code.
//!
//! For every request it does what the deployed REST API does: find the route (404 when
//! there is none), build the REST `REQUEST` authorizer event, run the real authorizer,
//! evaluate the returned policy against the request's method ARN (401/403/500 with the
//! bodies `template.yaml` configures), then hand the authorizer context to the real
//! function through a REST proxy event and return its response. The authorizer cache is
//! off by default (TTL 0, the template's default), so every request is authorized afresh;
//! [`LocalApi::with_authorizer_cache`] turns on the emulation of API Gateway's cache.

pub mod authorizer_cache;
pub mod cascades;
mod gate;
pub mod serve;
pub mod upstream;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, Response, StatusCode};
use gate::Gate;
use keyauth::domain::routes::{Endpoint, Function};
use keyauth::edge::authorizer::{AuthorizerSettings, ProtectedRoutes};
use keyauth::edge::config::Config;
use keyauth::edge::handlers;
use keyauth::edge::leaks::{self, DEFAULT_KEYS_URL, SigningKeys};
use keyauth::emulation::events::GatewayRequest;
use keyauth::emulation::gateway_responses::{self as gateway, GatewayResponse};
use keyauth::store::Store;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use upstream::Upstream;

/// API Gateway's own payload limit (10 MB); the functions refuse far less.
const MAX_GATEWAY_PAYLOAD: usize = 10 * 1024 * 1024;

/// The API on localhost: the real authorizer and handlers behind an emulated API Gateway.
#[derive(Clone)]
pub struct LocalApi {
    store: Arc<dyn Store>,
    config: Arc<Config>,
    /// The authorizer of this API's own routes.
    own: Gate,
    /// A service behind a routes document (`--routes`, `--upstream`), if any.
    upstream: Option<Arc<Upstream>>,
    cache_ttl: Duration,
    signing_keys: Arc<SigningKeys>,
    /// Told when a request may have handed a cascade on.
    handed_on: Arc<Notify>,
}

/// The authorizer's settings for this API's own routes.
fn own_authorizer(config: &Config) -> AuthorizerSettings {
    let cached = config.authorizer_cache_ttl > 0;
    AuthorizerSettings {
        prefix: config.key_prefix.clone(),
        cached,
        routes: Arc::new(ProtectedRoutes::own_api(cached)),
    }
}

impl LocalApi {
    /// Serves `store` with `config`.
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        Self {
            store,
            own: Gate::new(own_authorizer(&config), Duration::ZERO),
            config: Arc::new(config),
            upstream: None,
            cache_ttl: Duration::ZERO,
            signing_keys: Arc::new(
                SigningKeys::new(DEFAULT_KEYS_URL).expect("the default keys URL is valid"),
            ),
            handed_on: Arc::new(Notify::new()),
        }
    }

    /// Checks leak reports (`POST /secret-scanning/github`) against these signing keys.
    pub fn with_signing_keys(mut self, keys: SigningKeys) -> Self {
        self.signing_keys = Arc::new(keys);
        self
    }

    /// Caches the authorizer's policies for `ttl`, as API Gateway does with
    /// `AuthorizerCacheTtl` (zero: off), flushing them when a key is revoked, updated or
    /// rerolled. Call it before [`LocalApi::with_upstream`].
    pub fn with_authorizer_cache(mut self, ttl: Duration) -> Self {
        // As the template tells manage-keys: limits cannot hold behind a cache.
        let mut config = (*self.config).clone();
        config.authorizer_cache_ttl = ttl.as_secs();
        self.own = Gate::new(own_authorizer(&config), ttl);
        self.config = Arc::new(config);
        self.cache_ttl = ttl;
        self
    }

    /// Serves `routes` in front of the HTTP service at `url`, as API Gateway's HTTP proxy
    /// integration with this authorizer would, beside this API's own routes: a request the
    /// authorizer refuses never reaches it; one it allows is forwarded unchanged but for
    /// `x-api-key`, with the identity in the `x-keyauth-*` headers. The service gets
    /// `timeout` to answer (504 after it; 502 when it cannot be reached).
    pub fn with_upstream(mut self, routes: ProtectedRoutes, url: &str, timeout: Duration) -> Self {
        let settings = AuthorizerSettings {
            routes: Arc::new(routes),
            ..own_authorizer(&self.config)
        };
        let gate = Gate::new(settings, self.cache_ttl);
        self.upstream = Some(Arc::new(Upstream::new(gate, url, timeout)));
        self
    }

    /// An axum router that sends every request through [`LocalApi::handle`].
    pub fn router(self) -> Router {
        Router::new().fallback(move |req: Request<Body>| {
            let api = self.clone();
            async move { api.handle(req).await }
        })
    }

    /// Answers one request as the deployed REST API would.
    pub async fn handle(&self, req: Request<Body>) -> Response<Body> {
        let (parts, body) = req.into_parts();
        let Ok(body) = to_bytes(body, MAX_GATEWAY_PAYLOAD).await else {
            return gateway_answer(&gateway::REQUEST_TOO_LARGE);
        };
        let path_and_query = parts
            .uri
            .path_and_query()
            .map_or(parts.uri.path(), |pq| pq.as_str());
        let mut request =
            GatewayRequest::new(parts.method.as_str(), path_and_query).body(body.clone());
        for (name, value) in &parts.headers {
            if let Ok(value) = value.to_str() {
                request = request.header(name.as_str(), value);
            }
        }
        let Some(route) = request.route() else {
            return match &self.upstream {
                Some(upstream) if upstream.serves(&request) => {
                    upstream.forward(&*self.store, &request, &parts, body).await
                }
                _ => gateway_answer(&gateway::MISSING_AUTHENTICATION_TOKEN),
            };
        };
        // A route without the authorizer: straight to its function, with no context.
        if !route.needs_key() {
            let Ok(proxy) = request.proxy_request(None) else {
                return gateway_answer(&gateway::AUTHORIZER_FAILURE);
            };
            let response = self.call(route.function, proxy).await;
            if route.function == Function::SecretScanning {
                self.note_cascades(&response);
            }
            return to_http(response);
        }
        let api_key = header_text(&parts.headers, API_KEY);
        let decision = match self.own.authorize(&*self.store, &request, api_key).await {
            Ok(decision) => decision,
            Err(refusal) => return refusal,
        };
        let mut context = match decision.context {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        context.insert("principalId".into(), Value::String(decision.principal_id));
        let Ok(proxy) = request.proxy_request(Some(Value::Object(context))) else {
            return gateway_answer(&gateway::AUTHORIZER_FAILURE);
        };
        let response = self.call(route.function, proxy).await;
        // What the stream-driven flush does in AWS: a changed key's policy is not reused.
        let changes_a_key = matches!(
            route.endpoint,
            Endpoint::RevokeKey | Endpoint::UpdateKey | Endpoint::RerollKey
        );
        if changes_a_key && response.status().is_success() {
            self.own.flush();
            if let Some(upstream) = &self.upstream {
                upstream.gate.flush();
            }
        }
        if route.endpoint == Endpoint::RevokeKey {
            self.note_cascades(&response);
        }
        to_http(response)
    }

    /// Wakes the cascade continuation when `response` (to a revoke or a leak report) may
    /// have left a cascade handed on.
    fn note_cascades(&self, response: &lambda_http::Response<lambda_http::Body>) {
        if cascades::may_have_handed_on(response) {
            self.handed_on.notify_one();
        }
    }
}

impl LocalApi {
    /// The function behind a route, as Lambda would run it.
    async fn call(
        &self,
        function: Function,
        proxy: lambda_http::Request,
    ) -> lambda_http::Response<lambda_http::Body> {
        match function {
            Function::ManageKeys => handlers::manage_keys(&*self.store, &self.config, proxy).await,
            Function::VerifyKey => handlers::verify_key(&*self.store, &self.config, proxy).await,
            Function::CreateProduct => handlers::create_product(&*self.store, proxy).await,
            Function::SecretScanning => {
                leaks::report_leaks(&*self.store, &self.config, &self.signing_keys, proxy).await
            }
        }
    }
}

pub(crate) const API_KEY: &str = keyauth::edge::authorizer::API_KEY_HEADER;

/// A header's value, if it is text.
pub(crate) fn header_text<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) fn gateway_answer(response: &GatewayResponse) -> Response<Body> {
    gateway_answer_with(response, None)
}

pub(crate) fn gateway_answer_with(
    response: &GatewayResponse,
    deny_code: Option<&str>,
) -> Response<Body> {
    Response::builder()
        .status(response.status)
        .header("content-type", "application/json")
        // As the template's GatewayResponses declare: no answer of this API is cacheable.
        .header("cache-control", "no-store")
        .body(Body::from(response.body_with(deny_code)))
        .expect("static response is valid")
}

fn to_http(response: lambda_http::Response<lambda_http::Body>) -> Response<Body> {
    let (parts, body) = response.into_parts();
    let bytes: Vec<u8> = match body {
        lambda_http::Body::Empty => Vec::new(),
        lambda_http::Body::Text(text) => text.into_bytes(),
        lambda_http::Body::Binary(bytes) => bytes,
        _ => Vec::new(),
    };
    let mut out = Response::builder().status(
        StatusCode::from_u16(parts.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    for (name, value) in parts.headers.iter() {
        out = out.header(name.as_str(), value.as_bytes());
    }
    out.body(Body::from(bytes))
        .expect("function headers are valid")
}

//! A local stand-in for API Gateway in front of the real code.
//!
//! For every request it does what the deployed REST API does: find the route (404 when
//! there is none), build the REST `REQUEST` authorizer event, run the real authorizer,
//! evaluate the returned policy against the request's method ARN (401/403/500 with the
//! bodies `template.yaml` configures), then hand the authorizer context to the real
//! function through a REST proxy event and return its response. The authorizer cache is
//! off (TTL 0, the template's default), so every request is authorized afresh.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Request, Response, StatusCode};
use base64::Engine;
use keyauth::authorizer::{self, AuthorizerError, AuthorizerResponse};
use keyauth::clock::now_ms;
use keyauth::config::Config;
use keyauth::gateway::{self, GatewayResponse};
use keyauth::handlers;
use keyauth::policy::{self, Decision, MethodArn};
use keyauth::routes::{self, Function, Route};
use keyauth::store::{KeyStore, ProductWriter};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// Everything the API stores: keys and products.
pub trait Backend: KeyStore + ProductWriter {}
impl<T: KeyStore + ProductWriter + ?Sized> Backend for T {}

/// API Gateway's own payload limit (10 MB); the functions refuse far less.
const MAX_GATEWAY_PAYLOAD: usize = 10 * 1024 * 1024;
const ARN_BASE: &str = "arn:aws:execute-api:local:000000000000";
const API_ID: &str = "local";
pub const STAGE: &str = "local";

#[derive(Clone)]
pub struct LocalApi {
    store: Arc<dyn Backend>,
    config: Arc<Config>,
}

impl LocalApi {
    pub fn new(store: Arc<dyn Backend>, config: Config) -> Self {
        Self {
            store,
            config: Arc::new(config),
        }
    }

    pub fn router(self) -> Router {
        Router::new().fallback(move |req: Request<Body>| {
            let api = self.clone();
            async move { api.handle(req).await }
        })
    }

    pub async fn handle(&self, req: Request<Body>) -> Response<Body> {
        let (parts, body) = req.into_parts();
        let Ok(body) = to_bytes(body, MAX_GATEWAY_PAYLOAD).await else {
            return gateway_answer(&gateway::REQUEST_TOO_LARGE);
        };
        let method = parts.method.as_str().to_owned();
        let path = parts.uri.path().to_owned();
        let Some((route, raw_params)) = routes::match_path(&method, &path) else {
            return gateway_answer(&gateway::MISSING_AUTHENTICATION_TOKEN);
        };
        // API Gateway hands functions decoded path parameters; the ARN keeps the raw path.
        let params: HashMap<String, String> = raw_params
            .into_iter()
            .map(|(k, v)| (k, percent_decode_str(&v).decode_utf8_lossy().into_owned()))
            .collect();
        let query = query_pairs(parts.uri.query());
        let method_arn = MethodArn::for_request(ARN_BASE, API_ID, STAGE, &method, &path);

        let request = RequestParts {
            route,
            path: &path,
            headers: &parts.headers,
            query: &query,
            params: &params,
        };
        let auth_event = request.authorizer_event(&method_arn);
        let decision =
            match authorizer::handle(&*self.store, &self.config.key_prefix, auth_event, now_ms())
                .await
            {
                Ok(AuthorizerResponse::Rest(decision)) => decision,
                Ok(AuthorizerResponse::HttpV2(_)) => {
                    tracing::error!("a REST event got an HTTP API answer");
                    return gateway_answer(&gateway::AUTHORIZER_FAILURE);
                }
                Err(AuthorizerError::Unauthorized) => {
                    return gateway_answer(&gateway::UNAUTHORIZED);
                }
                Err(e) => {
                    tracing::error!(error = %e, "authorizer failed");
                    return gateway_answer(&gateway::AUTHORIZER_FAILURE);
                }
            };
        let statements = authorizer::statements_of(&decision.policy_document);
        match policy::evaluate(&statements, &method_arn) {
            Decision::Allow => {}
            Decision::ImplicitDeny => return gateway_answer(&gateway::ACCESS_DENIED),
            Decision::ExplicitDeny => return gateway_answer(&gateway::ACCESS_DENIED_EXPLICIT),
        }

        let mut context = match decision.context {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        if let Some(principal) = decision.principal_id {
            context.insert("principalId".into(), Value::String(principal));
        }
        let proxy = request.proxy_event(&body, context);
        let Ok(request) = lambda_http::request::from_str(&proxy.to_string()) else {
            return gateway_answer(&gateway::AUTHORIZER_FAILURE);
        };
        let response = match route.function {
            Function::ManageKeys => {
                handlers::manage_keys(&*self.store, &self.config, request).await
            }
            Function::VerifyKey => handlers::verify_key(&*self.store, &self.config, request).await,
            Function::CreateProduct => handlers::create_product(&*self.store, request).await,
        };
        to_http(response)
    }
}

fn gateway_answer(response: &GatewayResponse) -> Response<Body> {
    Response::builder()
        .status(response.status)
        .header("content-type", "application/json")
        .body(Body::from(response.body()))
        .expect("static response is valid")
}

/// Query parameters in order, decoded as API Gateway decodes them.
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// API Gateway's single-value maps keep the last value; multi-value maps keep all.
fn single_and_multi(pairs: impl Iterator<Item = (String, String)>) -> (Value, Value) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (k, v) in pairs {
        single.insert(k.clone(), json!(v));
        match multi.get_mut(&k) {
            Some(Value::Array(values)) => values.push(json!(v)),
            _ => {
                multi.insert(k, json!([v]));
            }
        }
    }
    if single.is_empty() {
        (Value::Null, Value::Null)
    } else {
        (Value::Object(single), Value::Object(multi))
    }
}

fn header_pairs(headers: &HeaderMap) -> impl Iterator<Item = (String, String)> + '_ {
    headers.iter().filter_map(|(name, value)| {
        value
            .to_str()
            .ok()
            .map(|v| (name.as_str().to_owned(), v.to_owned()))
    })
}

fn request_context(route: &Route, path: &str, method: &str) -> Value {
    json!({
        "accountId": "000000000000",
        "apiId": API_ID,
        "domainName": "localhost",
        "httpMethod": method,
        "identity": {"sourceIp": "127.0.0.1"},
        "path": format!("/{STAGE}{path}"),
        "protocol": "HTTP/1.1",
        "requestId": keyauth::ids::new_product_id().unwrap_or_default().replacen("prod_", "local-", 1),
        "requestTimeEpoch": now_ms(),
        "resourceId": "local",
        "resourcePath": route.path,
        "stage": STAGE,
    })
}

/// What API Gateway puts in both the authorizer event and the proxy event.
struct RequestParts<'a> {
    route: &'a Route,
    path: &'a str,
    headers: &'a HeaderMap,
    query: &'a [(String, String)],
    params: &'a HashMap<String, String>,
}

impl RequestParts<'_> {
    fn common_fields(&self) -> Map<String, Value> {
        let (headers, multi_headers) = single_and_multi(header_pairs(self.headers));
        let (query, multi_query) = single_and_multi(self.query.iter().cloned());
        let fields = json!({
            "resource": self.route.path,
            "path": self.path,
            "httpMethod": self.route.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "requestContext": request_context(self.route, self.path, self.route.method),
        });
        match fields {
            Value::Object(map) => map,
            _ => unreachable!("a JSON object literal"),
        }
    }

    /// The REST `REQUEST` authorizer event.
    fn authorizer_event(&self, method_arn: &str) -> Value {
        let mut event = self.common_fields();
        event.insert("type".into(), json!("REQUEST"));
        event.insert("methodArn".into(), json!(method_arn));
        event.insert("pathParameters".into(), json!(self.params));
        event.insert("stageVariables".into(), json!({}));
        Value::Object(event)
    }

    /// The REST proxy event the function receives, with the authorizer's context.
    fn proxy_event(&self, body: &[u8], authorizer_context: Map<String, Value>) -> Value {
        let mut event = self.common_fields();
        let (body, base64) = match std::str::from_utf8(body) {
            _ if body.is_empty() => (Value::Null, false),
            Ok(text) => (json!(text), false),
            Err(_) => (
                json!(base64::engine::general_purpose::STANDARD.encode(body)),
                true,
            ),
        };
        event["requestContext"]["authorizer"] = Value::Object(authorizer_context);
        let params = if self.params.is_empty() {
            Value::Null
        } else {
            json!(self.params)
        };
        event.insert("pathParameters".into(), params);
        event.insert("stageVariables".into(), Value::Null);
        event.insert("body".into(), body);
        event.insert("isBase64Encoded".into(), json!(base64));
        Value::Object(event)
    }
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

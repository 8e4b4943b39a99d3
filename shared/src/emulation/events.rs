//! The events a REST API with a `REQUEST` authorizer sends for one HTTP request: the
//! authorizer event, then (once allowed) the proxy event to the route's function. One
//! builder for the local server, the tests and the benchmark.

use super::policy_evaluation::method_arn;
use crate::domain::clock::now_ms;
use crate::domain::routes::{self, Route};
use base64::Engine;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The API and stage a request arrives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiStage {
    /// `arn:{partition}:execute-api:{region}:{account}`.
    pub arn_base: &'static str,
    /// The account id in the request context.
    pub account: &'static str,
    /// The REST API id.
    pub api_id: &'static str,
    /// The stage name.
    pub stage: &'static str,
}

impl ApiStage {
    /// The local server's API and stage.
    pub const LOCAL: ApiStage = ApiStage {
        arn_base: "arn:aws:execute-api:local:000000000000",
        account: "000000000000",
        api_id: "local",
        stage: "local",
    };
}

/// One HTTP request as API Gateway sees it.
#[derive(Debug, Clone)]
pub struct GatewayRequest {
    stage: ApiStage,
    method: String,
    /// The path as sent (the method ARN keeps it raw).
    path: String,
    route: Option<&'static Route>,
    /// Path parameters, percent-decoded as API Gateway hands them on.
    params: HashMap<String, String>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl GatewayRequest {
    /// A request on [`ApiStage::LOCAL`]; the route is looked up in the route table.
    pub fn new(method: &str, path_and_query: &str) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let (route, params) = match routes::match_path(method, path) {
            Some((route, raw)) => {
                let decoded = raw
                    .into_iter()
                    .map(|(k, v)| (k, percent_decode_str(&v).decode_utf8_lossy().into_owned()))
                    .collect();
                (Some(route), decoded)
            }
            None => (None, HashMap::new()),
        };
        Self {
            stage: ApiStage::LOCAL,
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            route,
            params,
            query: form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The same request on another API or stage.
    pub fn on(mut self, stage: ApiStage) -> Self {
        self.stage = stage;
        self
    }

    /// Adds a header (names are kept as given; the functions match them case-insensitively).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the raw body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and its content type.
    pub fn json(self, body: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(body.to_string())
    }

    /// The method, upper case.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path as sent, without the query string.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The route API Gateway matched, if any (none: it answers 404 itself).
    pub fn route(&self) -> Option<&'static Route> {
        self.route
    }

    /// The ARN the authorizer's policy is evaluated against.
    pub fn method_arn(&self) -> String {
        method_arn(
            self.stage.arn_base,
            self.stage.api_id,
            self.stage.stage,
            &self.method,
            &self.path,
        )
    }

    /// The REST `REQUEST` authorizer event.
    pub fn authorizer_event(&self) -> Value {
        let mut event = self.common_fields();
        event.insert("type".into(), json!("REQUEST"));
        event.insert("methodArn".into(), json!(self.method_arn()));
        event.insert("pathParameters".into(), json!(self.params));
        event.insert("stageVariables".into(), json!({}));
        Value::Object(event)
    }

    /// The REST proxy event the function receives, with the authorizer's context (any
    /// JSON, so tests can hand a function a broken one; `None` when no authorizer ran).
    pub fn proxy_event(&self, authorizer_context: Option<Value>) -> Value {
        let mut event = self.common_fields();
        if let Some(context) = authorizer_context {
            event["requestContext"]["authorizer"] = context;
        }
        let (body, base64) = match std::str::from_utf8(&self.body) {
            _ if self.body.is_empty() => (Value::Null, false),
            Ok(text) => (json!(text), false),
            Err(_) => (
                json!(base64::engine::general_purpose::STANDARD.encode(&self.body)),
                true,
            ),
        };
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

    /// The proxy event as `lambda_http` decodes it for a function.
    pub fn proxy_request(
        &self,
        authorizer_context: Option<Value>,
    ) -> Result<lambda_http::Request, serde_json::Error> {
        lambda_http::request::from_str(&self.proxy_event(authorizer_context).to_string())
    }

    /// What both events carry.
    fn common_fields(&self) -> Map<String, Value> {
        let resource = self.route.map_or(self.path.as_str(), |r| r.path);
        let (headers, multi_headers) = single_and_multi(&self.headers);
        let (query, multi_query) = single_and_multi(&self.query);
        let request_id = crate::domain::random::base62_128().unwrap_or_default();
        let fields = json!({
            "resource": resource,
            "path": self.path,
            "httpMethod": self.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "requestContext": {
                "accountId": self.stage.account,
                "apiId": self.stage.api_id,
                "domainName": "localhost",
                "httpMethod": self.method,
                "identity": {"sourceIp": "127.0.0.1"},
                "path": format!("/{}{}", self.stage.stage, self.path),
                "protocol": "HTTP/1.1",
                "requestId": request_id,
                "requestTimeEpoch": now_ms(),
                "resourceId": "local",
                "resourcePath": resource,
                "stage": self.stage.stage,
            },
        });
        match fields {
            Value::Object(map) => map,
            _ => unreachable!("a JSON object literal"),
        }
    }
}

/// API Gateway's single-value maps keep the last value; multi-value maps keep all.
fn single_and_multi(pairs: &[(String, String)]) -> (Value, Value) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (k, v) in pairs {
        single.insert(k.clone(), json!(v));
        match multi.get_mut(k) {
            Some(Value::Array(values)) => values.push(json!(v)),
            _ => {
                multi.insert(k.clone(), json!([v]));
            }
        }
    }
    if single.is_empty() {
        (Value::Null, Value::Null)
    } else {
        (Value::Object(single), Value::Object(multi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_the_route_decoded_parameters_and_query() {
        let request = GatewayRequest::new("post", "/keys/key_a%42/revoke?x=1&x=2&q=a%20b")
            .header("x-api-key", "k");
        assert_eq!(request.route().unwrap().path, "/keys/{id}/revoke");
        assert_eq!(
            request.method_arn(),
            "arn:aws:execute-api:local:000000000000:local/local/POST/keys/key_a%42/revoke"
        );
        let auth = request.authorizer_event();
        assert_eq!(auth["pathParameters"]["id"], "key_aB");
        assert_eq!(auth["queryStringParameters"]["x"], "2");
        assert_eq!(
            auth["multiValueQueryStringParameters"]["x"],
            json!(["1", "2"])
        );
        assert_eq!(auth["queryStringParameters"]["q"], "a b");
        let proxy = request.proxy_event(Some(json!({"keyId": "key_1"})));
        assert_eq!(proxy["requestContext"]["authorizer"]["keyId"], "key_1");
        assert_eq!(proxy["resource"], "/keys/{id}/revoke");
        assert!(proxy["body"].is_null());
        let binary = GatewayRequest::new("POST", "/products").body(vec![0xff, 0xfe]);
        assert_eq!(binary.proxy_event(None)["isBase64Encoded"], true);
        assert!(GatewayRequest::new("GET", "/nowhere").route().is_none());
    }
}

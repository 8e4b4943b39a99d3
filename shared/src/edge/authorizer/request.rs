//! The part of an authorizer event the authorizer reads, decoded in one pass straight from
//! the event's bytes: which kind of event it is, the ARN or route, and the `x-api-key`
//! header. Everything else is skipped unread into any structure.
//!
//! Decoding never fails on a string where something else was expected, so no decoder
//! message can quote a header value (the key) into a log.

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

use super::json_parts::{Key, Text, TextField, Word, skip_others};

use super::API_KEY_HEADER;

/// What one authorizer event says, as far as the authorizer cares.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AuthorizerRequest {
    /// `type`, when it is one the authorizer knows.
    pub kind: Option<EventType>,
    /// Whether `version` is `2.0` (HTTP API payload 2.0).
    pub is_v2: bool,
    /// `methodArn` of a REST event.
    pub method_arn: Option<String>,
    /// Whether the event has an HTTP API `routeArn`.
    pub has_route_arn: bool,
    /// `routeKey` of an HTTP API event: `POST /products`, or `$default`.
    pub route_key: Option<String>,
    /// `rawPath` of an HTTP API event (with the stage in front on a named stage).
    pub raw_path: Option<String>,
    /// `requestContext.http.method` of an HTTP API event.
    pub http_method: Option<String>,
    /// `requestContext.stage` of an HTTP API event.
    pub stage: Option<String>,
    /// The `x-api-key` header, matched case-insensitively. Never printed by `Debug`.
    api_key: Option<ApiKey>,
}

/// An authorizer event's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// `REQUEST`: REST and HTTP API request authorizers.
    Request,
    /// `TOKEN`: REST token authorizers.
    Token,
}

/// A presented key, redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
struct ApiKey(String);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl AuthorizerRequest {
    /// Reads an event already parsed as JSON (the local server, tests); an event that
    /// cannot be read is one of no kind, which the authorizer refuses.
    pub fn from_value(event: &Value) -> Self {
        Self::deserialize(event).unwrap_or_default()
    }

    /// The `x-api-key` header's value, if the event has one.
    pub fn api_key(&self) -> Option<&str> {
        self.api_key.as_ref().map(|k| k.0.as_str())
    }
}

impl<'de> Deserialize<'de> for AuthorizerRequest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EventVisitor)
    }
}

/// The `headers` object, keeping only `x-api-key`; anything but an object has no key.
struct Headers(Option<String>);

impl<'de> Deserialize<'de> for Headers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(HeadersVisitor).map(Headers)
    }
}

struct HeadersVisitor;

impl<'de> Visitor<'de> for HeadersVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
        let mut key = None;
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            if name.eq_ignore_ascii_case(API_KEY_HEADER) {
                key = map.next_value::<Text>()?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(key)
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<String>, E> {
        Ok(None)
    }
    skip_others!('de, None);
}

/// `requestContext` of an HTTP API event: `http.method` and `stage`, the rest skipped.
#[derive(Default)]
struct RequestContext {
    method: Option<String>,
    stage: Option<String>,
}

impl<'de> Deserialize<'de> for RequestContext {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RequestContextVisitor)
    }
}

struct RequestContextVisitor;

impl<'de> Visitor<'de> for RequestContextVisitor {
    type Value = RequestContext;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RequestContext, A::Error> {
        let mut context = RequestContext::default();
        while let Some(Key(field)) = map.next_key::<Key<'de>>()? {
            match field.as_ref() {
                "stage" => context.stage = map.next_value::<Text>()?.0,
                "http" => context.method = map.next_value_seed(TextField("method"))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(context)
    }
    fn visit_str<E>(self, _: &str) -> Result<RequestContext, E> {
        Ok(RequestContext::default())
    }
    skip_others!('de, RequestContext::default());
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = AuthorizerRequest;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an API Gateway authorizer event")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AuthorizerRequest, A::Error> {
        let mut request = AuthorizerRequest::default();
        while let Some(Key(field)) = map.next_key::<Key<'de>>()? {
            match field.as_ref() {
                "type" => {
                    request.kind = map.next_value::<Word>()?.0.and_then(|kind| match &*kind {
                        "REQUEST" => Some(EventType::Request),
                        "TOKEN" => Some(EventType::Token),
                        _ => None,
                    })
                }
                "version" => request.is_v2 = map.next_value::<Word>()?.0.as_deref() == Some("2.0"),
                "methodArn" => request.method_arn = map.next_value::<Text>()?.0,
                "routeArn" => request.has_route_arn = map.next_value::<Word>()?.0.is_some(),
                "routeKey" => request.route_key = map.next_value::<Text>()?.0,
                "rawPath" => request.raw_path = map.next_value::<Text>()?.0,
                "requestContext" => {
                    let context = map.next_value::<RequestContext>()?;
                    (request.http_method, request.stage) = (context.method, context.stage);
                }
                "headers" => request.api_key = map.next_value::<Headers>()?.0.map(ApiKey),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(request)
    }
    // Anything but an object is an event of no kind.
    fn visit_str<E>(self, _: &str) -> Result<AuthorizerRequest, E> {
        Ok(AuthorizerRequest::default())
    }
    skip_others!('de, AuthorizerRequest::default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_markers_and_the_key_case_insensitively() {
        let raw = br#"{"type":"REQUEST","methodArn":"arn:x","headers":{"Accept":"*/*","X-Api-Key":"sk_1"},
            "requestContext":{"deep":[1,{"x":null}]},"multiValueHeaders":{"x-api-key":["sk_2"]}}"#;
        let request: AuthorizerRequest = serde_json::from_slice(raw).unwrap();
        assert_eq!(request.kind, Some(EventType::Request));
        assert_eq!(request.method_arn.as_deref(), Some("arn:x"));
        assert_eq!(request.api_key(), Some("sk_1"));
        assert!(!format!("{request:?}").contains("sk_1"));
    }

    #[test]
    fn reads_an_http_api_events_route() {
        let raw = br#"{"version":"2.0","type":"REQUEST","routeArn":"arn:x","routeKey":"$default",
            "rawPath":"/prod/orders/7","requestContext":{"stage":"prod","accountId":"1",
            "http":{"method":"GET","path":"/prod/orders/7","sourceIp":"1.2.3.4"}}}"#;
        let request: AuthorizerRequest = serde_json::from_slice(raw).unwrap();
        assert_eq!(request.route_key.as_deref(), Some("$default"));
        assert_eq!(request.raw_path.as_deref(), Some("/prod/orders/7"));
        assert_eq!(request.http_method.as_deref(), Some("GET"));
        assert_eq!(request.stage.as_deref(), Some("prod"));
        let odd = br#"{"requestContext":{"http":"GET","stage":{"x":1}}}"#;
        let request: AuthorizerRequest = serde_json::from_slice(odd).unwrap();
        assert_eq!((request.http_method, request.stage), (None, None));
    }

    #[test]
    fn escaped_names_are_read_too() {
        let raw = br#"{"typ\u0065":"REQUEST","headers":{"x-api\u002dkey":"sk_1"}}"#;
        let request: AuthorizerRequest = serde_json::from_slice(raw).unwrap();
        assert_eq!(request.kind, Some(EventType::Request));
        assert_eq!(request.api_key(), Some("sk_1"));
    }

    #[test]
    fn odd_shapes_decode_to_no_kind_and_never_quote_a_value() {
        for odd in [
            json!("sk_live_secret"),
            json!([1, "sk_live_secret"]),
            json!(null),
            json!(5),
            json!({"type": 5, "headers": "sk_live_secret", "methodArn": ["sk_live_secret"]}),
            json!({"headers": {"x-api-key": {"nested": "sk_live_secret"}}}),
        ] {
            let bytes = serde_json::to_vec(&odd).unwrap();
            let request: AuthorizerRequest = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(request.kind, None, "{odd}");
            assert_eq!(request.api_key(), None, "{odd}");
            assert_eq!(AuthorizerRequest::from_value(&odd), request);
        }
    }
}

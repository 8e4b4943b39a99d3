//! HTTP plumbing shared by the `lambda_http` functions: JSON bodies in and out, and the
//! one place where [`ApiError`] becomes a status code and a JSON error body.

use crate::domain::caller::Caller;
use crate::domain::clock::now_ms;
use crate::domain::error::ErrorChain;
use crate::domain::routes::{self, Route};
use crate::edge::context::caller_from_context;
use crate::edge::errors::ApiError;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

/// Largest request body a function reads.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A JSON response with `cache-control: no-store`.
pub fn json_response<T: Serialize>(status: u16, body: &T) -> Response<Body> {
    // Text, not Binary: lambda_http marks binary bodies base64, and API Gateway (with no
    // binary media types) would hand clients the base64 text.
    let text = serde_json::to_string(body).expect("response types serialise");
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        // Responses can carry a one-time secret; nothing here is cacheable.
        .header("cache-control", "no-store")
        .body(Body::Text(text))
        .expect("static headers are valid")
}

/// The error body: `{"error": {"code", "message"}}`. Internal details are logged, not sent.
pub fn error_response(err: &ApiError) -> Response<Body> {
    if err.is_internal() {
        match err {
            ApiError::SigningKeysUnavailable(detail) => {
                tracing::error!(error = %ErrorChain(err), %detail, "request failed");
            }
            _ => tracing::error!(error = %ErrorChain(err), "request failed"),
        }
    } else {
        tracing::info!(status = err.status(), code = err.code(), "request refused");
    }
    let mut response = json_response(
        err.status(),
        &json!({"error": {"code": err.code(), "message": err.public_message()}}),
    );
    if err.status() == 503 {
        // A throttled or unreachable store: worth one more try, not at once.
        let retry = http::HeaderValue::from_static(RETRY_AFTER_SECONDS);
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, retry);
    }
    response
}

/// `Retry-After` of a 503: DynamoDB throttling and brief outages clear within seconds.
const RETRY_AFTER_SECONDS: &str = "1";

fn body_bytes(req: &Request) -> &[u8] {
    req.body().as_ref()
}

/// Parses a JSON body: 415 unless `application/json`, 413 past [`MAX_BODY_BYTES`], 400
/// naming the field for anything that does not fit `T`.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let body = body_bytes(req);
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    let is_json = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    parse_json(body)
}

/// Like [`json_body`], but an absent (empty) body means `T::default()` (e.g. revoke's
/// optional reason). A body of whitespace is not absent: it is not JSON.
pub fn optional_json_body<T: DeserializeOwned + Default>(req: &Request) -> Result<T, ApiError> {
    if body_bytes(req).is_empty() {
        Ok(T::default())
    } else {
        json_body(req)
    }
}

/// Parses a JSON object into `T`, naming the path of the first field that does not fit.
/// Every body is an object: an array is refused, not read field by field in order.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.trim_ascii_start().first().is_some_and(|&b| b != b'{') {
        return Err(ApiError::BadRequest(
            "the body must be a JSON object".to_owned(),
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = in_api_words(&inner.to_string());
        match inner.classify() {
            serde_json::error::Category::Data if path != "." => {
                ApiError::BadRequest(format!("{path}: {message}"))
            }
            serde_json::error::Category::Data => ApiError::BadRequest(format!("body: {message}")),
            _ => ApiError::BadRequest(format!("body is not valid JSON: {message}")),
        }
    })
}

/// serde's message in the API's words: the Rust type a field maps to (`struct Claims`,
/// `map`, `sequence`, `i64`) is not something the client can act on. Only whole words
/// outside the client's own values change (those are quoted by serde).
fn in_api_words(message: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut parts = message.split(' ');
    while let Some(word) = parts.next() {
        let bare = word.trim_end_matches([',', ':']);
        let api = match bare {
            // "struct Name" / "enum Name": the name is ours, not the API's.
            "struct" => {
                parts.next();
                "object"
            }
            "enum" => {
                parts.next();
                "documented value"
            }
            "map" => "object",
            "sequence" => "array",
            "i64" | "u64" | "i32" | "u32" | "usize" => "integer",
            "f64" => "number",
            _ => {
                words.push(word.to_owned());
                continue;
            }
        };
        // "a map" -> "an object", "expected struct X" -> "expected an object".
        match words.last().map(String::as_str) {
            Some("a") if api.starts_with(['a', 'e', 'i', 'o', 'u']) => {
                words.pop();
                words.push("an".to_owned());
            }
            Some("a" | "an") => {}
            _ if api.starts_with(['a', 'e', 'i', 'o', 'u']) => words.push("an".to_owned()),
            _ => words.push("a".to_owned()),
        }
        // Keep what followed the Rust word (",", ":").
        words.push(format!("{api}{}", &word[bare.len()..]));
    }
    words.join(" ")
}

/// The caller, read from the context the authorizer put in the request (401 without one).
/// A caller whose key has expired is 401 too: with API Gateway's authorizer cache on, a
/// decision cached before the key expired (or before a rerolled key's grace ended) still
/// reaches the function, with the key's expiration in its context.
pub fn caller_from_authorizer_context(req: &Request) -> Result<Caller, ApiError> {
    let fields = req
        .request_context_ref()
        .and_then(RequestContext::authorizer)
        .map(|a| &a.fields)
        .ok_or(ApiError::Unauthorized)?;
    let caller = caller_from_context(fields)?;
    if caller.has_expired(now_ms()) {
        return Err(ApiError::Unauthorized);
    }
    Ok(caller)
}

/// The route API Gateway matched, from the request context (`resource` for REST,
/// `routeKey` for HTTP APIs), falling back to matching the path.
pub fn route(req: &Request) -> Option<&'static Route> {
    let method = req.method().as_str();
    let template = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.resource_path.clone(),
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .route_key
            .as_deref()
            .and_then(|k| k.split_once(' '))
            .map(|(_, path)| path.to_owned()),
        _ => None,
    };
    match template {
        Some(template) => routes::by_template(method, &template),
        None => routes::match_path(method, req.uri().path()).map(|(route, _)| route),
    }
}

/// A path parameter, from the event or else by matching the path against the route table.
pub fn path_param(req: &Request, name: &str) -> Option<String> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_owned)
        .or_else(|| {
            routes::match_path(req.method().as_str(), req.uri().path())
                .and_then(|(_, params)| params.get(name).cloned())
        })
}

/// A query string parameter (the last value when repeated).
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::wire::{CreateKeyRequest, RevokeKeyRequest, VerifyKeyRequest};

    fn refusal<T: DeserializeOwned + std::fmt::Debug>(body: &str) -> String {
        match parse_json::<T>(body.as_bytes()).unwrap_err() {
            ApiError::BadRequest(message) => message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bodies_are_objects() {
        let message = refusal::<CreateKeyRequest>(r#"["name", null]"#);
        assert_eq!(message, "the body must be a JSON object");
        assert_eq!(
            refusal::<VerifyKeyRequest>(" 5"),
            "the body must be a JSON object"
        );
    }

    #[test]
    fn messages_name_no_rust_type() {
        let cases = [
            (
                r#"{"name": "n", "claims": 5}"#,
                "claims: invalid type: integer `5`, expected an object",
            ),
            (
                r#"{"name": "n", "scopes": "a"}"#,
                "scopes: invalid type: string \"a\", expected an array",
            ),
            (
                r#"{"name": "n", "secondsUntilExpiration": "soon"}"#,
                "secondsUntilExpiration: invalid type: string \"soon\", expected an integer",
            ),
        ];
        for (body, expected) in cases {
            let message = refusal::<CreateKeyRequest>(body);
            assert!(message.starts_with(expected), "{message}");
        }
        for body in [
            r#"{"name": [1]}"#,
            r#"{"name": "n", "claims": []}"#,
            r#"{"cascade": "x"}"#,
        ] {
            let message = if body.contains("cascade") {
                refusal::<RevokeKeyRequest>(body)
            } else {
                refusal::<CreateKeyRequest>(body)
            };
            for rust in ["struct", "map", "sequence", "i64", "Request", "bool`"] {
                assert!(!message.contains(rust), "{message}");
            }
        }
        // The client's own values are quoted and kept as sent.
        let message = refusal::<CreateKeyRequest>(r#"{"name": "n", "scopes": "map struct"}"#);
        assert!(message.contains("\"map struct\""), "{message}");
    }

    #[test]
    fn null_is_refused_where_the_field_is_not_nullable() {
        let message = refusal::<CreateKeyRequest>(r#"{"name": "n", "subject": null}"#);
        assert!(message.starts_with("subject: invalid type: null, expected a string"));
        let message = refusal::<RevokeKeyRequest>(r#"{"revocationReason": null}"#);
        assert!(message.starts_with("revocationReason: invalid type: null, expected a string"));
        assert!(parse_json::<CreateKeyRequest>(br#"{"name": "n"}"#).is_ok());
    }
}

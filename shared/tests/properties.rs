//! Properties over arbitrary input: whatever a client or an event source sends, the code
//! answers or refuses, never panics, and never lets a hostile value through.

use keyauth::domain::key_format::KeyPrefix;
use keyauth::edge::authorizer;
use keyauth::edge::authorizer::AuthorizerSettings;
use keyauth::edge::cache_flush::{self, FlushError, KeyChangesEvent, StageCache};
use keyauth::edge::config::Config;
use keyauth::edge::handlers;
use keyauth::edge::http::parse_json;
use keyauth::edge::key_changes::{self, ChangeBus, PublishError, StreamEvent};
use keyauth::edge::wire::key_changes::KeyChangesDetail;
use keyauth::edge::wire::{
    CreateKeyRequest, CreateProductRequest, RerollKeyRequest, RevokeKeyRequest, UpdateKeyRequest,
    VerifyKeyRequest,
};
use keyauth::emulation::events::GatewayRequest;
use keyauth::store::cursor::Cursor;
use keyauth::store::memory::MemoryStore;
use proptest::prelude::*;
use serde_json::Value;

fn prefix() -> KeyPrefix {
    KeyPrefix::new("sk_live").unwrap()
}

/// Any JSON value, nested a few levels.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    ".{0,12}",
                    Just("headers".to_owned()),
                    Just("x-api-key".to_owned()),
                    Just("type".to_owned()),
                    Just("methodArn".to_owned()),
                    Just("httpMethod".to_owned()),
                    Just("requestContext".to_owned()),
                    Just("Records".to_owned()),
                    Just("dynamodb".to_owned()),
                    Just("eventName".to_owned()),
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

struct NoFlush;

struct NoBus;

#[async_trait::async_trait]
impl ChangeBus for NoBus {
    async fn publish(&self, _: &KeyChangesDetail) -> Result<(), PublishError> {
        Ok(())
    }
}

#[async_trait::async_trait]
impl StageCache for NoFlush {
    async fn flush(&self) -> Result<(), FlushError> {
        Ok(())
    }
}

proptest! {
    #[test]
    fn any_string_parses_or_is_refused(s in ".{0,120}", body in "[0-9A-Za-z]{0,60}") {
        let prefix = prefix();
        let _ = prefix.parse(&s);
        let _ = prefix.parse(&format!("sk_live_{body}"));
    }

    #[test]
    fn generated_keys_round_trip(_n in 0u8..=255) {
        let prefix = prefix();
        let secret = prefix.generate().unwrap();
        let parsed = prefix.parse(secret.expose());
        prop_assert!(parsed.is_ok());
    }

    /// A cursor decodes only for the subject it was issued for, and any string is either a
    /// cursor or refused.
    #[test]
    fn cursors_stay_with_their_subject(
        noise in ".{0,600}",
        created_at in any::<i64>(),
        id in "key_[0-9A-Za-z]{22}",
        subject in "[a-z_]{1,20}",
        other in "[a-z_]{1,20}",
    ) {
        let _ = Cursor::decode(&noise, &subject);
        let _ = Cursor::decode_event(&noise, &subject);
        let encoded = Cursor { created_at, id: id.clone() }.encode(&subject);
        prop_assert_eq!(Cursor::decode(&encoded, &subject).ok(), Some(Cursor { created_at, id }));
        if other != subject {
            prop_assert!(Cursor::decode(&encoded, &other).is_err());
        }
    }

    /// Request bodies: any bytes are parsed or refused with an error, for every body type.
    #[test]
    fn request_bodies_parse_or_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..200), value in json()) {
        let text = value.to_string();
        for body in [bytes.as_slice(), text.as_bytes()] {
            let _ = parse_json::<CreateKeyRequest>(body);
            let _ = parse_json::<UpdateKeyRequest>(body);
            let _ = parse_json::<RevokeKeyRequest>(body);
            let _ = parse_json::<RerollKeyRequest>(body);
            let _ = parse_json::<VerifyKeyRequest>(body);
            let _ = parse_json::<CreateProductRequest>(body);
        }
    }

    /// Any JSON as the authorizer's event: refused or an error, never an Allow (the store
    /// holds no key at all).
    #[test]
    fn the_authorizer_never_allows_arbitrary_events(event in json()) {
        let store = MemoryStore::new();
        let answer = runtime().block_on(authorizer::handle(&store, &AuthorizerSettings::uncached(prefix()), event, 0));
        if let Ok(answer) = answer {
            let text = serde_json::to_string(&answer).unwrap();
            prop_assert!(!text.contains("\"Allow\"") && !text.contains("\"isAuthorized\":true"), "{text}");
        }
    }

    /// Any JSON as a proxy event: a function answers with a status below 500, or the
    /// runtime refuses the event before the handler.
    #[test]
    fn functions_answer_arbitrary_proxy_events(event in json()) {
        let store = MemoryStore::new();
        let config = Config::from_lookup(|_| None).unwrap();
        if let Ok(req) = lambda_http::request::from_str(&event.to_string()) {
            let status = runtime().block_on(handlers::manage_keys(&store, &config, req)).status();
            prop_assert!(status.as_u16() < 500, "{status}");
        }
    }

    /// A well-formed authorizer event with hostile values where a client or a route puts
    /// them: refused, never allowed, never a panic.
    #[test]
    fn the_authorizer_refuses_hostile_values_in_a_real_event(
        key in ".{0,200}",
        body in "[0-9A-Za-z]{0,60}",
        arn in ".{0,80}",
        kind in prop_oneof![Just("REQUEST".to_owned()), Just("TOKEN".to_owned()), ".{0,10}"],
    ) {
        let store = MemoryStore::new();
        for key in [key, format!("sk_live_{body}")] {
            let mut event = GatewayRequest::new("POST", "/products").header("x-api-key", &key).authorizer_event();
            for (field, value) in [("methodArn", arn.clone()), ("type", kind.clone())] {
                let mut changed = event.clone();
                changed[field] = Value::String(value);
                let answer = runtime().block_on(authorizer::handle(&store, &AuthorizerSettings::uncached(prefix()), changed, 0));
                prop_assert!(answer.is_err(), "{answer:?}");
            }
            event["headers"]["X-API-KEY"] = Value::String(key.clone());
            let answer = runtime().block_on(authorizer::handle(&store, &AuthorizerSettings::uncached(prefix()), event, 0));
            prop_assert!(answer.is_err(), "{answer:?}");
        }
    }

    /// A well-formed proxy event for each key route with an arbitrary JSON body: answered,
    /// below 500, and nothing is created from a body that is not a valid request.
    #[test]
    fn functions_answer_arbitrary_bodies(body in json(), raw in ".{0,100}") {
        let config = Config::from_lookup(|_| None).unwrap();
        let context = serde_json::json!({
            "principalId": "user_p", "keyId": "key_0TestCallerKey0000000001", "subject": "user_p",
            "scopes": "keys:read keys:write keys:verify products:write", "claims": "{}",
            "tokenType": "api_key", "expiration": ""
        });
        for text in [body.to_string(), raw.clone()] {
            for (method, path) in [("POST", "/keys"), ("PATCH", "/keys/key_0TestCallerKey0000000001"),
                                   ("POST", "/keys/key_0TestCallerKey0000000001/revoke"),
                                   ("POST", "/keys/key_0TestCallerKey0000000001/reroll"),
                                   ("POST", "/keys/verify")] {
                let store = MemoryStore::new();
                let req = GatewayRequest::new(method, path)
                    .header("content-type", "application/json")
                    .body(text.clone())
                    .proxy_request(Some(context.clone()))
                    .unwrap();
                let function = if path == "/keys/verify" {
                    runtime().block_on(handlers::verify_key(&store, &config, req))
                } else {
                    runtime().block_on(handlers::manage_keys(&store, &config, req))
                };
                prop_assert!(function.status().as_u16() < 500, "{method} {path} {text}: {}", function.status());
            }
        }
    }

    /// Any JSON as a stream batch: decoded or refused by the runtime, and handled without
    /// a panic.
    #[test]
    fn stream_batches_decode_or_are_refused(event in json()) {
        if let Ok(batch) = serde_json::from_value::<StreamEvent>(event) {
            let report = runtime().block_on(key_changes::on_stream_batch(&batch, &NoBus));
            prop_assert!(report.is_ok());
        }
    }

    /// Any JSON as the detail of a bus event: handled without a panic, and flushed unless
    /// it is key changes none of which needs a flush.
    #[test]
    fn bus_events_are_flushed_unless_they_say_no_change_needs_it(detail in json()) {
        let event = serde_json::json!({"detail-type": "Key changes", "source": "keyauth", "detail": detail});
        let event: KeyChangesEvent = serde_json::from_value(event).unwrap();
        let settle = std::time::Duration::ZERO;
        let report = runtime().block_on(cache_flush::on_key_changes(&event, &NoFlush, settle, tokio::time::Instant::now())).unwrap();
        let harmless = serde_json::from_value::<KeyChangesDetail>(event.detail.clone())
            .is_ok_and(|d| d.changes.iter().all(|c| !c.change.needs_flush()));
        prop_assert_eq!(report.flushed, !harmless);
    }
}

//! The revocation fan-out, link by link: the records moto's DynamoDB stream gives for our
//! own writes go through the publisher (`key_changes::on_stream_batch`) onto moto's
//! EventBridge bus, whose rule (the template's pattern) delivers them to a queue; each event
//! read from there goes through the flush (`cache_flush::on_key_changes`), which calls API
//! Gateway's `FlushStageAuthorizersCache` through the real SDK client, here against a
//! stand-in management endpoint on loopback that records what it receives.

#[path = "../support/mod.rs"]
mod support;

mod bus;
mod gateway;
mod stream;

use bus::Bus;
use gateway::{Gateway, flush_call, reset_call};
use keyauth::domain::caller::Caller;
use keyauth::domain::clock::now_ms;
use keyauth::domain::hashing::KeyHash;
use keyauth::domain::ids::KeyId;
use keyauth::domain::key_format::KeyPrefix;
use keyauth::edge::cache_flush::{
    ApiGatewayStage, FlushReport, KeyChangesEvent, StageCache, on_key_changes,
};
use keyauth::edge::key_changes::{PublishReport, on_stream_batch};
use keyauth::edge::wire::key_changes::{DETAIL_TYPE, SOURCE};
use keyauth::edge::wire::{CreateKeyRequest, UpdateKeyRequest};
use keyauth::operations;
use keyauth::store::UsageRecorder;
use serde_json::json;
use std::sync::atomic::Ordering;
use stream::Stream;
use tokio::time::Instant;

/// The tests' time between an event's two flushes (the function's is `cache_flush::SETTLE`).
/// Each call gives a deadline of now: a failed flush is not tried again (the unit tests of
/// `cache_flush` hold the retries).
const SETTLE: std::time::Duration = std::time::Duration::from_millis(20);

/// The whole way from the keys table to API Gateway: the next batch of the stream
/// published, every event the rule delivers flushed. Returns what the publisher reported
/// and what each delivered event led to.
async fn carry(
    stream: &mut Stream,
    bus: &Bus,
    stage: &ApiGatewayStage,
    secrets: &[&str],
) -> (PublishReport, Vec<FlushReport>) {
    let batch = stream.next_batch().await;
    let published = on_stream_batch(&batch, &bus.publisher()).await.unwrap();
    let mut flushed = Vec::new();
    for (event, raw) in bus.delivered().await {
        // The event names keys by id: never a hash or a secret.
        assert!(!raw.contains("keyHash"), "{raw}");
        for secret in secrets {
            assert!(!raw.contains(KeyHash::of_secret(secret).as_str()), "{raw}");
            assert!(!raw.contains(secret), "{raw}");
        }
        assert_eq!(event.detail_type, DETAIL_TYPE);
        flushed.push(
            on_key_changes(&event, stage, SETTLE, Instant::now())
                .await
                .unwrap(),
        );
    }
    (published, flushed)
}

fn published(records: usize, changes: usize) -> PublishReport {
    PublishReport {
        records,
        changes,
        published: usize::from(changes > 0),
    }
}

fn flushed(changes: usize) -> Vec<FlushReport> {
    vec![FlushReport {
        changes,
        flushed: true,
    }]
}

#[tokio::test]
#[ignore = "needs moto's server; scripts/test provides it"]
async fn our_writes_flush_the_stage_for_every_change_but_creation_and_use() {
    let store = support::dynamo_store().await;
    let mut stream = Stream::open(&store).await;
    let bus = Bus::start().await;
    let gateway = Gateway::start().await;
    let stage = gateway.stage().await;
    let (operator, prefix) = (Caller::operator("test"), KeyPrefix::new("sk_test").unwrap());
    let request = CreateKeyRequest {
        name: "streamed".into(),
        subject: Some("user_stream".into()),
        scopes: Some(vec!["keys:read".into(), "keys:write".into()]),
        ..Default::default()
    };
    let new = request.parse(now_ms()).unwrap();
    let created = operations::create::create_key(&store, &prefix, &operator, new, now_ms())
        .await
        .unwrap();
    let hash = KeyHash::of_secret(created.secret.expose());
    let created_id = KeyId::parse(&created.key.id).unwrap();
    assert!(
        store
            .touch_last_used(&hash, now_ms(), 60_000)
            .await
            .unwrap()
    );

    let secrets = [created.secret.expose()];

    // A creation and a use: two records, nothing published, no call.
    let carried = carry(&mut stream, &bus, &stage, &secrets).await;
    assert_eq!(carried, (published(2, 0), vec![]));
    assert!(gateway.received().is_empty(), "{:?}", gateway.received());

    // Update, reroll (old key changed + successor created), revoke: one pair of flushes per
    // batch.
    let narrowed: UpdateKeyRequest =
        serde_json::from_value(json!({"scopes": ["keys:read"]})).unwrap();
    let narrowed = narrowed.parse(now_ms()).unwrap();
    operations::update::update_key(&store, &operator, &created_id, narrowed, now_ms())
        .await
        .unwrap();
    let carried = carry(&mut stream, &bus, &stage, &secrets).await;
    assert_eq!(carried, (published(1, 1), flushed(1)));
    let grace = 60_000;
    let successor =
        operations::reroll::reroll_key(&store, &prefix, &operator, &created_id, grace, now_ms())
            .await
            .unwrap();
    let successor_id = KeyId::parse(&successor.key.id).unwrap();
    let carried = carry(&mut stream, &bus, &stage, &secrets).await;
    assert_eq!(carried, (published(2, 1), flushed(1)));
    let revoke = Default::default();
    operations::revoke::revoke_key(
        &store,
        &operator,
        &successor_id,
        revoke,
        now_ms(),
        std::time::Instant::now() + std::time::Duration::from_secs(60),
    )
    .await
    .unwrap();
    let carried = carry(&mut stream, &bus, &stage, &secrets).await;
    assert_eq!(carried, (published(1, 1), flushed(1)));

    let calls = gateway.received();
    assert_eq!(calls.len(), 6, "{calls:?}");
    for call in calls {
        assert_eq!((call.method, call.path.as_str()), flush_call());
        // Signed for API Gateway in the configured region.
        assert_eq!(
            call.scope.as_deref(),
            Some("us-east-1/apigateway/aws4_request")
        );
    }
}

#[tokio::test]
async fn a_refused_flush_is_an_error_so_the_event_is_retried() {
    let gateway = Gateway::start().await;
    let stage = gateway.stage().await;
    stage.flush().await.expect("202 is a flush");
    assert_eq!(gateway.received().len(), 1);

    // Not found (a wrong stage): not retried by the SDK, an error for Lambda.
    gateway.status.store(404, Ordering::SeqCst);
    let e = stage.flush().await.unwrap_err();
    assert!(
        e.to_string().contains("stage prod of REST API abc123"),
        "{e}"
    );
    assert_eq!(gateway.received().len(), 2);

    // Throttled: the SDK retries (three attempts in all), then the event fails.
    gateway.status.store(429, Ordering::SeqCst);
    let revoked: KeyChangesEvent = serde_json::from_value(json!({
        "detail-type": DETAIL_TYPE, "source": SOURCE,
        "detail": {"changes": [{"keyId": "key_1", "change": "removed"}]}
    }))
    .unwrap();
    assert!(
        on_key_changes(&revoked, &stage, SETTLE, Instant::now())
            .await
            .is_err()
    );
    assert_eq!(gateway.received().len(), 5);
    assert!(
        gateway
            .received()
            .iter()
            .all(|c| (c.method.clone(), c.path.as_str()) == flush_call())
    );
}

/// An HTTP API's stage: `ResetAuthorizersCache`, signed for API Gateway, twice per event;
/// refused, an error as for a REST API.
#[tokio::test]
async fn an_http_api_stage_is_reset_with_its_own_call() {
    let gateway = Gateway::start().await;
    gateway.status.store(204, Ordering::SeqCst);
    let stage = gateway.http_stage().await;
    let revoked: KeyChangesEvent = serde_json::from_value(json!({
        "detail-type": DETAIL_TYPE, "source": SOURCE,
        "detail": {"changes": [{"keyId": "key_1", "change": "revoked"}]}
    }))
    .unwrap();
    let report = on_key_changes(&revoked, &stage, SETTLE, Instant::now())
        .await
        .unwrap();
    assert!(report.flushed);
    let calls = gateway.received();
    assert_eq!(calls.len(), 2, "{calls:?}");
    for call in calls {
        assert_eq!((call.method, call.path.as_str()), reset_call());
        assert_eq!(
            call.scope.as_deref(),
            Some("us-east-1/apigateway/aws4_request")
        );
    }
    gateway.status.store(404, Ordering::SeqCst);
    let e = stage.flush().await.unwrap_err();
    assert!(
        e.to_string().contains("stage prod of HTTP API abc123"),
        "{e}"
    );
}

#[tokio::test]
#[ignore = "needs moto's server; scripts/test provides it"]
async fn the_rule_takes_only_key_changes_from_the_bus() {
    let bus = Bus::start().await;
    let entry = |source: &str, detail_type: &str| {
        aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .event_bus_name(&bus.name)
            .source(source)
            .detail_type(detail_type)
            .detail(r#"{"changes": []}"#)
            .build()
    };
    let sent = bus
        .events
        .put_events()
        .entries(entry("another.app", DETAIL_TYPE))
        .entries(entry(SOURCE, "Something else"))
        .entries(entry(SOURCE, DETAIL_TYPE))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.failed_entry_count(), 0);
    let delivered = bus.delivered().await;
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    let event: serde_json::Value = serde_json::from_str(&delivered[0].1).unwrap();
    assert_eq!(
        (&event["source"], &event["detail-type"]),
        (&json!(SOURCE), &json!(DETAIL_TYPE))
    );
}

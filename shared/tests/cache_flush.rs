//! The authorizer-cache flush: the records moto's DynamoDB stream gives for our own writes
//! go through `cache_flush::on_key_changes`, which calls API Gateway's
//! `FlushStageAuthorizersCache` through the real SDK client, here against a stand-in
//! management endpoint on loopback that records what it receives.

mod support;

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use keyauth::domain::caller::Caller;
use keyauth::domain::clock::now_ms;
use keyauth::domain::hashing::KeyHash;
use keyauth::domain::ids::KeyId;
use keyauth::domain::key_format::KeyPrefix;
use keyauth::edge::cache_flush::{
    ApiGatewayStage, FlushReport, StageCache, StreamEvent, on_key_changes,
};
use keyauth::edge::wire::{CreateKeyRequest, UpdateKeyRequest};
use keyauth::operations;
use keyauth::store::UsageRecorder;
use keyauth::store::dynamo::{DynamoStore, sdk_config};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

/// What the stand-in endpoint received: method, path, and the SigV4 credential scope
/// (region and service).
#[derive(Debug, Clone, PartialEq)]
struct Received {
    method: Method,
    path: String,
    scope: Option<String>,
}

/// A stand-in for API Gateway's management endpoint: answers every request with
/// `status` (and the error's name, as API Gateway does) and records it.
#[derive(Clone)]
struct Gateway {
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    url: String,
}

impl Gateway {
    async fn start() -> Self {
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

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The stage `prod` of REST API `abc123`, through the SDK's client with the tests'
    /// configuration (own credentials and region, so it runs anywhere), at this endpoint.
    async fn stage(&self) -> ApiGatewayStage {
        use aws_sdk_apigateway::config::{Credentials, Region};
        let config = aws_sdk_apigateway::config::Builder::from(&sdk_config().await)
            .credentials_provider(Credentials::new("local", "local", None, None, "test"))
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .build();
        let client = aws_sdk_apigateway::Client::from_conf(config);
        ApiGatewayStage::new(client, "abc123".into(), "prod".into())
    }
}

fn flush_call() -> (Method, &'static str) {
    (
        Method::DELETE,
        "/restapis/abc123/stages/prod/cache/authorizers",
    )
}

/// moto's DynamoDB Streams API, spoken in its JSON protocol (the records it returns are
/// the records Lambda passes on, in the same shape).
struct Stream {
    http: reqwest::Client,
    endpoint: String,
    iterator: String,
}

impl Stream {
    async fn call(http: &reqwest::Client, endpoint: &str, action: &str, body: Value) -> Value {
        http.post(endpoint)
            .header("x-amz-target", format!("DynamoDBStreams_20120810.{action}"))
            .header("content-type", "application/x-amz-json-1.0")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Turns on a `NEW_AND_OLD_IMAGES` stream on the store's keys table (as the template
    /// does) and opens it at its start.
    async fn open(store: &DynamoStore) -> Self {
        use aws_sdk_dynamodb::types::{StreamSpecification, StreamViewType};
        let table = &store.tables().keys;
        let spec = StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(StreamViewType::NewAndOldImages)
            .build()
            .unwrap();
        let client = store.client();
        client
            .update_table()
            .table_name(table)
            .stream_specification(spec)
            .send()
            .await
            .expect("stream enabled");
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap();
        let arn = described
            .table()
            .unwrap()
            .latest_stream_arn()
            .unwrap()
            .to_owned();
        let (http, endpoint) = (reqwest::Client::new(), support::require_endpoint());
        let description = Self::call(
            &http,
            &endpoint,
            "DescribeStream",
            json!({"StreamArn": arn}),
        )
        .await;
        let shard = description["StreamDescription"]["Shards"][0]["ShardId"].clone();
        let opened = Self::call(
            &http,
            &endpoint,
            "GetShardIterator",
            json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
        )
        .await;
        let iterator = opened["ShardIterator"].as_str().unwrap().to_owned();
        Self {
            http,
            endpoint,
            iterator,
        }
    }

    /// The next batch through the flush, as the function would handle it.
    async fn flush_next(&mut self, stage: &ApiGatewayStage) -> FlushReport {
        let batch = self.next_batch().await;
        on_key_changes(&batch, stage, SETTLE).await.unwrap()
    }

    /// The records written since the last batch, as the event Lambda would deliver.
    async fn next_batch(&mut self) -> StreamEvent {
        let page = Self::call(
            &self.http,
            &self.endpoint,
            "GetRecords",
            json!({"ShardIterator": self.iterator}),
        )
        .await;
        self.iterator = page["NextShardIterator"].as_str().unwrap().to_owned();
        serde_json::from_value(json!({"Records": page["Records"]})).expect("a Lambda stream event")
    }
}

/// The tests' time between a batch's two flushes (the function's is `cache_flush::SETTLE`).
const SETTLE: std::time::Duration = std::time::Duration::from_millis(20);

fn report(records: usize, changes: usize) -> FlushReport {
    FlushReport {
        records,
        changes,
        flushed: changes > 0,
    }
}

#[tokio::test]
#[ignore = "needs moto's server; scripts/test provides it"]
async fn our_writes_flush_the_stage_for_every_change_but_creation_and_use() {
    let store = support::dynamo_store().await;
    let mut stream = Stream::open(&store).await;
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

    // A creation and a use: two records, no flush, no call.
    assert_eq!(stream.flush_next(&stage).await, report(2, 0));
    assert!(gateway.received().is_empty(), "{:?}", gateway.received());

    // Update, reroll (old key changed + successor created), revoke: one pair of flushes per
    // batch.
    let narrowed: UpdateKeyRequest =
        serde_json::from_value(json!({"scopes": ["keys:read"]})).unwrap();
    let narrowed = narrowed.parse(now_ms()).unwrap();
    operations::update::update_key(&store, &operator, &created_id, narrowed, now_ms())
        .await
        .unwrap();
    assert_eq!(stream.flush_next(&stage).await, report(1, 1));
    let grace = 60_000;
    let successor =
        operations::reroll::reroll_key(&store, &prefix, &operator, &created_id, grace, now_ms())
            .await
            .unwrap();
    let successor_id = KeyId::parse(&successor.key.id).unwrap();
    assert_eq!(stream.flush_next(&stage).await, report(2, 1));
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
    assert_eq!(stream.flush_next(&stage).await, report(1, 1));

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
async fn a_refused_flush_is_an_error_so_the_batch_is_retried() {
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

    // Throttled: the SDK retries (three attempts in all), then the batch fails.
    gateway.status.store(429, Ordering::SeqCst);
    let revoked: StreamEvent = serde_json::from_value(json!({"Records": [{
        "eventID": "1", "eventName": "REMOVE", "awsRegion": "us-east-1", "dynamodb": {
            "Keys": {"keyHash": {"S": "h"}}, "OldImage": {"id": {"S": "key_1"}}, "SizeBytes": 1}
    }]}))
    .unwrap();
    assert!(on_key_changes(&revoked, &stage, SETTLE).await.is_err());
    assert_eq!(gateway.received().len(), 5);
    assert!(
        gateway
            .received()
            .iter()
            .all(|c| (c.method.clone(), c.path.as_str()) == flush_call())
    );
}

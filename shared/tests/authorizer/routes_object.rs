//! A routes document kept in S3 (moto's, under `scripts/test`): read once when the
//! authorizer starts, a pinned version read as pinned, and every object it cannot use a
//! failed start, never an authorizer without routes.

use super::{create, method_arn, rest_event, statements};
use aws_sdk_s3::primitives::ByteStream;
use keyauth::domain::clock::now_ms;
use keyauth::edge::authorizer::routes_object::MAX_DOCUMENT_BYTES;
use keyauth::edge::authorizer::{self, AuthorizerSettings, RoutesError, RoutesObjectError};
use keyauth::edge::config::Config;
use keyauth::emulation::policy_evaluation as policy;
use keyauth::store::dynamo::sdk_config;
use keyauth::store::memory::MemoryStore;

/// Fails unless `result` is an error matching `pattern`.
macro_rules! assert_refused {
    ($result:expr, $pattern:pat) => {{
        let result = $result;
        assert!(matches!(result, Err($pattern)), "{result:?}");
    }};
}

const ORDERS: &str = include_str!("../../../examples/python-orders/routes.yaml");
const OTHER: &str = "routes:\n  - {method: GET, path: /orders, scope: orders:admin}\n";

/// moto's S3 (the test script points `AWS_ENDPOINT_URL_S3` at it) and a bucket of this
/// test's own, versioned.
async fn bucket() -> (aws_sdk_s3::Client, String) {
    std::env::var("AWS_ENDPOINT_URL_S3")
        .expect("AWS_ENDPOINT_URL_S3 is not set: run scripts/test, which starts moto's S3");
    let client = aws_sdk_s3::Client::new(&sdk_config().await);
    let nanos = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .unwrap()
        .as_nanos();
    let bucket = format!("routes-{nanos}");
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    let enabled = aws_sdk_s3::types::VersioningConfiguration::builder()
        .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
        .build();
    client
        .put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(enabled)
        .send()
        .await
        .unwrap();
    (client, bucket)
}

/// Puts `body` at `key`, returning the version S3 gave it.
async fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) -> String {
    let output = client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap();
    output.version_id().expect("a versioned bucket").to_owned()
}

async fn load(
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<AuthorizerSettings, RoutesError> {
    let config = Config::from_lookup(|name| match name {
        "ROUTES_DOCUMENT_BUCKET" => Some(bucket.to_owned()),
        "ROUTES_DOCUMENT_KEY" => Some(key.to_owned()),
        "ROUTES_DOCUMENT_VERSION" => version.map(str::to_owned),
        "AUTHORIZER_CACHE_TTL" => Some("300".to_owned()),
        _ => None,
    })
    .unwrap();
    AuthorizerSettings::load(&config).await
}

/// Whether a key holding `scope` is let through `GET /orders` under `settings`.
async fn lets_scope_list_orders(settings: &AuthorizerSettings, scope: &str) -> bool {
    let store = MemoryStore::new();
    let (_, key) = create(&store, "team_a", &[scope]).await;
    let event = rest_event("GET", "/orders", Some(&key));
    let answer = authorizer::handle(&store, settings, event, now_ms())
        .await
        .unwrap();
    let answer = serde_json::to_value(answer).unwrap();
    policy::allows(&statements(&answer), &method_arn("GET", "/orders"))
}

#[tokio::test]
#[ignore = "needs moto's S3; scripts/test provides it"]
async fn the_authorizer_enforces_a_document_read_from_s3_and_a_pinned_version_as_pinned() {
    let (client, bucket) = bucket().await;
    let first = put(&client, &bucket, "orders/routes.yaml", ORDERS.into()).await;
    put(&client, &bucket, "orders/routes.yaml", OTHER.into()).await;

    let pinned = load(&bucket, "orders/routes.yaml", Some(&first))
        .await
        .unwrap();
    assert_eq!(pinned.routes.table().routes().len(), 5);
    assert!(lets_scope_list_orders(&pinned, "orders:read").await);
    assert!(!lets_scope_list_orders(&pinned, "orders:admin").await);

    // Unpinned, the newest version is the one enforced.
    let newest = load(&bucket, "orders/routes.yaml", None).await.unwrap();
    assert_eq!(newest.routes.table().routes().len(), 1);
    assert!(!lets_scope_list_orders(&newest, "orders:read").await);
    assert!(lets_scope_list_orders(&newest, "orders:admin").await);
}

#[tokio::test]
#[ignore = "needs moto's S3; scripts/test provides it"]
async fn an_object_the_authorizer_cannot_use_fails_its_start() {
    let (client, bucket) = bucket().await;
    let missing = load(&bucket, "nothing/here.yaml", None).await;
    assert_refused!(missing, RoutesError::Object(RoutesObjectError::Read { .. }));
    let no_bucket = load(&format!("{bucket}-gone"), "routes.yaml", None).await;
    assert_refused!(
        no_bucket,
        RoutesError::Object(RoutesObjectError::Read { .. })
    );
    let version = put(&client, &bucket, "routes.yaml", ORDERS.into()).await;
    let wrong_version = load(&bucket, "routes.yaml", Some(&format!("{version}x"))).await;
    assert_refused!(
        wrong_version,
        RoutesError::Object(RoutesObjectError::Read { .. })
    );

    let mut large = ORDERS.as_bytes().to_vec();
    large.resize(MAX_DOCUMENT_BYTES + 1, b'\n');
    put(&client, &bucket, "large.yaml", large).await;
    let large = load(&bucket, "large.yaml", None).await;
    assert_refused!(large, RoutesError::Object(RoutesObjectError::TooLarge(_)));

    put(&client, &bucket, "binary.yaml", vec![b'r', 0xff, 0xfe]).await;
    let binary = load(&bucket, "binary.yaml", None).await;
    assert_refused!(binary, RoutesError::Object(RoutesObjectError::NotText(_)));

    let wrong = ORDERS.replace("orders:read", "Orders Read");
    put(&client, &bucket, "wrong.yaml", wrong.into()).await;
    let wrong = load(&bucket, "wrong.yaml", None).await;
    assert_refused!(wrong, RoutesError::Document(_));

    // A document just under the limit is read whole.
    let mut padded = ORDERS.as_bytes().to_vec();
    padded.resize(MAX_DOCUMENT_BYTES, b'\n');
    put(&client, &bucket, "padded.yaml", padded).await;
    let padded = load(&bucket, "padded.yaml", None).await.unwrap();
    assert_eq!(padded.routes.table().routes().len(), 5);
}

#[test]
fn an_s3_source_is_not_read_by_the_synchronous_start() {
    let config = Config::from_lookup(|name| match name {
        "ROUTES_DOCUMENT_BUCKET" => Some("b".to_owned()),
        "ROUTES_DOCUMENT_KEY" => Some("routes.yaml".to_owned()),
        _ => None,
    })
    .unwrap();
    let unread = AuthorizerSettings::of(&config);
    assert_refused!(unread, RoutesError::Object(RoutesObjectError::Unread(_)));
}

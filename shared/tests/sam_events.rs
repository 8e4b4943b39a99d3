//! AWS's own sample events, as `sam local generate-event apigateway|dynamodb …` writes them
//! (`scripts/test` generates them into `SAM_SAMPLE_EVENTS`), deserialize and are handled:
//! our code accepts the real shapes, not only the events we wrote ourselves.

mod support;

use keyauth::domain::clock::now_ms;
use keyauth::edge::authorizer::AuthorizerSettings;
use keyauth::edge::authorizer::{self, AuthorizerError};
use keyauth::edge::config::Config;
use keyauth::edge::handlers;
use keyauth::edge::wire::CreateKeyRequest;
use keyauth::operations;
use keyauth::store::memory::MemoryStore;
use serde_json::{Value, json};
use std::path::PathBuf;

fn sample(name: &str) -> Value {
    let dir = std::env::var("SAM_SAMPLE_EVENTS").expect(
        "SAM_SAMPLE_EVENTS is not set: run scripts/test, which generates the samples with sam",
    );
    let path = PathBuf::from(dir).join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

async fn store_with_key(scopes: &[&str]) -> (MemoryStore, String) {
    let store = MemoryStore::new();
    let caller = keyauth::domain::caller::Caller::operator("test");
    let req = CreateKeyRequest {
        name: "sample".into(),
        subject: Some("user_sample".into()),
        scopes: Some(scopes.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    };
    let config = Config::from_lookup(|_| None).unwrap();
    let new = req.parse(now_ms()).unwrap();
    let issued = operations::create::create_key(&store, &config.key_prefix, &caller, new, now_ms())
        .await
        .unwrap();
    (store, issued.secret.into_inner())
}

#[tokio::test]
#[ignore = "needs sam-generated samples; scripts/test provides them"]
async fn request_authorizer_sample_is_handled() {
    let (store, secret) = store_with_key(&["keys:read"]).await;
    let prefix = Config::from_lookup(|_| None).unwrap().key_prefix;
    let event = sample("request-authorizer.json");
    // As generated it carries no x-api-key: refused, not an error.
    let refused = authorizer::handle(
        &store,
        &AuthorizerSettings::uncached(prefix.clone()),
        event.clone(),
        now_ms(),
    )
    .await;
    assert!(
        matches!(refused, Err(AuthorizerError::Unauthorized)),
        "{refused:?}"
    );
    let mut with_key = event;
    with_key["headers"]["X-Api-Key"] = json!(secret);
    let answer = authorizer::handle(
        &store,
        &AuthorizerSettings::uncached(prefix.clone()),
        with_key.clone(),
        now_ms(),
    )
    .await
    .map(|a| serde_json::to_value(a).unwrap())
    .unwrap();
    assert_eq!(answer["principalId"], "user_sample");
    // The policy is built on the sample's own API and stage.
    let api_stage = with_key["methodArn"]
        .as_str()
        .unwrap()
        .rsplitn(3, '/')
        .last()
        .unwrap()
        .to_owned();
    // With the cache off the answer is for the sample's own method ARN: a route this API
    // lacks, so denied.
    let statement = &answer["policyDocument"]["Statement"][0];
    assert_eq!(statement["Resource"], json!([with_key["methodArn"]]));
    assert_eq!(statement["Effect"], "Deny");
    // Behind the cache the key's policy covers its routes on the sample's API and stage.
    let cached = authorizer::handle(
        &store,
        &AuthorizerSettings::cached(prefix),
        with_key,
        now_ms(),
    )
    .await
    .map(|a| serde_json::to_value(a).unwrap())
    .unwrap();
    let resources = cached["policyDocument"]["Statement"][0]["Resource"].to_string();
    assert!(
        resources.contains(&format!("{api_stage}/GET/keys")),
        "{resources}"
    );
}

#[tokio::test]
#[ignore = "needs sam-generated samples; scripts/test provides them"]
async fn token_authorizer_sample_is_refused_as_unsupported() {
    let (store, _) = store_with_key(&["keys:read"]).await;
    let prefix = Config::from_lookup(|_| None).unwrap().key_prefix;
    let result = authorizer::handle(
        &store,
        &AuthorizerSettings::uncached(prefix.clone()),
        sample("authorizer.json"),
        now_ms(),
    )
    .await;
    assert!(
        matches!(result, Err(AuthorizerError::UnsupportedEvent(_))),
        "{result:?}"
    );
}

#[tokio::test]
#[ignore = "needs sam-generated samples; scripts/test provides them"]
async fn rest_proxy_sample_reaches_the_handlers() {
    let (store, _) = store_with_key(&["keys:read"]).await;
    let config = Config::from_lookup(|_| None).unwrap();
    let event = sample("aws-proxy.json");
    // As generated: a route no function serves.
    let req = lambda_http::request::from_str(&event.to_string()).unwrap();
    let (status, body) = support::parts(handlers::manage_keys(&store, &config, req).await);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    // The same real event, routed to GET /keys with an authorizer context.
    let mut event = event;
    event["resource"] = json!("/keys");
    event["path"] = json!("/keys");
    event["httpMethod"] = json!("GET");
    event["requestContext"]["resourcePath"] = json!("/keys");
    event["requestContext"]["httpMethod"] = json!("GET");
    event["requestContext"]["authorizer"] = json!({
        "principalId": "user_sample", "keyId": "key_0Sample000000000000000", "subject": "user_sample",
        "scopes": "keys:read", "claims": "{}", "tokenType": "api_key"
    });
    event["queryStringParameters"] = Value::Null;
    event["multiValueQueryStringParameters"] = Value::Null;
    let req = lambda_http::request::from_str(&event.to_string()).unwrap();
    let (status, body) = support::parts(handlers::manage_keys(&store, &config, req).await);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0]["subject"], "user_sample");
}

#[tokio::test]
#[ignore = "needs sam-generated samples; scripts/test provides them"]
async fn http_api_sample_with_a_lambda_authorizer_context_reaches_the_handlers() {
    let store = MemoryStore::new();
    let mut event = sample("http-api-proxy.json");
    event["routeKey"] = json!("POST /products");
    event["rawPath"] = json!("/products");
    event["requestContext"]["routeKey"] = json!("POST /products");
    event["requestContext"]["http"]["method"] = json!("POST");
    event["requestContext"]["http"]["path"] = json!("/products");
    event["requestContext"]["authorizer"] = json!({"lambda": {
        "keyId": "key_0Sample000000000000000", "subject": "user_sample",
        "scopes": "products:write", "claims": "{}", "tokenType": "api_key"
    }});
    event["headers"]["content-type"] = json!("application/json");
    event["body"] = json!(r#"{"name":"Widget","price":2.5}"#);
    event["isBase64Encoded"] = json!(false);
    let req = lambda_http::request::from_str(&event.to_string()).unwrap();
    let (status, body) = support::parts(handlers::create_product(&store, req).await);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["ownerId"], "user_sample");
}

/// A DynamoDB stream batch (insert, modify, remove) as AWS samples it: a modification and
/// a removal are changes, the insert is not; one event on the bus for the batch, and one
/// pair of flushes for that event.
#[tokio::test]
#[ignore = "needs sam-generated samples; scripts/test provides them"]
async fn dynamodb_stream_sample_is_handled() {
    use keyauth::edge::cache_flush::{self, FlushError, KeyChangesEvent, StageCache};
    use keyauth::edge::key_changes::{self, ChangeBus, PublishError, StreamEvent};
    use keyauth::edge::wire::key_changes::KeyChangesDetail;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    struct Counting(AtomicUsize);
    #[async_trait::async_trait]
    impl StageCache for Counting {
        async fn flush(&self) -> Result<(), FlushError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }
    struct Kept(Mutex<Vec<KeyChangesDetail>>);
    #[async_trait::async_trait]
    impl ChangeBus for Kept {
        async fn publish(&self, detail: &KeyChangesDetail) -> Result<(), PublishError> {
            self.0.lock().unwrap().push(detail.clone());
            Ok(())
        }
    }
    let event: StreamEvent = serde_json::from_value(sample("dynamodb-update.json")).unwrap();
    let names: Vec<&str> = event
        .records
        .iter()
        .map(|r| r.event_name.as_str())
        .collect();
    assert_eq!(names, ["INSERT", "MODIFY", "REMOVE"]);
    let bus = Kept(Mutex::new(Vec::new()));
    let report = key_changes::on_stream_batch(&event, &bus).await.unwrap();
    assert_eq!(
        (report.records, report.changes, report.published),
        (3, 2, 1)
    );
    let detail = bus.0.lock().unwrap().pop().unwrap();
    let delivered: KeyChangesEvent = serde_json::from_value(json!({
        "detail-type": "Key changes", "source": "keyauth", "detail": detail,
    }))
    .unwrap();
    let cache = Counting(AtomicUsize::new(0));
    let settle = std::time::Duration::ZERO;
    let report =
        cache_flush::on_key_changes(&delivered, &cache, settle, tokio::time::Instant::now())
            .await
            .unwrap();
    assert_eq!((report.changes, report.flushed), (2, true));
    assert_eq!(
        cache.0.load(Ordering::SeqCst),
        2,
        "a flush, and one more after the settle"
    );
}

//! Helpers shared by the integration tests: records and a DynamoDB store on the
//! endpoints the test script started (moto's server, with transactions, as
//! `AWS_ENDPOINT_URL_DYNAMODB`; dynalite as `DYNALITE_ENDPOINT`), with tables of its own
//! per test.
#![allow(dead_code)]

use keyauth::domain::audit::{self, EventType, KeyEvent};
use keyauth::domain::hashing::KeyHash;
use keyauth::domain::key::{ApiKeyRecord, Claims};
use keyauth::domain::key_format::KeyPrefix;
use keyauth::edge::config::TableNames;
use keyauth::store::dynamo::{DynamoStore, sdk_config};
use keyauth::store::tables::ensure_tables;

pub fn record(subject: &str, name: &str, created_at: i64) -> ApiKeyRecord {
    let prefix = KeyPrefix::new("sk_test").unwrap();
    let secret = prefix.generate().unwrap();
    ApiKeyRecord {
        key_hash: KeyHash::of_secret(secret.expose()),
        id: keyauth::domain::ids::new_key_id().unwrap(),
        name: name.to_owned(),
        description: None,
        subject: subject.to_owned(),
        created_by: None,
        scopes: vec!["keys:read".into()],
        claims: Claims::new(),
        created_at,
        updated_at: created_at,
        expiration: None,
        revoked: false,
        revoked_at: None,
        revocation_reason: None,
        last_used_at: None,
        start: prefix.parse(secret.expose()).unwrap().start().to_owned(),
        rerolled_from: None,
        rerolled_to: None,
        ratelimit: None,
        credits: None,
        limits_id: None,
        inherited_limits: false,
    }
}

/// The `created` event of a key a test stores directly, made by a test operator.
pub fn created_event(key: &ApiKeyRecord) -> KeyEvent {
    event_of(key, EventType::Created, key.created_at, None)
}

/// An event of `kind` on `key` at `at`, from `before` to `key`, by a test operator.
pub fn event_of(
    key: &ApiKeyRecord,
    kind: EventType,
    at: i64,
    before: Option<&ApiKeyRecord>,
) -> KeyEvent {
    let actor = keyauth::domain::caller::Caller::operator("test");
    KeyEvent::new(&key.id, kind, at, &actor, audit::between(before, key)).unwrap()
}

/// Stores a key with a plain `PutItem`, for endpoints without transactions (dynalite):
/// what the read path (authorizer, verify) needs, without its audit event.
pub async fn put_plain(store: &DynamoStore, key: &ApiKeyRecord) {
    store
        .client()
        .put_item()
        .table_name(&store.tables().keys)
        .set_item(Some(
            serde_dynamo::aws_sdk_dynamodb_1::to_item(key).unwrap(),
        ))
        .send()
        .await
        .expect("plain put");
}

pub fn require_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect(
        "AWS_ENDPOINT_URL_DYNAMODB is not set: run scripts/test, which starts a local DynamoDB",
    )
}

/// Fresh, uniquely named tables on the local endpoint, created by the crate's own
/// `ensure_tables`, so tests running in parallel never see each other's items.
pub async fn dynamo_tables() -> (aws_sdk_dynamodb::Client, TableNames) {
    require_endpoint();
    fresh_tables(aws_sdk_dynamodb::Client::new(&sdk_config().await)).await
}

async fn fresh_tables(client: aws_sdk_dynamodb::Client) -> (aws_sdk_dynamodb::Client, TableNames) {
    let suffix = keyauth::domain::ids::new_product_id().unwrap();
    let tables = TableNames {
        keys: format!("keys-{suffix}"),
        events: format!("events-{suffix}"),
        products: format!("products-{suffix}"),
        usage: format!("usage-{suffix}"),
    };
    ensure_tables(&client, &tables)
        .await
        .expect("tables created");
    (client, tables)
}

pub async fn dynamo_store() -> DynamoStore {
    let (client, tables) = dynamo_tables().await;
    DynamoStore::new(client, tables)
}

/// The endpoint of dynalite, which `scripts/test` starts beside moto's server: a second
/// implementation of DynamoDB's API for the calls that need no transaction.
pub fn require_dynalite_endpoint() -> String {
    std::env::var("DYNALITE_ENDPOINT")
        .expect("DYNALITE_ENDPOINT is not set: run scripts/test, which starts dynalite")
}

/// A store on fresh tables of dynalite.
pub async fn dynalite_store() -> DynamoStore {
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await)
        .endpoint_url(require_dynalite_endpoint())
        .build();
    let (client, tables) = fresh_tables(aws_sdk_dynamodb::Client::from_conf(config)).await;
    DynamoStore::new(client, tables)
}

/// A store whose endpoint has nothing listening.
pub async fn dead_dynamo_store() -> DynamoStore {
    let config = sdk_config().await;
    let dead = aws_sdk_dynamodb::config::Builder::from(&config)
        .endpoint_url(format!("http://127.0.0.1:{}", closed_port()))
        .build();
    DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(dead),
        TableNames {
            keys: "keys".into(),
            events: "events".into(),
            products: "products".into(),
            usage: "usage".into(),
        },
    )
}

/// A loopback port that was free a moment ago and is closed now.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

pub mod counting;

/// One test per case on each store: in memory, and on moto's server (`#[ignore]`d for a bare
/// `cargo test`; the test script runs it). The caller's module holds the cases (each an
/// `async fn(&dyn Store)`), `MemoryStore` and `dynamo_store`.
#[allow(unused_macros)] // used by some of the test crates that include this module
macro_rules! on_every_store {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(&super::MemoryStore::new()).await;
                }
            )*
        }
        mod moto {
            $(
                #[tokio::test]
                #[ignore = "needs moto's DynamoDB server; scripts/test provides one"]
                async fn $case() {
                    super::$case(&super::dynamo_store().await).await;
                }
            )*
        }
    };
}

/// A store wrapper's `CascadeJournal`, handed to its `inner` store unchanged.
#[allow(unused_macros)]
macro_rules! delegate_cascade_journal {
    ($wrapper:ty) => {
        #[async_trait::async_trait]
        impl keyauth::store::CascadeJournal for $wrapper {
            async fn save_cascade(
                &self,
                root: &keyauth::domain::hashing::KeyHash,
                job: &keyauth::domain::cascade::CascadeJob,
                state: keyauth::domain::cascade::CascadeState,
                replacing: Option<&str>,
            ) -> keyauth::store::StoreResult<bool> {
                self.inner.save_cascade(root, job, state, replacing).await
            }
            async fn cascade_of(
                &self,
                root: &keyauth::domain::hashing::KeyHash,
            ) -> keyauth::store::StoreResult<
                Option<(
                    keyauth::domain::cascade::CascadeJob,
                    keyauth::domain::cascade::CascadeState,
                )>,
            > {
                self.inner.cascade_of(root).await
            }
            async fn finish_cascade(
                &self,
                root: &keyauth::domain::hashing::KeyHash,
                job: &keyauth::domain::cascade::CascadeJob,
                event: &keyauth::domain::audit::KeyEvent,
            ) -> keyauth::store::StoreResult<bool> {
                self.inner.finish_cascade(root, job, event).await
            }
        }
    };
}

/// The secrets baked into `events/`: example keys that exist only where a test seeds them.
pub mod event_keys {
    pub const VALID: &str = "sk_live_EXAMPLEvalidKeyForEventsOnly00000000000000002jyvDC";
    pub const REVOKED: &str = "sk_live_EXAMPLErevokedKeyForEventsOnly000000000000002RVhZO";
    pub const EXPIRED: &str = "sk_live_EXAMPLEexpiredKeyForEventsOnly000000000000002GTW2d";
    pub const ALICE_KEY_ID: &str = "key_0AliceExampleKey000001";
    pub const BOB_KEY_ID: &str = "key_0BobExampleKey00000002";
}

/// Seeds the keys the events refer to.
pub async fn seed_event_keys(store: &dyn keyauth::store::KeyStore) {
    use event_keys::*;
    let now = keyauth::domain::clock::now_ms();
    let with = |secret: &str, id: Option<&str>, subject: &str| {
        let mut r = record(subject, "seeded", now - 10_000);
        if !secret.is_empty() {
            r.key_hash = KeyHash::of_secret(secret);
            r.start = secret[..12].to_owned();
        }
        if let Some(id) = id {
            r.id = id.to_owned();
        }
        r.scopes = vec!["keys:read".into(), "products:write".into()];
        r
    };
    let mut expired = with(EXPIRED, None, "user_alice");
    expired.expiration = Some(now - 1_000);
    let mut revoked = with(REVOKED, None, "user_alice");
    revoked.revoked = true;
    revoked.revoked_at = Some(now - 5_000);
    for key in [
        with(VALID, None, "user_alice"),
        revoked,
        expired,
        with("", Some(ALICE_KEY_ID), "user_alice"),
        with("", Some(BOB_KEY_ID), "user_bob"),
    ] {
        match store.put_new(&key, &created_event(&key)).await {
            // Re-seeding the same table is harmless.
            Ok(()) | Err(keyauth::store::error::StoreError::AlreadyExists) => {}
            Err(e) => panic!("seed: {e}"),
        }
    }
}

/// Seeds a cascade waiting at the revoked example key (as a request that ran out of time
/// leaves it), with one live key below it. Returns that key.
pub async fn seed_waiting_cascade(store: &dyn keyauth::store::KeyStore) -> ApiKeyRecord {
    use keyauth::domain::cascade::{CascadeJob, CascadeOutcome, CascadeState};
    let root = store
        .get_by_hash(&KeyHash::of_secret(event_keys::REVOKED))
        .await
        .unwrap()
        .expect("the revoked example key is seeded");
    let mut below = record(
        "user_alice",
        "minted by the revoked key",
        root.created_at + 1,
    );
    below.created_by = Some(root.id.clone());
    store.put_new(&below, &created_event(&below)).await.unwrap();
    let job = CascadeJob {
        id: "evt_0ExampleCascade000000001".into(),
        root_id: root.id.clone(),
        actor: keyauth::domain::caller::Caller::operator("test"),
        reason: "parent revoked".into(),
        follow_rerolls: false,
        started_at: root.created_at + 2,
        rounds: 1,
        last_change_ms: 0,
        outcome: CascadeOutcome {
            in_progress: true,
            ..Default::default()
        },
    };
    store
        .save_cascade(&root.key_hash, &job, CascadeState::Pending, None)
        .await
        .unwrap();
    below
}

/// A REST proxy request as API Gateway hands it to a function after the authorizer,
/// built from an event JSON so that lambda_http fills in context, path and query.
pub fn request(
    method: &str,
    path_and_query: &str,
    body: Option<&serde_json::Value>,
    subject: &str,
    scopes: &str,
) -> lambda_http::Request {
    raw_request(
        method,
        path_and_query,
        body.map(|b| b.to_string()).as_deref(),
        Some("application/json"),
        Some((subject, scopes)),
    )
}

/// The authorizer context of a caller with these scopes (no claims, no expiry).
pub fn caller_context(subject: &str, scopes: &str) -> serde_json::Value {
    serde_json::json!({
        "principalId": subject, "keyId": "key_0TestCallerKey0000000001", "subject": subject,
        "scopes": scopes, "claims": "{}", "tokenType": "api_key", "expiration": ""
    })
}

pub fn raw_request(
    method: &str,
    path_and_query: &str,
    body: Option<&str>,
    content_type: Option<&str>,
    caller: Option<(&str, &str)>,
) -> lambda_http::Request {
    let context = caller.map(|(subject, scopes)| caller_context(subject, scopes));
    request_with_context(method, path_and_query, body, content_type, context)
}

/// A proxy request with any authorizer context (or none), built by the same emulation
/// of API Gateway the local server uses.
pub fn request_with_context(
    method: &str,
    path_and_query: &str,
    body: Option<&str>,
    content_type: Option<&str>,
    authorizer: Option<serde_json::Value>,
) -> lambda_http::Request {
    let mut request = keyauth::emulation::events::GatewayRequest::new(method, path_and_query);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    request
        .proxy_request(authorizer)
        .expect("valid proxy event")
}

/// Status and JSON body of a function's response.
pub fn parts(response: lambda_http::Response<lambda_http::Body>) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let body = serde_json::from_slice(response.body().as_ref()).expect("JSON body");
    (status, body)
}

/// The deployment prefix the tests' keys use.
pub fn live_prefix() -> KeyPrefix {
    KeyPrefix::new("sk_live").unwrap()
}

/// A caller holding every scope, for creating the keys a test needs.
pub fn admin_caller() -> keyauth::domain::caller::Caller {
    keyauth::domain::caller::Caller {
        key_id: "key_0Admin0000000000000000".into(),
        subject: "admin".into(),
        scopes: keyauth::domain::scopes::ALL.map(String::from).to_vec(),
        claims: Default::default(),
        expiration: None,
    }
}

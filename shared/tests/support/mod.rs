//! Helpers shared by the integration tests: records and a DynamoDB store on the
//! endpoint the test script started, with tables of its own per test.
#![allow(dead_code)]

use keyauth::config::TableNames;
use keyauth::hashing::KeyHash;
use keyauth::key_format::KeyPrefix;
use keyauth::model::{ApiKeyRecord, Claims};
use keyauth::store::dynamo::{DynamoStore, sdk_config};
use keyauth::store::tables::ensure_tables;

pub fn record(subject: &str, name: &str, created_at: i64) -> ApiKeyRecord {
    let prefix = KeyPrefix::new("sk_test").unwrap();
    let secret = prefix.generate().unwrap();
    ApiKeyRecord {
        key_hash: KeyHash::of_secret(secret.expose()),
        id: keyauth::ids::new_key_id().unwrap(),
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
    }
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
    let config = sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let suffix = keyauth::ids::new_product_id().unwrap();
    let tables = TableNames {
        keys: format!("keys-{suffix}"),
        products: format!("products-{suffix}"),
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
            products: "products".into(),
        },
    )
}

/// A loopback port that was free a moment ago and is closed now.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

//! The admin CLI against a real DynamoDB API (dynalite from `scripts/test`): bootstrap a
//! key, see it authorize, list, get and revoke it; and clear errors when the table,
//! the credentials or the input are wrong.

use keyauth::domain::clock::now_ms;
use keyauth::domain::hashing::KeyHash;
use keyauth::domain::key_format::KeyPrefix;
use keyauth::edge::config::TableNames;
use keyauth::operations::charge::charge;
use keyauth::store::KeyReader;
use keyauth::store::dynamo::{DynamoStore, sdk_config};
use serde_json::{Value, json};
use std::process::{Command, Output};

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect(
        "AWS_ENDPOINT_URL_DYNAMODB is not set: run scripts/test, which starts a local DynamoDB",
    )
}

/// Runs keyctl with the local endpoint and never the instance-metadata service.
fn keyctl(table: &str, args: &[&str], env: &[(&str, Option<&str>)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyctl"));
    cmd.args([
        "--table",
        table,
        "--products-table",
        &format!("{table}-products"),
        "--events-table",
        &format!("{table}-events"),
        "--usage-table",
        &format!("{table}-usage"),
    ])
    .args(args)
    .env("AWS_ENDPOINT_URL_DYNAMODB", endpoint())
    .env("AWS_EC2_METADATA_DISABLED", "true")
    .env("AWS_REGION", "us-east-1")
    .env("AWS_ACCESS_KEY_ID", "local")
    .env("AWS_SECRET_ACCESS_KEY", "local")
    .env_remove("AWS_PROFILE")
    .env("HOME", env!("CARGO_TARGET_TMPDIR"));
    for (name, value) in env {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    cmd.output().unwrap()
}

fn ok_json(out: Output) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "keyctl failed: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fails_with(out: Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected a failure");
    assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    assert!(out.stdout.is_empty(), "nothing on stdout on failure");
}

fn fresh_table() -> String {
    format!("cli-{}", keyauth::domain::ids::new_product_id().unwrap())
}

/// The tables keyctl was pointed at, as a function's store sees them.
async fn store_for(table: &str) -> DynamoStore {
    DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk_config().await),
        TableNames {
            keys: table.to_owned(),
            events: format!("{table}-events"),
            products: format!("{table}-products"),
            usage: format!("{table}-usage"),
        },
    )
}

#[tokio::test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
async fn bootstrap_a_key_then_list_get_and_revoke_it() {
    let table = fresh_table();
    ok_json(keyctl(&table, &["init-tables"], &[]));
    let created = ok_json(keyctl(
        &table,
        &[
            "create",
            "--name",
            "first admin",
            "--subject",
            "user_ops",
            "--scope",
            "keys:read",
            "--scope",
            "keys:admin",
            // A protected API's scope: the operator grants any valid one.
            "--scope",
            "orders:read",
            "--expires-in",
            "3600",
            "--claims",
            r#"{"team":"ops"}"#,
        ],
        &[],
    ));
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(KeyPrefix::new("sk_live").unwrap().parse(&secret).is_ok());
    assert_eq!(
        created["scopes"],
        json!(["keys:read", "keys:admin", "orders:read"])
    );
    assert_eq!(created["claims"], json!({"team": "ops"}));

    // The bootstrapped key is accepted by the authorizer against the same table.
    let store = store_for(&table).await;
    let event = json!({
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/keys",
        "headers": {"x-api-key": secret}, "requestContext": {}
    });
    let answer = keyauth::edge::authorizer::handle(
        &store,
        &keyauth::edge::authorizer::AuthorizerSettings::uncached(
            KeyPrefix::new("sk_live").unwrap(),
        ),
        event,
        now_ms(),
    )
    .await
    .map(|a| serde_json::to_value(a).unwrap())
    .expect("bootstrapped key authorizes");
    assert_eq!(answer["principalId"], "user_ops");

    let listed = ok_json(keyctl(&table, &["list", "--subject", "user_ops"], &[]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(
        !listed.to_string().contains(&secret),
        "list never shows the secret"
    );
    let got = ok_json(keyctl(&table, &["get", &id], &[]));
    assert_eq!(got["id"], id.as_str());
    assert!(got.get("secret").is_none());

    let revoked = ok_json(keyctl(
        &table,
        &["revoke", &id, "--reason", "bootstrap done"],
        &[],
    ));
    assert_eq!(revoked["revoked"], true);
    assert_eq!(revoked["revocationReason"], "bootstrap done");
    let listed = ok_json(keyctl(&table, &["list", "--subject", "user_ops"], &[]));
    assert!(listed.as_array().unwrap().is_empty());
    let listed = ok_json(keyctl(
        &table,
        &["list", "--subject", "user_ops", "--include-invalid"],
        &[],
    ));
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

/// keyctl shows the key object the API shows: `credits.remaining` is the live balance (what
/// the usage table holds now), not the balance the key was created with.
#[tokio::test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
async fn get_list_and_revoke_show_the_live_balance() {
    let table = fresh_table();
    ok_json(keyctl(&table, &["init-tables"], &[]));
    let args = [
        "create",
        "--name",
        "metered",
        "--subject",
        "user_meter",
        "--scope",
        "products:write",
        "--credits",
        "5",
    ];
    let created = ok_json(keyctl(&table, &args, &[]));
    assert_eq!(created["credits"]["remaining"], 5, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap();

    // Two requests spend two credits, as the authorizer charges them.
    let store = store_for(&table).await;
    let key = store
        .get_by_hash(&KeyHash::of_secret(secret))
        .await
        .unwrap()
        .unwrap();
    for _ in 0..2 {
        let charged = charge(&store, &key, 1, now_ms()).await.unwrap();
        assert_eq!(charged.refusal, None);
    }

    let got = ok_json(keyctl(&table, &["get", &id], &[]));
    assert_eq!(got["credits"]["remaining"], 3, "{got}");
    let listed = ok_json(keyctl(&table, &["list", "--subject", "user_meter"], &[]));
    assert_eq!(listed[0]["credits"]["remaining"], 3, "{listed}");
    let revoked = ok_json(keyctl(&table, &["revoke", &id], &[]));
    assert_eq!(revoked["revoked"], true);
    assert_eq!(revoked["credits"]["remaining"], 3, "{revoked}");
}

#[test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
fn clear_errors_for_missing_table_credentials_region_and_bad_input() {
    let missing = fresh_table();
    fails_with(
        keyctl(&missing, &["list", "--subject", "u"], &[]),
        &format!("table {missing} was not found"),
    );
    fails_with(
        keyctl(
            &missing,
            &["list", "--subject", "u"],
            &[("AWS_ACCESS_KEY_ID", None), ("AWS_SECRET_ACCESS_KEY", None)],
        ),
        "no AWS credentials",
    );
    fails_with(
        keyctl(
            &missing,
            &["list", "--subject", "u"],
            &[("AWS_REGION", None)],
        ),
        "no AWS region",
    );
    let table = fresh_table();
    ok_json(keyctl(&table, &["init-tables"], &[]));
    fails_with(
        keyctl(&table, &["create", "--name", " ", "--subject", "u"], &[]),
        "name",
    );
    fails_with(
        keyctl(
            &table,
            &[
                "create",
                "--name",
                "x",
                "--subject",
                "u",
                "--scope",
                "Bad Scope",
            ],
            &[],
        ),
        "scopes",
    );
    fails_with(
        keyctl(
            &table,
            &["create", "--name", "x", "--subject", "u", "--claims", "[1]"],
            &[],
        ),
        "--claims",
    );
    fails_with(
        keyctl(&table, &["get", "key_0000000000000000000000"], &[]),
        "no API key with this id",
    );
    fails_with(
        keyctl(
            &table,
            &["--prefix", "Bad-Prefix", "list", "--subject", "u"],
            &[],
        ),
        "--prefix",
    );
    let listed = ok_json(keyctl(&table, &["list", "--subject", "u"], &[]));
    assert!(
        listed.as_array().unwrap().is_empty(),
        "failed creates stored nothing"
    );
}

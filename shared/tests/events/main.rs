//! Every file in `events/` goes through the real handler of its function, against the
//! in-memory store and against DynamoDB, and must give the outcome `events/expectations.json`
//! gives it (the same file `scripts/sam-local` checks `sam local invoke` against). A new event
//! without an entry there (or an entry without its file) fails the suite.

mod expectations;
#[path = "../support/mod.rs"]
mod support;

use expectations::Expect::{self, *};
use expectations::{all_event_files, contains, events_dir, table};
use keyauth::domain::clock::now_ms;
use keyauth::domain::hashing::KeyHash;
use keyauth::edge::authorizer;
use keyauth::edge::authorizer::AuthorizerSettings;
use keyauth::edge::cache_flush::{self, KeyChangesEvent, StageCache};
use keyauth::edge::config::Config;
use keyauth::edge::handlers;
use keyauth::edge::key_changes::{self, ChangeBus, StreamEvent};
use keyauth::edge::wire::key_changes::KeyChangesDetail;
use keyauth::emulation::policy_evaluation;
use keyauth::store::memory::MemoryStore;
use keyauth::store::{KeyStore, ProductWriter};
use serde_json::Value;
use std::collections::BTreeSet;
use support::event_keys;

#[test]
fn every_event_file_has_an_expectation() {
    let files = all_event_files();
    let table: BTreeSet<String> = table().into_iter().map(|(f, _)| f).collect();
    assert_eq!(files, table, "events/ and events/expectations.json differ");
}

/// Runs one event and checks its outcome plus the invariants every answer keeps.
async fn run_event<S: KeyStore + ProductWriter>(store: &S, name: &str, expect: &Expect) {
    let config = Config::from_lookup(|_| None).unwrap();
    let raw = std::fs::read_to_string(events_dir().join(name)).unwrap();
    let function = name.split('/').next().unwrap();
    if function == "authorizer" {
        let event: Value = serde_json::from_str(&raw).unwrap();
        let method_arn = event["methodArn"].as_str().map(str::to_owned);
        // Checked in the serialised form API Gateway receives.
        let result = authorizer::handle(
            store,
            &AuthorizerSettings::of(&config).unwrap(),
            event,
            now_ms(),
        )
        .await
        .map(|answer| serde_json::to_value(answer).unwrap());
        match (expect, result) {
            (Unauthorized, Err(authorizer::AuthorizerError::Unauthorized)) => {}
            (Allow(principal), Ok(answer)) => {
                let response: aws_lambda_events::apigw::ApiGatewayCustomAuthorizerResponse =
                    serde_json::from_value(answer.clone()).unwrap();
                let statements = policy_evaluation::statements_of(&response.policy_document);
                assert!(
                    policy_evaluation::allows(&statements, method_arn.as_deref().unwrap()),
                    "{name}: policy does not cover its own route: {answer}"
                );
                assert_eq!(response.principal_id.as_deref(), Some(principal.as_str()));
                for field in ["keyId", "subject", "scopes", "claims", "tokenType"] {
                    assert!(
                        response.context[field].is_string(),
                        "{name}: context.{field}"
                    );
                }
                assert_no_secrets(name, &answer.to_string());
            }
            (Simple(expected), Ok(answer)) => {
                assert_eq!(answer["isAuthorized"], *expected, "{name}: {answer}");
                assert_no_secrets(name, &answer.to_string());
            }
            (expect, other) => panic!("{name}: expected {expect:?}, got {other:?}"),
        }
        return;
    }
    if function == "publish-key-changes" {
        let Published(expected) = expect else {
            panic!("{name}: a stream event with a non-publish expectation")
        };
        let event: StreamEvent = serde_json::from_str(&raw).unwrap();
        let bus = RecordingBus::default();
        let report = key_changes::on_stream_batch(&event, &bus).await.unwrap();
        assert_eq!(report.published, *expected, "{name}: {report:?}");
        assert_eq!(report.records, event.records.len(), "{name}");
        let sent = bus.0.lock().unwrap().clone();
        assert_eq!(sent.len(), *expected, "{name}");
        assert_no_secrets(name, &serde_json::to_string(&sent).unwrap());
        return;
    }
    if function == "flush-authorizer-cache" {
        let Flushed(expected) = expect else {
            panic!("{name}: a bus event with a non-flush expectation")
        };
        let event: KeyChangesEvent = serde_json::from_str(&raw).unwrap();
        let cache = CountingCache::default();
        let settle = std::time::Duration::ZERO;
        let report =
            cache_flush::on_key_changes(&event, &cache, settle, tokio::time::Instant::now())
                .await
                .unwrap();
        assert_eq!(report.flushed, *expected, "{name}: {report:?}");
        let flushes = cache.0.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(
            flushes,
            2 * usize::from(*expected),
            "{name}: one pair of flushes per event at most"
        );
        return;
    }
    if function == "continue-cascade" {
        let Continued(roots) = expect else {
            panic!("{name}: a stream event with a non-continuation expectation")
        };
        let event: StreamEvent = serde_json::from_str(&raw).unwrap();
        let waiting = support::seed_waiting_cascade(store).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let report = keyauth::edge::cascade_worker::on_records(store, &event, deadline)
            .await
            .unwrap();
        assert_eq!(report.roots, *roots, "{name}: {report:?}");
        assert_eq!((report.continued, report.finished), (1, 1), "{name}");
        let below = store.get_by_hash(&waiting.key_hash).await.unwrap().unwrap();
        assert!(below.revoked, "{name}: the key below the root is revoked");
        return;
    }
    let req = lambda_http::request::from_str(&raw).unwrap();
    let response = match function {
        "manage-keys" => handlers::manage_keys(store, &config, req).await,
        "verify-key" => handlers::verify_key(store, &config, req).await,
        "create-product" => handlers::create_product(store, req).await,
        // The sample reports carry no valid signature: refused before the keys are fetched.
        "secret-scanning" => {
            let keys =
                keyauth::edge::leaks::SigningKeys::new(keyauth::edge::leaks::DEFAULT_KEYS_URL)
                    .unwrap();
            keyauth::edge::leaks::report_leaks(store, &config, &keys, req).await
        }
        other => panic!("no function {other}"),
    };
    let Status(expected, part) = expect else {
        panic!("{name}: HTTP event with a non-HTTP expectation")
    };
    // Text bodies: a Binary body would reach API Gateway clients base64-encoded.
    assert!(
        matches!(response.body(), lambda_http::Body::Text(_)),
        "{name}: body is not text"
    );
    let status = response.status().as_u16();
    let body: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
    assert_eq!(status, *expected, "{name}: {body}");
    if let Some(part) = part {
        assert!(
            contains(&body, part),
            "{name}: {body} does not contain {part}"
        );
    }
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = body.to_string();
    if status >= 400 {
        assert!(body["error"]["code"].is_string(), "{name}: {body}");
        assert!(body["error"]["message"].is_string(), "{name}: {body}");
    }
    if name == "manage-keys/create-key.json" {
        let secret = body["secret"].as_str().expect("create returns the secret");
        assert!(secret.starts_with("sk_live_"));
        assert!(!text.contains(KeyHash::of_secret(secret).as_str()));
    } else {
        assert!(
            body.get("secret").is_none(),
            "{name}: secret outside create"
        );
        assert_no_secrets(name, &text);
    }
}

/// A stage cache that counts its flushes.
#[derive(Default)]
struct CountingCache(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl StageCache for CountingCache {
    async fn flush(&self) -> Result<(), cache_flush::FlushError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

/// A key-changes bus that keeps what it is given.
#[derive(Default)]
struct RecordingBus(std::sync::Mutex<Vec<KeyChangesDetail>>);

#[async_trait::async_trait]
impl ChangeBus for RecordingBus {
    async fn publish(&self, detail: &KeyChangesDetail) -> Result<(), key_changes::PublishError> {
        self.0.lock().unwrap().push(detail.clone());
        Ok(())
    }
}

fn assert_no_secrets(name: &str, text: &str) {
    assert!(!text.contains("keyHash"), "{name}: {text}");
    for secret in [event_keys::VALID, event_keys::REVOKED, event_keys::EXPIRED] {
        assert!(
            !text.contains(KeyHash::of_secret(secret).as_str()),
            "{name}: hash leaked"
        );
        assert!(!text.contains(secret), "{name}: secret leaked");
    }
}

/// The seeded example keys really are what the events claim (else "refused" could pass
/// for the wrong reason).
#[tokio::test]
async fn seeded_example_keys_have_the_states_the_events_rely_on() {
    use keyauth::operations::authenticate::{Verdict, check};
    let store = MemoryStore::new();
    support::seed_event_keys(&store).await;
    let prefix = Config::from_lookup(|_| None).unwrap().key_prefix;
    let verdict = |secret| check(&store, &prefix, secret, now_ms());
    assert!(matches!(
        verdict(event_keys::VALID).await.unwrap(),
        Verdict::Valid(_)
    ));
    assert!(matches!(
        verdict(event_keys::REVOKED).await.unwrap(),
        Verdict::Revoked(_)
    ));
    assert!(matches!(
        verdict(event_keys::EXPIRED).await.unwrap(),
        Verdict::Expired(_)
    ));
}

#[tokio::test]
async fn every_event_through_its_handler_in_memory() {
    for (name, expect) in table() {
        let store = MemoryStore::new();
        support::seed_event_keys(&store).await;
        run_event(&store, &name, &expect).await;
    }
}

#[tokio::test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
async fn every_event_through_its_handler_on_dynamodb() {
    for (name, expect) in table() {
        let store = support::dynamo_store().await;
        support::seed_event_keys(&store).await;
        run_event(&store, &name, &expect).await;
    }
}

/// docs/local-development.md's `cargo lambda invoke <function> --data-file events/…` for every event, against
/// the functions `cargo lambda watch` runs (started by `scripts/test` on a loopback port,
/// with the tables named by KEYS_TABLE/PRODUCTS_TABLE on the local DynamoDB).
#[tokio::test]
#[ignore = "needs cargo lambda watch; scripts/test starts it"]
async fn every_event_through_cargo_lambda_invoke() {
    let port = std::env::var("CARGO_LAMBDA_WATCH_PORT")
        .expect("CARGO_LAMBDA_WATCH_PORT is not set: run scripts/test");
    let config = Config::from_env().unwrap();
    let store = keyauth::store::dynamo::DynamoStore::from_env(config.tables).await;
    support::seed_event_keys(&store).await;
    for (name, expect) in table() {
        let function = name.split('/').next().unwrap();
        let file = events_dir().join(&name);
        // A function that never answers would leave `cargo lambda invoke` waiting for ever:
        // bounded, it is a failure with its output.
        let output = std::process::Command::new("timeout")
            .args([
                "120",
                "cargo",
                "lambda",
                "invoke",
                function,
                "-A",
                "127.0.0.1",
                "-P",
                &port,
                "-o",
                "json",
                "--data-file",
            ])
            .arg(&file)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if let Unauthorized = expect {
            assert!(
                !output.status.success(),
                "{name}: expected an error, got {stdout}"
            );
            assert!(stderr.contains("Unauthorized"), "{name}: {stderr}");
            continue;
        }
        assert!(output.status.success(), "{name}: {stderr}");
        let answer: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{name}: {e}: {stdout}"));
        match expect {
            Status(code, part) => {
                assert_eq!(answer["statusCode"], code, "{name}: {answer}");
                assert_ne!(
                    answer["isBase64Encoded"], true,
                    "{name}: body must reach clients as text"
                );
                let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
                assert!(body.is_object(), "{name}");
                if let Some(part) = part {
                    assert!(
                        contains(&body, &part),
                        "{name}: {body} does not contain {part}"
                    );
                }
            }
            Allow(principal) => assert_eq!(answer["principalId"], principal, "{name}: {answer}"),
            Simple(expected) => assert_eq!(answer["isAuthorized"], expected, "{name}: {answer}"),
            Published(expected) => {
                assert_eq!(answer["published"], expected, "{name}: {answer}")
            }
            Flushed(expected) => assert_eq!(answer["flushed"], expected, "{name}: {answer}"),
            Continued(roots) => assert_eq!(answer["roots"], roots, "{name}: {answer}"),
            Unauthorized => unreachable!(),
        }
    }
}

/// Seeds the example keys into the tables named by KEYS_TABLE / PRODUCTS_TABLE at
/// AWS_ENDPOINT_URL_DYNAMODB, for `scripts/sam-local`, which then sends every event through
/// `sam local invoke` to functions that use those tables. Not a test: `scripts/test` skips it.
#[tokio::test]
#[ignore = "writes to the tables named in the environment; scripts/sam-local runs it"]
async fn seed_example_keys_into_the_configured_tables() {
    support::require_endpoint();
    std::env::var("KEYS_TABLE").expect("KEYS_TABLE is not set: scripts/sam-local sets it");
    let config = Config::from_env().unwrap();
    let store = keyauth::store::dynamo::DynamoStore::from_env(config.tables).await;
    support::seed_event_keys(&store).await;
}

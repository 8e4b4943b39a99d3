//! Secrets and their hashes never reach the logs: every path that logs (create, refusals
//! of each kind, verify, revoke, request errors) runs under a JSON subscriber at DEBUG,
//! the most the functions ever log, and the captured output is searched.

mod support;

use keyauth::domain::clock::now_ms;
use keyauth::domain::hashing::KeyHash;
use keyauth::domain::key_format::KeyPrefix;
use keyauth::edge::authorizer;
use keyauth::edge::config::Config;
use keyauth::edge::handlers;
use keyauth::emulation::events::GatewayRequest;
use keyauth::store::memory::MemoryStore;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::{parts, request};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn rest_event(key: &str) -> serde_json::Value {
    GatewayRequest::new("POST", "/products")
        .header("x-api-key", key)
        .authorizer_event()
}

#[tokio::test]
async fn no_secret_or_hash_is_ever_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(keyauth::edge::telemetry::effective_level(Some("debug")))
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let store = MemoryStore::new();
    let config = Config::from_lookup(|_| None).unwrap();
    let admin = "keys:read keys:write keys:verify keys:admin products:write";
    let (status, created) = parts(
        handlers::manage_keys(
            &store,
            &config,
            request(
                "POST",
                "/keys",
                Some(&json!({"name": "logged", "scopes": ["products:write"]})),
                "user_1",
                admin,
            ),
        )
        .await,
    );
    assert_eq!(status, 201);
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    let mut malformed = secret.clone();
    malformed.pop();
    malformed.push(if secret.ends_with('A') { 'B' } else { 'A' });
    let unknown = KeyPrefix::new("sk_live")
        .unwrap()
        .generate()
        .unwrap()
        .into_inner();

    let prefix = &keyauth::edge::authorizer::AuthorizerSettings::of(&config).unwrap();
    authorizer::handle(&store, prefix, rest_event(&secret), now_ms())
        .await
        .unwrap();
    for refused in [&malformed, &unknown] {
        assert!(
            authorizer::handle(&store, prefix, rest_event(refused), now_ms())
                .await
                .is_err()
        );
    }
    let verify = json!({"key": secret, "requiredScopes": ["keys:admin"]});
    handlers::verify_key(
        &store,
        &config,
        request("POST", "/keys/verify", Some(&verify), "svc", "keys:verify"),
    )
    .await;
    handlers::verify_key(
        &store,
        &config,
        request("POST", "/keys/verify", Some(&verify), "svc", "keys:read"),
    )
    .await;
    let revoke = request("POST", &format!("/keys/{id}/revoke"), None, "user_1", admin);
    assert_eq!(
        handlers::manage_keys(&store, &config, revoke)
            .await
            .status(),
        200
    );
    assert!(
        authorizer::handle(&store, prefix, rest_event(&secret), now_ms())
            .await
            .is_err()
    );

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The capture works: each kind of event was logged.
    for expected in [
        "key created",
        "key refused",
        "MALFORMED",
        "NOT_FOUND",
        "REVOKED",
        "key revoked",
        "request refused",
    ] {
        assert!(
            logs.contains(expected),
            "no {expected:?} in the logs:\n{logs}"
        );
    }
    for secret in [&secret, &malformed, &unknown] {
        let body = &secret["sk_live_".len()..];
        assert!(!logs.contains(body), "a secret reached the logs:\n{logs}");
        assert!(
            !logs.contains(KeyHash::of_secret(secret).as_str()),
            "a hash reached the logs:\n{logs}"
        );
    }
}

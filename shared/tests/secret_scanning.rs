//! GitHub's secret-scanning reports through the function's handler: the signature is
//! checked first (a report without a valid one reads and changes nothing), a live key
//! reported is revoked with its reason and event, and every token is labelled. The signing
//! keys are made here for each run (rcgen, signed with ring), never committed.

mod support;

use keyauth::domain::caller::Caller;
use keyauth::domain::clock::now_ms;
use keyauth::domain::hashing::KeyHash;
use keyauth::edge::config::Config;
use keyauth::edge::leaks::{self, SigningKeys};
use keyauth::edge::wire::CreateKeyRequest;
use keyauth::emulation::events::GatewayRequest;
use keyauth::operations;
use keyauth::store::memory::MemoryStore;
use keyauth::store::{EventLister, EventQuery, KeyReader};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use serde_json::{Value, json};
use support::counting::Counting;
use support::parts;

/// A signing key of the kind GitHub publishes: its PEM public key, and a signer.
struct GitHubKey {
    identifier: String,
    public_pem: String,
    pair: EcdsaKeyPair,
}

impl GitHubKey {
    fn new(identifier: &str) -> Self {
        let generated = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            &generated.serialize_der(),
            &SystemRandom::new(),
        )
        .unwrap();
        Self {
            identifier: identifier.to_owned(),
            public_pem: generated.public_key_pem(),
            pair,
        }
    }

    /// Base64 DER signature of `body`, as GitHub sends it.
    fn sign(&self, body: &[u8]) -> String {
        use base64::Engine;
        let signature = self.pair.sign(&SystemRandom::new(), body).unwrap();
        base64::engine::general_purpose::STANDARD.encode(signature.as_ref())
    }
}

/// A keys document holding `keys`, in a fresh file; returns its `file://` URL.
fn publish(keys: &[&GitHubKey]) -> (tempfile_path::Guard, String) {
    let entries: Vec<Value> = keys
        .iter()
        .map(|k| json!({"key_identifier": k.identifier, "key": k.public_pem, "is_current": true}))
        .collect();
    let guard = tempfile_path::Guard::new();
    std::fs::write(&guard.0, json!({"public_keys": entries}).to_string()).unwrap();
    let url = format!("file://{}", guard.0.display());
    (guard, url)
}

/// A file removed when the test ends.
mod tempfile_path {
    pub struct Guard(pub std::path::PathBuf);
    impl Guard {
        pub fn new() -> Self {
            let name = format!(
                "keyauth-github-keys-{}.json",
                keyauth::domain::ids::new_product_id().unwrap()
            );
            Self(std::env::temp_dir().join(name))
        }
    }
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// A live key of subject `user_1`; returns (id, secret).
async fn live_key(store: &MemoryStore) -> (String, String) {
    let config = Config::from_lookup(|_| None).unwrap();
    let new = CreateKeyRequest {
        name: "leaky".into(),
        subject: Some("user_1".into()),
        ..Default::default()
    }
    .parse(now_ms())
    .unwrap();
    let issued = operations::create::create_key(
        store,
        &config.key_prefix,
        &Caller::operator("test"),
        new,
        now_ms(),
    )
    .await
    .unwrap();
    (issued.key.id, issued.secret.into_inner())
}

/// WHEN: GitHub posts `body` with these signature headers.
async fn report(
    store: &Counting<MemoryStore>,
    keys: &SigningKeys,
    body: &[u8],
    identifier: Option<&str>,
    signature: Option<&str>,
) -> (u16, Value) {
    let mut request = GatewayRequest::new("POST", "/secret-scanning/github")
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(identifier) = identifier {
        request = request.header("Github-Public-Key-Identifier", identifier);
    }
    if let Some(signature) = signature {
        request = request.header("Github-Public-Key-Signature", signature);
    }
    let config = Config::from_lookup(|_| None).unwrap();
    let response =
        leaks::report_leaks(store, &config, keys, request.proxy_request(None).unwrap()).await;
    parts(response)
}

#[tokio::test]
async fn a_signed_report_revokes_live_keys_and_labels_every_token() {
    let github = GitHubKey::new("github-key-1");
    let (_file, url) = publish(&[&github]);
    let keys = SigningKeys::new(&url).unwrap();
    let store = Counting::new(MemoryStore::new());
    let (leaked_id, leaked) = live_key(&store.inner).await;
    let (kept_id, _) = live_key(&store.inner).await;
    let unknown = keyauth::domain::key_format::KeyPrefix::new("sk_live")
        .unwrap()
        .generate()
        .unwrap()
        .into_inner();
    let body = json!([
        {"token": leaked, "type": "keyauth_api_key", "url": "https://github.com/o/r/blob/x/.env", "source": "content"},
        {"token": unknown, "type": "keyauth_api_key", "url": "https://github.com/o/r", "source": "content"},
        {"token": "sk_live_not_a_key", "type": "keyauth_api_key", "url": "https://github.com/o/r", "source": "content"},
    ])
    .to_string();
    let signature = github.sign(body.as_bytes());
    let (status, answer) = report(
        &store,
        &keys,
        body.as_bytes(),
        Some("github-key-1"),
        Some(&signature),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let labels: Vec<&str> = answer
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["true_positive", "false_positive", "false_positive"]
    );
    assert_eq!(
        answer[0]["token_hash"],
        KeyHash::of_secret(&leaked).as_str()
    );
    assert_eq!(answer[0]["token_type"], "keyauth_api_key");

    let revoked = store.inner.get_by_id(&leaked_id).await.unwrap().unwrap();
    assert!(revoked.revoked);
    assert_eq!(
        revoked.revocation_reason.as_deref(),
        Some("leaked: https://github.com/o/r/blob/x/.env")
    );
    let events = store
        .inner
        .list_events(
            &leaked_id,
            &EventQuery {
                limit: 10,
                cursor: None,
                now: 0,
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(events[0].actor_id, "operator:github-secret-scanning");
    assert!(
        !store
            .inner
            .get_by_id(&kept_id)
            .await
            .unwrap()
            .unwrap()
            .revoked
    );

    // Reported again: still ours, no second revocation, the first reason kept.
    let (status, again) = report(
        &store,
        &keys,
        body.as_bytes(),
        Some("github-key-1"),
        Some(&signature),
    )
    .await;
    assert_eq!(
        (status, again[0]["label"].as_str()),
        (200, Some("true_positive"))
    );
    let still = store.inner.get_by_id(&leaked_id).await.unwrap().unwrap();
    assert_eq!(still.revoked_at, revoked.revoked_at);
}

#[tokio::test]
async fn a_report_without_a_valid_signature_reads_and_changes_nothing() {
    let github = GitHubKey::new("github-key-1");
    let impostor = GitHubKey::new("github-key-1");
    let (_file, url) = publish(&[&github]);
    let keys = SigningKeys::new(&url).unwrap();
    let store = Counting::new(MemoryStore::new());
    let (id, secret) = live_key(&store.inner).await;
    let body =
        json!([{"token": secret, "type": "keyauth_api_key", "url": "u", "source": "content"}])
            .to_string();
    let good = github.sign(body.as_bytes());
    let tampered = body.replace("\"u\"", "\"v\"");
    let cases: [(&[u8], Option<&str>, Option<String>); 6] = [
        (body.as_bytes(), None, None),
        (body.as_bytes(), Some("github-key-1"), None),
        (
            body.as_bytes(),
            Some("github-key-1"),
            Some(impostor.sign(body.as_bytes())),
        ),
        (
            tampered.as_bytes(),
            Some("github-key-1"),
            Some(good.clone()),
        ),
        (body.as_bytes(), Some("github-key-2"), Some(good.clone())),
        (
            body.as_bytes(),
            Some("github-key-1"),
            Some("not base64!".into()),
        ),
    ];
    for (body, identifier, signature) in cases {
        store.counts.reset();
        let (status, answer) = report(&store, &keys, body, identifier, signature.as_deref()).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (401, Some("unauthorized")),
            "{answer}"
        );
        assert_eq!(
            store.counts.reads() + store.counts.writes(),
            0,
            "nothing read or written"
        );
    }
    assert!(!store.inner.get_by_id(&id).await.unwrap().unwrap().revoked);
}

#[tokio::test]
async fn bodies_are_checked_after_the_signature() {
    let github = GitHubKey::new("k");
    let (_file, url) = publish(&[&github]);
    let keys = SigningKeys::new(&url).unwrap();
    let store = Counting::new(MemoryStore::new());
    let item = json!({"token": "x", "type": "t", "url": "u", "source": "s"});
    let too_many = Value::Array(vec![item; 1001]).to_string();
    for body in [too_many.as_str(), "{\"token\": \"x\"}", "not json"] {
        let signature = github.sign(body.as_bytes());
        let (status, answer) =
            report(&store, &keys, body.as_bytes(), Some("k"), Some(&signature)).await;
        assert_eq!(status, 400, "{answer}");
    }
    let (status, answer) = report(&store, &keys, b"[]", Some("k"), Some(&github.sign(b"[]"))).await;
    assert_eq!((status, answer), (200, json!([])));
}

#[tokio::test]
async fn unreachable_keys_are_503_and_unknown_identifiers_refetch_at_most_once_a_minute() {
    let github = GitHubKey::new("k1");
    let store = Counting::new(MemoryStore::new());
    // No document yet: nothing can be checked, GitHub is told to retry.
    let missing = tempfile_path::Guard::new();
    let keys = SigningKeys::new(&format!("file://{}", missing.0.display())).unwrap();
    let (status, answer) =
        report(&store, &keys, b"[]", Some("k1"), Some(&github.sign(b"[]"))).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (503, Some("unavailable"))
    );

    // Fetched at the first report; a key published after that is not fetched again at once.
    let (_file, url) = publish(&[&github]);
    let keys = SigningKeys::new(&url).unwrap();
    let (status, _) = report(&store, &keys, b"[]", Some("k1"), Some(&github.sign(b"[]"))).await;
    assert_eq!(status, 200);
    let newer = GitHubKey::new("k2");
    let path = url.trim_start_matches("file://");
    let document = json!({"public_keys": [
        {"key_identifier": "k1", "key": github.public_pem, "is_current": false},
        {"key_identifier": "k2", "key": newer.public_pem, "is_current": true},
    ]});
    std::fs::write(path, document.to_string()).unwrap();
    let (status, _) = report(&store, &keys, b"[]", Some("k2"), Some(&newer.sign(b"[]"))).await;
    assert_eq!(
        status, 401,
        "an unknown identifier within the minute is refused"
    );
    // A fresh process (a new cold start) fetches the current set.
    let keys = SigningKeys::new(&url).unwrap();
    let (status, _) = report(&store, &keys, b"[]", Some("k2"), Some(&newer.sign(b"[]"))).await;
    assert_eq!(status, 200);
}

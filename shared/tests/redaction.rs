//! `Debug` of every type that holds a secret or its hash prints it redacted. Its own test
//! binary: the log capture in `logs.rs` must not race another test's use of the same log
//! call sites, whose interest tracing caches per process.

use keyauth::domain::clock::now_ms;
use keyauth::domain::hashing::KeyHash;
use keyauth::domain::key_format::KeyPrefix;
use keyauth::store::memory::MemoryStore;
use serde_json::json;

/// `Debug` of every type that holds a secret or its hash prints it redacted, so a
/// `{:?}` in a log line cannot leak one.
#[tokio::test]
async fn debug_output_redacts_secrets_and_hashes() {
    use keyauth::domain::caller::Caller;
    use keyauth::edge::wire::{ApiKeyView, CreateKeyRequest, VerifyKeyRequest};
    use keyauth::store::KeyReader;
    let store = MemoryStore::new();
    let prefix = KeyPrefix::new("sk_live").unwrap();
    let request = CreateKeyRequest {
        name: "debug".into(),
        ..Default::default()
    };
    let issued = keyauth::operations::create::create_key(
        &store,
        &prefix,
        &Caller::operator("test"),
        request.parse(now_ms()).unwrap(),
        now_ms(),
    )
    .await
    .unwrap();
    let view = ApiKeyView::with_secret(&issued.key, issued.secret, now_ms());
    let secret = view.secret.clone().unwrap();
    let hash = KeyHash::of_secret(&secret);
    let record = store.get_by_hash(&hash).await.unwrap().unwrap();
    let verify: VerifyKeyRequest =
        keyauth::edge::http::parse_json(json!({"key": secret}).to_string().as_bytes()).unwrap();
    let verify_parsed = keyauth::edge::http::parse_json::<VerifyKeyRequest>(
        json!({"key": secret}).to_string().as_bytes(),
    )
    .unwrap()
    .parse()
    .unwrap();
    // A leak report's tokens, as GitHub posts them.
    let reported: Vec<keyauth::edge::leaks::report::ReportedToken> = serde_json::from_value(
        json!([{"token": secret, "type": "keyauth_api_key", "url": "https://example.test/x"}]),
    )
    .unwrap();
    let generated = prefix.generate().unwrap();
    let parsed = prefix.parse(&secret).unwrap();
    let printed = [
        format!("{view:?}"),
        format!("{record:?}"),
        format!("{verify:?}"),
        format!("{verify_parsed:?}"),
        format!("{reported:?}"),
        format!("{hash:?}"),
        format!("{generated:?}"),
        format!("{parsed:?}"),
    ];
    for text in &printed {
        assert!(!text.contains(&secret), "{text}");
        assert!(!text.contains(hash.as_str()), "{text}");
        assert!(!text.contains(generated.expose()), "{text}");
        // The body of the key, without its prefix, is not there either.
        assert!(!text.contains(&secret["sk_live_".len()..]), "{text}");
    }
    assert!(printed[0].contains("<redacted>"), "{}", printed[0]);
}

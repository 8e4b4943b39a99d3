//! Authorizer hot path with the in-memory store, from the event's bytes as Lambda hands
//! them over: a valid key (decode, format check, hash, one read, policy and context) and a
//! malformed key (refused before any read); then a valid key in front of a protected API
//! with a routes document of 10 and of 300 routes, with the cache off (the answer for the
//! called ARN) and on (the grant's policy, rendered once), the answer serialised as Lambda
//! sends it.
//! `cargo bench -p keyauth --bench authorizer`

use criterion::{Criterion, criterion_group, criterion_main};
use keyauth::domain::caller::Caller;
use keyauth::domain::clock::now_ms;
use keyauth::domain::key_format::KeyPrefix;
use keyauth::edge::authorizer::{self, AuthorizerRequest};
use keyauth::edge::authorizer::{AuthorizerSettings, ProtectedRoutes};
use keyauth::edge::wire::CreateKeyRequest;
use keyauth::emulation::events::GatewayRequest;
use keyauth::operations;
use keyauth::store::memory::MemoryStore;
use serde_json::{Value, json};
use std::hint::black_box;
use std::sync::Arc;

/// A document of `n` routes: `GET` and `POST` on `/svcN/items` and `GET /svcN/items/{id}`,
/// a scope for each tenth of the services.
fn document(n: usize) -> String {
    let routes: Vec<Value> = (0..n)
        .map(|i| {
            let (service, scope) = (i / 3, format!("svc{}:use", (i / 3) % 10));
            let (method, path) = match i % 3 {
                0 => ("GET", format!("/svc{service}/items")),
                1 => ("POST", format!("/svc{service}/items")),
                _ => ("GET", format!("/svc{service}/items/{{id}}")),
            };
            json!({"method": method, "path": path, "scope": scope})
        })
        .collect();
    json!({ "routes": routes }).to_string()
}

/// The authorizer event of `POST /products` as API Gateway sends it.
fn event(key: &str) -> Value {
    GatewayRequest::new("POST", "/products")
        .header("x-api-key", key)
        .header("accept", "application/json")
        .header("user-agent", "bench")
        .authorizer_event()
}

fn bench(c: &mut Criterion) {
    // Timers on, as the functions' runtime has them: the lastUsedAt write is bounded by one.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let prefix = KeyPrefix::new("sk_live").unwrap();
    let store = MemoryStore::new();
    let admin = Caller {
        key_id: "key_0Bench000000000000000000".into(),
        subject: "bench".into(),
        scopes: keyauth::domain::scopes::ALL.map(String::from).to_vec(),
        claims: Default::default(),
        expiration: None,
    };
    let request = CreateKeyRequest {
        name: "bench".into(),
        scopes: Some(vec![
            "keys:read".into(),
            "products:write".into(),
            "svc1:use".into(),
        ]),
        ..Default::default()
    };
    let new = request.parse(now_ms()).unwrap();
    let secret = rt
        .block_on(operations::create::create_key(
            &store,
            &prefix,
            &admin,
            new,
            now_ms(),
        ))
        .unwrap()
        .secret
        .into_inner();
    let mut malformed = secret.clone();
    malformed.pop();
    malformed.push(if secret.ends_with('A') { 'B' } else { 'A' });
    // Record a use first so the timed loop measures the steady state: no usage write.
    let settings = AuthorizerSettings::uncached(prefix.clone());
    rt.block_on(authorizer::handle(
        &store,
        &settings,
        event(&secret),
        now_ms(),
    ))
    .unwrap();

    // As on Lambda: the event's bytes, decoded by the runtime into what the authorizer reads.
    let (valid_event, malformed_event) = (
        serde_json::to_vec(&event(&secret)).unwrap(),
        serde_json::to_vec(&event(&malformed)).unwrap(),
    );
    let decide = |bytes: &[u8]| {
        let request: AuthorizerRequest = serde_json::from_slice(bytes).unwrap();
        rt.block_on(authorizer::authorize(&store, &settings, &request, now_ms()))
    };
    c.bench_function("authorizer/valid_key", |b| {
        b.iter(|| black_box(decide(black_box(&valid_event)).unwrap()))
    });
    c.bench_function("authorizer/malformed_key", |b| {
        b.iter(|| black_box(decide(black_box(&malformed_event)).unwrap_err()))
    });
    // A protected API: the key holds svc1:use and calls GET /svc1/items/7.
    let protected = serde_json::to_vec(
        &GatewayRequest::new("GET", "/svc1/items/7")
            .header("x-api-key", &secret)
            .authorizer_event(),
    )
    .unwrap();
    for routes in [10, 300] {
        for cached in [false, true] {
            let loaded = ProtectedRoutes::load(&document(routes), cached).unwrap();
            let settings = AuthorizerSettings {
                prefix: prefix.clone(),
                cached,
                routes: Arc::new(loaded),
            };
            let answer = |bytes: &[u8]| {
                let request: AuthorizerRequest = serde_json::from_slice(bytes).unwrap();
                let answer =
                    rt.block_on(authorizer::authorize(&store, &settings, &request, now_ms()));
                serde_json::to_vec(&answer.unwrap()).unwrap()
            };
            let cache = if cached { "cached" } else { "uncached" };
            c.bench_function(&format!("protected_api/{routes}_routes/{cache}"), |b| {
                b.iter(|| black_box(answer(black_box(&protected))))
            });
        }
    }
    c.bench_function("key_format/parse_and_hash", |b| {
        b.iter(|| {
            let parsed = prefix.parse(black_box(&secret)).unwrap();
            black_box(keyauth::domain::hashing::KeyHash::of(&parsed))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
